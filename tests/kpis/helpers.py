"""Driving tasks through the real services, each step in its own savepoint (as a commit)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.models import AttendanceBreak, AttendanceEntry, BreakKind
from app.billing.models import Invoice, InvoiceStatus
from app.core.auth import Principal, Role
from app.core.errors import DomainError
from app.core.geo import LatLng
from app.core.models import utcnow
from app.kpis.catalogue import MEASURES
from app.technicians.models import TimeOff
from app.work_orders import customer, field, offers
from app.work_orders.models import Task, TaskCreate, TaskType
from app.work_orders.service import create_task
from app.work_orders.transitions import Action, Actor
from tests.work_orders import factories

DISPATCHER = Principal(subject="test:dispatcher", role=Role.DISPATCHER, name="Dispatcher")
AT_SITE = LatLng(factories.SITE_LAT, factories.SITE_LNG)


def tech(technician_id: int | None) -> Principal:
    return Principal(
        subject=f"test:t{technician_id}", role=Role.TECHNICIAN, technician_id=technician_id
    )


def owner(customer_id: int | None) -> Principal:
    return Principal(subject=f"test:c{customer_id}", role=Role.CUSTOMER, customer_id=customer_id)


async def committed(session: AsyncSession, call: Awaitable[Any]) -> bool:
    """Run one step in a savepoint, released like a commit (the KPI hook runs); a refused
    step is rolled back. True when it went through."""
    try:
        async with session.begin_nested():
            await call
    except DomainError:
        return False
    return True


async def new_task(session: AsyncSession, w: factories.World) -> Task:
    data = TaskCreate.model_validate(
        {
            "type": TaskType.REPAIR,
            "customer_id": w.customer.id,
            "site_id": w.site.id,
            "asset_id": w.asset.id,
            "duration_minutes": 60,
            "required_skills": [{"code": w.skill.code, "min_level": 2}],
        }
    )
    return await create_task(session, Actor.of(DISPATCHER), data)


async def assign(
    session: AsyncSession, w: factories.World, task_id: int, technician_id: int | None = None
) -> None:
    start = utcnow() + timedelta(hours=1)
    who = technician_id or w.technician.id
    await offers.assign_task(session, DISPATCHER, task_id, who, start)


async def arrive(
    session: AsyncSession, w: factories.World, task_id: int, technician_id: int | None = None
) -> None:
    me = tech(technician_id or w.technician.id)
    await offers.accept_task(session, me, task_id)
    await field.move(session, me, Action.START_TRAVEL, field.Step(task_id))
    await field.check_in(session, me, field.Step(task_id, location=AT_SITE))


async def complete(
    session: AsyncSession, w: factories.World, task_id: int, technician_id: int | None = None
) -> None:
    me = tech(technician_id or w.technician.id)
    await field.move(session, me, Action.START_WORK, field.Step(task_id))
    await field.complete(
        session, me, field.Step(task_id), field.Completion("FIXED", None, "sig://1", "R. Customer")
    )


async def incomplete(
    session: AsyncSession, w: factories.World, task_id: int, technician_id: int | None = None
) -> None:
    me = tech(technician_id or w.technician.id)
    await field.move(session, me, Action.START_WORK, field.Step(task_id))
    await field.mark_incomplete(session, me, field.Step(task_id, reason="needs a part"))


async def reject(session: AsyncSession, w: factories.World, task_id: int) -> None:
    await offers.reject_task(session, tech(w.technician.id), task_id, "too far")


async def rate(session: AsyncSession, w: factories.World, task_id: int, stars: int) -> None:
    await customer.submit_feedback(session, owner(w.customer.id), task_id, stars, None)


_invoices = iter(range(1, 1_000_000))


async def invoice(session: AsyncSession, w: factories.World, task_id: int, net: int) -> None:
    """Issue the visit's invoice (its completion draft, or a new one), as billing stores an
    issued invoice; an invoice already issued stays as it is."""
    amount = Decimal(net)
    row = await session.scalar(
        sa.select(Invoice).where(
            Invoice.task_id == task_id,  # type: ignore[arg-type]
            Invoice.status != InvoiceStatus.VOID,  # type: ignore[arg-type]
        )
    )
    if row is None:
        row = Invoice(customer_id=w.customer.id, task_id=task_id)  # type: ignore[arg-type]
        session.add(row)
    elif row.status is not InvoiceStatus.DRAFT:
        return
    row.subtotal = row.net_amount = row.total = amount
    row.priced = True
    row.number = f"KPI-{task_id}-{next(_invoices)}"
    row.status = InvoiceStatus.ISSUED
    row.issued_at = utcnow()
    await session.flush()


async def time_off(session: AsyncSession, w: factories.World, days_ago: int, hours: int) -> None:
    """Record `hours` of time off for the technician, starting `days_ago` days ago."""
    start = utcnow() - timedelta(days=days_ago)
    session.add(
        TimeOff(
            technician_id=w.technician.id, starts_at=start, ends_at=start + timedelta(hours=hours)
        )
    )
    await session.flush()


async def take_break(session: AsyncSession, w: factories.World, minutes: int) -> None:
    """A finished break of `minutes` on the technician's attendance entry of today."""
    tech_id = w.technician.id
    assert tech_id is not None
    today = utcnow().astimezone(ZoneInfo(w.territory.time_zone)).date()
    entry = await session.scalar(
        sa.select(AttendanceEntry).where(
            AttendanceEntry.technician_id == tech_id,  # type: ignore[arg-type]
            AttendanceEntry.day == today,  # type: ignore[arg-type]
        )
    )
    if entry is None:
        entry = AttendanceEntry(technician_id=tech_id, territory_id=w.territory.id, day=today)
        session.add(entry)
        await session.flush()
    assert entry.id is not None
    end = utcnow()
    session.add(
        AttendanceBreak(
            entry_id=entry.id,
            kind=BreakKind.REST,
            started_at=end - timedelta(minutes=minutes),
            ended_at=end,
        )
    )
    await session.flush()


