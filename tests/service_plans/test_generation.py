"""Generating planned visits: tasks with tolerance windows, holidays, reruns, edits, contract
end, and done/missed outcomes with the entitlement they leave."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.channels import ALERTS
from app.core.events import pending_events
from app.service_plans import generation, service
from app.service_plans.models import ServicePlanFields, VisitStatus
from app.work_orders.models import Task, TaskEvent, TaskStatus, TaskType
from app.work_orders.transitions import Actor
from tests.service_plans import factories as sp
from tests.support import GraphQLClient

NEW_YEAR = date(2026, 1, 1)
ADMIN = Actor("test:admin", "ADMIN", "Test Admin")
IST = ZoneInfo("Asia/Kolkata")


async def test_visits_become_preventive_tasks_with_the_tolerance_window(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    home = await sp.covered_home(gql)
    plan = await sp.plan(
        session,
        home["contractDbId"],
        NEW_YEAR,
        month_day=31,
        tolerance_before_days=2,
        tolerance_after_days=3,
        duration_minutes=90,
    )

    visits = await sp.visits(session, plan.id)
    # 31 Jan (Saturday), 28 Feb (Saturday), 31 Mar (Tuesday): the horizon ends on 1 April
    assert [v.due_on for v in visits] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
    task = await session.get(Task, visits[2].task_id)
    assert task is not None
    assert (task.type, task.status, task.duration_minutes) == (
        TaskType.PREVENTIVE,
        TaskStatus.UNSCHEDULED,
        90,
    )
    assert task.asset_id == home["assetDbId"] and task.customer_id == home["customerDbId"]
    assert task.window_start == datetime(2026, 3, 29, tzinfo=UTC)
    assert task.window_end == datetime(2026, 4, 4, tzinfo=UTC)
    events = await session.scalars(select(TaskEvent).where(col(TaskEvent.task_id) == task.id))
    assert [e.action for e in events.all()] == ["CREATE"]


async def test_a_rerun_creates_nothing(gql: GraphQLClient, session: AsyncSession) -> None:
    home = await sp.covered_home(gql)
    plan = await sp.plan(session, home["contractDbId"], NEW_YEAR, frequency="WEEKLY")
    first = len(await sp.visits(session, plan.id))

    again = await generation.generate(session, NEW_YEAR, 90, plan_ids=[plan.id or 0])

    assert first == 13  # Thursdays from 1 January to 1 April
    assert again == {"plans": 1, "due": 13, "created": 0}
    assert len(await sp.visits(session, plan.id)) == 13
    tasks = await session.scalars(select(Task.id).where(col(Task.asset_id) == home["assetDbId"]))
    assert len(tasks.all()) == 13


async def test_holidays_and_sundays_move_to_the_next_working_day_in_local_time(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    await sp.territory(gql, "BLR-PLAN", ["2026-01-26", "2026-01-27"])
    home = await sp.covered_home(gql)
    # the 25th: a Sunday in January, then a Monday and a Tuesday that are holidays
    plan = await sp.plan(session, home["contractDbId"], NEW_YEAR, 40, month_day=25)

    (visit,) = await sp.visits(session, plan.id)

    assert (visit.due_on, visit.visit_on) == (date(2026, 1, 25), date(2026, 1, 28))
    assert visit.window_start == datetime(2026, 1, 28, tzinfo=IST)
    assert visit.territory_id is not None
    task = await session.get(Task, visit.task_id)
    assert task is not None and task.territory_id == visit.territory_id


async def test_a_plan_edit_remakes_only_visits_not_dispatched(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    home = await sp.covered_home(gql)
    plan = await sp.plan(session, home["contractDbId"], NEW_YEAR, month_day=10)
    jan, feb, mar = await sp.visits(session, plan.id)
    dispatched = await session.get(Task, feb.task_id)
    assert dispatched is not None
    dispatched.status = TaskStatus.DISPATCHED
    old_tasks = {jan.task_id, mar.task_id}
    await session.flush()

    assert plan.id is not None
    await service.update_plan(
        session,
        ADMIN,
        plan.id,
        ServicePlanFields(month_day=10, tolerance_after_days=1, visit_type=TaskType.INSPECTION),
        plan.version,
        NEW_YEAR,
        90,
    )

    now = await sp.visits(session, plan.id)
    assert [(v.due_on, v.status) for v in now] == [
        (date(2026, 1, 10), VisitStatus.PLANNED),
        (date(2026, 2, 10), VisitStatus.PLANNED),
        (date(2026, 3, 10), VisitStatus.PLANNED),
    ]
    assert now[1].id == feb.id and now[1].task_id == feb.task_id
    assert {now[0].task_id, now[2].task_id}.isdisjoint(old_tasks)
    remade = await session.get(Task, now[2].task_id)
    assert remade is not None and remade.type is TaskType.INSPECTION
    assert remade.window_end == datetime(2026, 3, 12, tzinfo=UTC)
    cancelled = (await session.scalars(select(Task).where(col(Task.id).in_(old_tasks)))).all()
    assert {(t.status, t.cancel_reason) for t in cancelled} == {
        (TaskStatus.CANCELLED, "the service plan changed")
    }


async def test_ending_a_contract_cancels_its_later_visits_with_the_reason(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    home = await sp.covered_home(gql)
    plan = await sp.plan(session, home["contractDbId"], NEW_YEAR, month_day=10)

    contract, cancelled = await service.end_contract(
        session, ADMIN, home["contractDbId"], date(2026, 2, 15), "customer moved", None
    )

    assert (contract.ends_on, cancelled) == (date(2026, 2, 15), 1)
    visits = await sp.visits(session, plan.id)
    assert [v.status for v in visits] == [
        VisitStatus.PLANNED,
        VisitStatus.PLANNED,
        VisitStatus.CANCELLED,
    ]
    task = await session.get(Task, visits[2].task_id)
    assert task is not None
    assert (task.status, task.cancel_reason) == (
        TaskStatus.CANCELLED,
        "contract ended: customer moved",
    )
    again = await generation.generate(session, NEW_YEAR, 90, plan_ids=[plan.id or 0])
    assert again["created"] == 0


async def test_done_and_missed_visits_count_against_the_entitlement_with_an_alert(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    home = await sp.covered_home(gql)
    plan = await sp.plan(session, home["contractDbId"], NEW_YEAR, month_day=10)
    jan, feb, _ = await sp.visits(session, plan.id)
    done = await session.get(Task, jan.task_id)
    assert done is not None
    done.status, done.finished_at = TaskStatus.COMPLETED, datetime(2026, 1, 11, tzinfo=UTC)
    await session.flush()
    mark = len(pending_events(session))

    counts = await generation.settle(session, datetime(2026, 2, 20, tzinfo=UTC))

    assert counts == {"done": 1, "cancelled": 0, "missed": 1}
    await session.refresh(jan)
    await session.refresh(feb)
    assert (jan.status, feb.status) == (VisitStatus.DONE, VisitStatus.MISSED)
    alerts = [e for e in pending_events(session)[mark:] if e.channel == ALERTS]
    assert [(a.kind, a.data["task_id"]) for a in alerts] == [(generation.MISSED_ALERT, feb.task_id)]
    (used,) = await service.entitlements(session, [home["contractDbId"]])
    # four visits a year over two years
    assert (used.included, used.done, used.missed, used.planned, used.remaining) == (8, 1, 1, 1, 7)
    assert timedelta(0) < (jan.closed_at or datetime.max.replace(tzinfo=UTC)) - datetime(
        2026, 1, 10, tzinfo=UTC
    )


async def test_a_visit_rescheduled_later_is_not_missed_before_its_new_window_closes(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    home = await sp.covered_home(gql)
    plan = await sp.plan(session, home["contractDbId"], NEW_YEAR, 20, month_day=10)
    (visit,) = await sp.visits(session, plan.id)
    task = await session.get(Task, visit.task_id)
    assert task is not None
    task.window_start = datetime(2026, 1, 25, tzinfo=UTC)
    task.window_end = datetime(2026, 1, 27, tzinfo=UTC)
    await session.flush()

    before = await generation.settle(session, datetime(2026, 1, 20, tzinfo=UTC))
    after = await generation.settle(session, datetime(2026, 1, 28, tzinfo=UTC))

    assert (before["missed"], after["missed"]) == (0, 1)
