"""Seeding into the test database, checked with SQL and PostGIS (rolled back after each test)."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import col, select

from app.billing.invoices import issue_invoice, price_draft
from app.billing.models import BillingLine, Invoice, LineKind
from app.core.auth import Principal, Role, verify_password
from app.core.db import SessionFactory
from app.demo import writer
from app.demo.command import seed_database
from app.demo.generator import local_time
from app.dispatch import service as dispatch
from app.dispatch.models import DispatchRunCreate, RunStatus
from app.service_requests.models import ServiceRequest
from app.sla.models import EscalationPolicy, EscalationTrigger, SubjectKind
from app.sla.sweeper import Raised, sweep_once
from app.work_orders.models import Task, TaskPart

TODAY = date(2026, 11, 24)
NOW = local_time(TODAY, time(11))
SMALL = {"today": TODAY, "customers": 150, "technicians": 20}
DISPATCHER = Principal(subject="user:2", role=Role.DISPATCHER, name="Dinesh Gowda")
ADMIN = Principal(subject="user:1", role=Role.ADMIN, name="Admin")

SITES_PER_TERRITORY_COUNT = """
SELECT count(*) FILTER (WHERE n = 1), count(*) FROM (
  SELECT s.id, count(t.id) AS n FROM sites s
  LEFT JOIN territories t ON ST_Contains(t.area, s.point::geometry)
  GROUP BY s.id
) AS matches
"""
HOME_BASES_INSIDE = """
SELECT count(*) FROM technicians x
WHERE EXISTS (SELECT 1 FROM territories t WHERE ST_Contains(t.area, x.home_base::geometry))
"""
TERRITORY_OVERLAP = """
SELECT coalesce(sum(ST_Area(ST_Intersection(a.area, b.area))), 0)
FROM territories a JOIN territories b ON a.id < b.id
"""
TASKS_BY_STATE = "SELECT status, count(*) FROM tasks GROUP BY status"
OPEN_TASKS_NOBODY_CAN_DO = """
SELECT count(*) FROM tasks t
WHERE t.status NOT IN ('COMPLETED', 'INCOMPLETE', 'CANCELLED')
  AND NOT EXISTS (
    SELECT 1 FROM territory_memberships m JOIN technicians x ON x.id = m.technician_id
    WHERE m.territory_id = t.territory_id AND x.status = 'ACTIVE'
      AND m.valid_from <= :today AND (m.valid_to IS NULL OR m.valid_to >= :today)
      AND NOT EXISTS (
        SELECT 1 FROM task_skills need WHERE need.task_id = t.id AND NOT EXISTS (
          SELECT 1 FROM technician_skills have
          WHERE have.technician_id = x.id AND have.skill_id = need.skill_id
            AND have.level >= need.min_level)))
"""
TASKS_IN_THEIR_TERRITORY = """
SELECT count(*) FILTER (WHERE ST_Covers(r.area, t.location::geometry)
                          AND t.location = s.point AND t.customer_id = s.customer_id),
       count(*)
FROM tasks t JOIN territories r ON r.id = t.territory_id JOIN sites s ON s.id = t.site_id
"""
EN_ROUTE_SEEN_ON_THE_WAY = """
SELECT count(*) FILTER (WHERE x.last_seen_at > CAST(:now AS timestamptz) - interval '5 minutes'
                          AND e.eta_at > e.computed_at),
       count(*)
FROM tasks t JOIN technicians x ON x.id = t.technician_id
LEFT JOIN task_tracking_states e ON e.task_id = t.id
WHERE t.status = 'EN_ROUTE'
"""
ISSUED_THE_MORNING_AFTER = """
SELECT count(*) FILTER (WHERE i.status = 'DRAFT' AND t.finished_at + interval '20 hours' <= :now),
       count(*) FILTER (WHERE i.status <> 'DRAFT' AND t.finished_at + interval '20 hours' > :now)
FROM invoices i JOIN tasks t ON t.id = i.task_id
"""
INVOICE_NUMBERS = """
SELECT number FROM invoices WHERE number IS NOT NULL ORDER BY issued_at, id
"""
RECEIPT_NUMBERS = "SELECT receipt_number FROM payments ORDER BY received_at, id"
PAID_AS_RECORDED = """
SELECT count(*) FROM invoices i
WHERE i.amount_paid <> coalesce((SELECT sum(p.amount) FROM payments p WHERE p.invoice_id = i.id), 0)
"""
REVENUE_AND_COST = """
SELECT sum(net_amount) FILTER (WHERE status <> 'DRAFT'), count(*) FILTER (WHERE status = 'PAID'),
       count(*) FILTER (WHERE status IN ('ISSUED', 'PARTIALLY_PAID'))