async def backdate(session: AsyncSession, task_id: int, days: int) -> None:
    """Move a task's closing and feedback back in time (history imported late, say)."""
    task = await session.get_one(Task, task_id)
    shift = timedelta(days=days)
    if task.finished_at is not None:
        task.finished_at -= shift
    if task.feedback_at is not None:
        task.feedback_at -= shift
    task.touch()
    await session.flush()


async def rollup(session: AsyncSession) -> list[tuple[Any, ...]]:
    """Every kpi_daily row but its id, sorted."""
    rows = await session.execute(sa.text("SELECT * FROM kpi_daily"))
    return sorted(
        (tuple(v for k, v in row._mapping.items() if k != "id") for row in rows), key=repr
    )


_SLICERS = "territory_id, partner_id, technician_id, product_category, channel, priority, task_type"
_SUMS = ", ".join(f"sum({c})" for c in ("facts", *MEASURES))
_QUARTER = "date_trunc('quarter', day)::date"
_MONTH = "date_trunc('month', day)::date"
_WEEK_PART = "greatest(date_trunc('week', day), date_trunc('month', day))::date"
_SPAN_SLICERS = _SLICERS.replace(
    "technician_id", "CASE WHEN grain IN ('Q', 'M', 'W') THEN technician_id END"
)
_SPANS_OF_DAILY = (
    f"SELECT grain, start, {_SPAN_SLICERS}, {_SUMS} FROM kpi_daily CROSS JOIN LATERAL "
    f"(VALUES ('Q', {_QUARTER}), ('M', {_MONTH}), ('W', {_WEEK_PART}), "
    f"('q', {_QUARTER}), ('m', {_MONTH}), ('w', {_WEEK_PART})) "
    f"s(grain, start) GROUP BY grain, start, {_SPAN_SLICERS}"
)
_ANY_NONZERO = " OR ".join(f"{s} <> 0" for s in _SUMS.split(", "))
_SPANS = (
    f"SELECT grain, start, {_SLICERS}, {_SUMS} FROM kpi_spans "
    f"GROUP BY grain, start, {_SLICERS} HAVING {_ANY_NONZERO}"
)


async def spans_and_their_days(session: AsyncSession) -> tuple[list[Any], list[Any]]:
    """The month and week spans as stored (differences summed), and as `kpi_daily` sums them."""
    stored = (await session.execute(sa.text(_SPANS))).all()
    expected = (await session.execute(sa.text(_SPANS_OF_DAILY))).all()
    return sorted(map(tuple, stored), key=repr), sorted(map(tuple, expected), key=repr)
