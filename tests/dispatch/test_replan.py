"""In-day re-planning: triggers from task changes, debounce, pinned work, few moves."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.auth import Principal, Role
from app.core.db import SessionFactory
from app.dispatch import replan
from app.dispatch.models import ReplanTrigger, RunKind, RunStatus
from app.work_orders import offers
from app.work_orders.models import Task, TaskStatus
from tests.dispatch import test_service_factories as f


def tech(technician_id: int | None) -> Principal:
    return Principal(subject=f"t{technician_id}", role=Role.TECHNICIAN, technician_id=technician_id)


async def _assign(
    session: AsyncSession, task: Task, technician_id: int | None, hour: float
) -> None:
    await offers.assign_task(
        session, f.DISPATCHER, task.id or 0, technician_id or 0, f.tomorrow_at(hour)
    )


async def test_a_creation_and_a_rejection_each_record_one_trigger(session: AsyncSession) -> None:
    d = await f.day(session)
    task = await f.task(session, d)
    await _assign(session, task, d.technicians[0].id, 10)
    await offers.reject_task(session, tech(d.technicians[0].id), task.id or 0, "van broke down")
    await session.flush()
    triggers = (
        await session.scalars(
            select(ReplanTrigger)
            .where(col(ReplanTrigger.territory_id) == d.territory.id)
            .order_by(col(ReplanTrigger.id))
        )
    ).all()
    assert [(t.action, t.task_id) for t in triggers] == [("CREATE", task.id), ("REJECT", task.id)]


async def test_the_debounce_waits_for_a_quiet_territory(session: AsyncSession) -> None:
    d = await f.day(session)
    task = await f.task(session, d)
    await _assign(session, task, d.technicians[0].id, 10)
    await offers.reject_task(session, tech(d.technicians[0].id), task.id or 0, "sick")
    await session.flush()
    trigger = await session.scalar(
        select(ReplanTrigger).where(col(ReplanTrigger.territory_id) == d.territory.id)
    )
    assert trigger is not None
    soon, later = trigger.at + timedelta(seconds=5), trigger.at + timedelta(seconds=30)
    assert d.territory.id not in await replan.due_territories(session, soon, 20)
    assert d.territory.id in await replan.due_territories(session, later, 20)


async def test_a_replan_gives_rejected_work_away_and_keeps_the_rest_in_place(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    # given three visits offered to A, one accepted by B, and one B rejects
    d = await f.day(session)
    a, b = d.technicians
    planned = [await f.task(session, d, start=9 + 2 * i, end=10 + 2 * i) for i in range(3)]
    for i, task in enumerate(planned):
        await _assign(session, task, a.id, 9 + 2 * i)
    accepted = await f.task(session, d, start=9, end=10)
    await _assign(session, accepted, b.id, 9)
    await offers.accept_task(session, tech(b.id), accepted.id or 0)
    rejected = await f.task(session, d, start=14, end=16)
    await _assign(session, rejected, b.id, 14)
    await offers.reject_task(session, tech(b.id), rejected.id or 0, "not my area")
    await session.commit()
    # when the territory's day is re-planned from 07:00
    run = await replan.replan_territory(sessions, None, d.territory.id or 0, now=f.tomorrow_at(7))
    # then the rejected visit is offered again (not to B), B keeps the accepted one pinned
    assert run is not None and run.kind is RunKind.REPLAN and run.status is RunStatus.SUCCEEDED
    await session.refresh(rejected)
    assert rejected.status is TaskStatus.DISPATCHED and rejected.technician_id == a.id
    assert run.pinned_count == 1 and run.moved_count == 0
    for task in planned:
        version = task.version
        await session.refresh(task)
        assert (task.technician_id, task.version) == (a.id, version)
    # and the triggers are consumed: a second round has nothing to do
    assert (
        await replan.replan_territory(sessions, None, d.territory.id or 0, now=f.tomorrow_at(7))
        is None
    )


async def test_a_new_calm_task_does_not_replan_but_an_urgent_one_does(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    d = await f.day(session)
    await f.task(session, d, priority=4)
    await session.commit()
    assert (
        await replan.replan_territory(sessions, None, d.territory.id or 0, now=f.tomorrow_at(7))
        is None
    )
    urgent = await f.task(session, d, priority=1)
    await session.commit()
    run = await replan.replan_territory(sessions, None, d.territory.id or 0, now=f.tomorrow_at(7))
    assert run is not None and run.published_count >= 1
    await session.refresh(urgent)
    assert urgent.status is TaskStatus.DISPATCHED