FROM invoices
"""
CUSTOMER_ONE = """
SELECT t.status, t.confirmed_at IS NOT NULL, t.rating FROM tasks t
WHERE t.customer_id = 1 ORDER BY t.id
"""
TECHNICIAN_ONE_TODAY = """
SELECT t.status FROM tasks t
WHERE t.technician_id = 1 AND (t.scheduled_start AT TIME ZONE 'Asia/Kolkata')::date = :today
ORDER BY t.scheduled_start
"""
USER_LINKS = """
SELECT u.role, u.password_hash, t.name, c.name, p.code FROM users u
LEFT JOIN technicians t ON t.id = u.technician_id
LEFT JOIN customers c ON c.id = u.customer_id
LEFT JOIN partners p ON p.id = u.partner_id
ORDER BY u.id
"""


async def scalar(connection: AsyncConnection, sql: str) -> object:
    return (await connection.execute(sa.text(sql))).scalar_one()


async def seed(sessions: SessionFactory, **options: object) -> tuple[int, str]:
    out = io.StringIO()
    code = await seed_database(sessions, out=out, **{**SMALL, **options})  # type: ignore[arg-type]
    return code, out.getvalue()


async def test_seeding_writes_the_city_and_postgis_agrees_with_the_geography(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    # when
    code, output = await seed(sessions)

    # then every row is there and every site lies in exactly one territory polygon
    assert code == 0
    assert "customers" in output and "dispatcher@demo.fieldgraph.dev" in output
    assert await scalar(connection, "SELECT count(*) FROM customers") == 150
    assert await scalar(connection, "SELECT count(*) FROM technicians") == 20
    assert (
        await scalar(connection, "SELECT count(*) FROM technicians WHERE partner_id IS NOT NULL")
        == 4
    )
    inside, total = (await connection.execute(sa.text(SITES_PER_TERRITORY_COUNT))).one()
    assert total >= 150 and inside == total
    assert await scalar(connection, HOME_BASES_INSIDE) == 20
    assert await scalar(connection, TERRITORY_OVERLAP) == 0
    assert await scalar(connection, "SELECT bool_and(ST_IsValid(area)) FROM territories") is True


async def test_every_role_can_log_in_with_the_documented_password(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    await seed(sessions)

    rows = (await connection.execute(sa.text(USER_LINKS))).all()

    assert [row[0] for row in rows] == [
        "ADMIN", "DISPATCHER", "AGENT", "MANAGER", "TECHNICIAN", "CUSTOMER", "PARTNER",
    ]  # fmt: skip
    assert all(verify_password(row[1], "fieldgraph") for row in rows)
    assert len({row[1] for row in rows}) == 1, "one hash, computed once"
    links = {row[0]: row[2:] for row in rows}
    assert links["TECHNICIAN"][0] is not None
    assert links["CUSTOMER"][1] is not None
    assert links["PARTNER"][2] == "COOLBREEZE"
    assert links["ADMIN"] == (None, None, None)


async def test_sequences_continue_after_the_seeded_ids(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    await seed(sessions)

    new_id = await scalar(
        connection,
        "INSERT INTO partners (name, code, created_at, updated_at, version) "
        "VALUES ('New partner', 'NEWCO', now(), now(), 1) RETURNING id",
    )

    assert new_id == 4


async def test_a_second_seed_is_refused_and_if_empty_skips_it(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    # given a seeded database
    await seed(sessions)

    # when seeding again, plainly and with --if-empty
    refused, refusal = await seed(sessions)
    skipped, skip = await seed(sessions, if_empty=True)

    # then nothing more is written
    assert refused == 1
    assert "refusing to seed" in refusal and "drop the database" in refusal
    assert skipped == 0
    assert "nothing seeded" in skip and "customer@demo.fieldgraph.dev" in skip
    assert await scalar(connection, "SELECT count(*) FROM customers") == 150


async def test_any_existing_row_blocks_the_seed(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    # given a database where someone created one skill
    await connection.execute(
        sa.text(
            "INSERT INTO skills (code, name, created_at, updated_at, version) "
            "VALUES ('welding', 'Welding', now(), now(), 1)"
        )
    )

    code, output = await seed(sessions)

    assert code == 1
    assert "(skills)" in output
    assert await scalar(connection, "SELECT count(*) FROM customers") == 0


async def test_a_failure_leaves_nothing_written(
    sessions: SessionFactory, connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a writer that fails after every row is in
    async def fail(session: object) -> None:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(writer, "advance_sequences", fail)

    # when seeding
    with pytest.raises(RuntimeError, match="connection lost"):
        await seed(sessions)

    # then the transaction took everything back
    assert await scalar(connection, "SELECT count(*) FROM customers") == 0
    assert await scalar(connection, "SELECT count(*) FROM territories") == 0


async def test_the_work_of_the_day_is_written_and_consistent_with_the_map(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    # when
    code, output = await seed(sessions)

    # then there is work in every state, inside its territory, at its customer's site
    assert code == 0 and "tasks by state" in output and "en_route" in output
    states = dict((await connection.execute(sa.text(TASKS_BY_STATE))).all())
    assert {"UNSCHEDULED", "DISPATCHED", "ACCEPTED", "EN_ROUTE", "COMPLETED"} <= set(states)
    inside, total = (await connection.execute(sa.text(TASKS_IN_THEIR_TERRITORY))).one()
    assert total == sum(states.values()) and inside == total
    # and every open task can be done by an active technician of its territory
    nobody = await connection.execute(sa.text(OPEN_TASKS_NOBODY_CAN_DO), {"today": TODAY})
    assert nobody.scalar_one() == 0
    # and an en-route technician was seen minutes ago, with an ETA for the customer
    seen, en_route = (
        await connection.execute(sa.text(EN_ROUTE_SEEN_ON_THE_WAY), {"now": NOW})
    ).one()
    assert en_route >= 1 and seen == en_route
    # and every completed task has its invoice: issued the morning after, a draft before that
    billed = await scalar(connection, "SELECT count(*) FROM invoices WHERE task_id IS NOT NULL")
    assert billed == states["COMPLETED"]
    issued = await connection.execute(sa.text(ISSUED_THE_MORNING_AFTER), {"now": NOW})
    early_drafts, late_issued = issued.one()
    assert early_drafts == 0 and late_issued == 0


async def test_the_demo_logins_have_something_to_do(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    await seed(sessions)

    visits = (await connection.execute(sa.text(CUSTOMER_ONE))).all()
    route = await connection.execute(sa.text(TECHNICIAN_ONE_TODAY), {"today": TODAY})

    # the customer confirmed tomorrow's visit and can rate an earlier one
    assert ("ACCEPTED", True, None) in visits
    assert ("COMPLETED", False, None) in visits
    # the technician has a day under way and an offer to answer
    statuses = [status for (status,) in route]
    assert "DISPATCHED" in statuses and len(statuses) >= 2


async def test_a_dispatch_run_plans_a_seeded_territory(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    # given the seeded city, at the moment it stands at
    await seed(sessions)
    horizon = DispatchRunCreate(
        territory_id=1,
        horizon_start=NOW,
        horizon_end=local_time(TODAY + timedelta(days=2), time(0)),
        time_limit_seconds=2,
    )
    async with sessions() as session:
        run = await dispatch.request_run(session, DISPATCHER, horizon)
        await session.commit()

    # when the run executes as the runDispatch mutation's job does
    done = await dispatch.execute_run(sessions, None, run.id or 0, now=NOW)

    # then it keeps accepted and started work with its technicians, plans the rest, and
    # finds a skilled technician for every task (started work is pinned where the technician
    # stands; the planner may still call it PINNED_INFEASIBLE: see the dispatch domain)
    assert done is not None and done.status is RunStatus.SUCCEEDED, done and done.error
    assert done.task_count >= 10 and done.technician_count >= 3
    assert done.pinned_count >= 1
    assert done.assigned_count >= 1
    assert done.assigned_count >= (done.task_count - done.pinned_count) // 2
    reasons = {u["reason"] for u in done.unassigned}
    assert not reasons & {"NO_SKILLED_TECHNICIAN", "NO_ALLOWED_TECHNICIAN"}, reasons


async def test_a_seeded_draft_invoice_prices_with_the_seeded_price_list(
    sessions: SessionFactory,
) -> None:
    await seed(sessions)

    async with sessions() as session:
        invoice = await session.scalar(
            select(Invoice)
            .join(TaskPart, col(TaskPart.task_id) == col(Invoice.task_id))
            .order_by(col(Invoice.id))
            .limit(1)
        )
        assert invoice is not None
        await price_draft(session, invoice)
        lines = (
            await session.scalars(
                select(BillingLine).where(col(BillingLine.invoice_id) == invoice.id)
            )
        ).all()

    assert {line.kind for line in lines} == {LineKind.LABOUR, LineKind.FEE, LineKind.PART}
    assert invoice.priced and invoice.total == sum(line.total for line in lines) > 0


async def test_the_books_read_like_a_going_business_and_numbering_follows_on(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    # when
    _, output = await seed(sessions)

    # then invoices and receipts are numbered without gaps in the order they were given
    numbers = (await connection.execute(sa.text(INVOICE_NUMBERS))).scalars().all()
    receipts = (await connection.execute(sa.text(RECEIPT_NUMBERS))).scalars().all()
    assert numbers and receipts and "issued" in output
    for series, given in (("INV", numbers), ("RCT", receipts)):
        by_year: dict[str, list[int]] = {}
        for number in given:
            prefix, year, n = number.split("-")
            assert prefix == series
            by_year.setdefault(year, []).append(int(n))
        assert all(ns == list(range(1, len(ns) + 1)) for ns in by_year.values())
    # and every payment is on its invoice; most are paid, some still owed, revenue is booked
    assert await scalar(connection, PAID_AS_RECORDED) == 0
    revenue, paid, owed = (await connection.execute(sa.text(REVENUE_AND_COST))).one()
    assert revenue > 0 and paid > len(numbers) / 2 and owed > 0

    # and the next invoice issued through the app takes the next number
    async with sessions() as session, session.begin():
        draft = await session.scalar(
            select(Invoice).where(col(Invoice.status) == "DRAFT").order_by(col(Invoice.id))
        )
        assert draft is not None and draft.id is not None
        issued = await issue_invoice(session, ADMIN, draft.id, now=NOW)
    last = max(n for n in numbers if n.startswith(f"INV-{NOW.year}-"))
    assert issued.number == f"INV-{NOW.year}-{int(last.split('-')[2]) + 1:06d}"


async def test_the_seed_carries_the_escalations_already_raised_so_the_first_sweep_is_quiet(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    # given the seeded city, with the escalations of its past
    await seed(sessions)
    seeded = await scalar(connection, "SELECT count(*) FROM sla_escalations")
    latest = await scalar(connection, "SELECT max(raised_at) FROM sla_escalations")

    # when the sweeper first runs at the moment the city stands at, then an hour later
    async with sessions() as session:
        first = await sweep_once(session, NOW)
        later = await sweep_once(session, NOW + timedelta(hours=1))
        due = [await _due_at(session, raised) for raised in later.escalations]

    # then the first sweep finds every state and every escalation as the seed left them
    assert isinstance(seeded, int) and seeded > 100
    assert isinstance(latest, datetime) and latest <= NOW
    assert not first.changed, (first.tasks, first.requests, first.escalations[:5])
    # and the next raises only levels that fell due after the seed's moment
    assert due and all(NOW < at <= NOW + timedelta(hours=1) for at in due)


async def _due_at(session: AsyncSession, raised: Raised) -> datetime:
    """When the sweeper's rule made this level due: the trigger's reference time plus the
    policy's threshold."""
    model: type[Task] | type[ServiceRequest] = (
        Task if raised.subject_kind is SubjectKind.TASK else ServiceRequest
    )
    column = {
        EscalationTrigger.UNASSIGNED: "created_at",
        EscalationTrigger.RESPONSE_OVERDUE: "response_due_at",
        EscalationTrigger.RESOLUTION_OVERDUE: "resolution_due_at",
    }[raised.trigger]
    subject = await session.get(model, raised.subject_id)
    policy = await session.scalar(
        select(EscalationPolicy).where(
            col(EscalationPolicy.trigger) == raised.trigger,
            col(EscalationPolicy.level) == raised.level,
        )
    )
    assert subject is not None and policy is not None
    reference: datetime = getattr(subject, column)
    return reference + timedelta(minutes=policy.threshold_minutes)
