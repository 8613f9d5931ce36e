"""A dispatch run plans a crew task waiting for dispatch and offers it to the crew it chose."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.db import SessionFactory
from app.core.models import utcnow
from app.crews.models import CrewMember
from app.crews.service import assign_crew
from app.dispatch import service
from app.dispatch.models import DispatchRunCreate
from app.work_orders.models import TaskStatus
from tests.dispatch import test_service_factories as f


async def test_a_run_offers_a_crew_task_to_a_crew_starting_together(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    # given three technicians, a two-person task and a plain one
    d = await f.day(session, technicians=3)
    crew_task = await f.task(session, d, start=9, end=12, duration=120)
    crew_task.crew_size = 2
    plain = await f.task(session, d, start=9, end=16)
    assert d.territory.id is not None
    data = DispatchRunCreate(
        territory_id=d.territory.id,
        horizon_start=f.tomorrow_at(0),
        horizon_end=f.tomorrow_at(24),
        time_limit_seconds=1,
        publish=True,
    )
    run = await service.request_run(session, f.DISPATCHER, data)
    await session.commit()
    # when the run plans and publishes
    done = await service.execute_run(sessions, None, run.id or 0, now=utcnow())
    assert done is not None and done.error is None
    # then the crew task has two stops starting together, and is offered to that crew
    stops = [s for r in done.routes for s in r["stops"] if s["task_id"] == crew_task.id]
    assert len(stops) == 2 and len({s["start"] for s in stops}) == 1
    await session.refresh(crew_task)
    await session.refresh(plain)
    assert crew_task.status is TaskStatus.DISPATCHED and plain.status is TaskStatus.DISPATCHED
    members = (
        await session.scalars(select(CrewMember).where(col(CrewMember.task_id) == crew_task.id))
    ).all()
    assert len(members) == 2 and sum(m.is_lead for m in members) == 1
    lead = next(m for m in members if m.is_lead)
    assert crew_task.technician_id == lead.technician_id


async def test_a_run_plans_nothing_for_a_member_while_their_crew_works(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    # given a crew of two offered 10:00-12:00 tomorrow, and a one-hour task due in that time
    d = await f.day(session, technicians=2)
    lead, member = d.technicians
    crew_task = await f.task(session, d, start=9, end=12, duration=120)
    crew_task.crew_size = 2
    await session.flush()
    assert crew_task.id is not None and lead.id is not None and member.id is not None
    await assign_crew(session, f.DISPATCHER, crew_task.id, lead.id, [member.id], f.tomorrow_at(10))
    other = await f.task(session, d, start=10, end=11, duration=60)
    data = DispatchRunCreate(
        territory_id=d.territory.id or 0,
        horizon_start=f.tomorrow_at(0),
        horizon_end=f.tomorrow_at(24),
        time_limit_seconds=1,
    )
    run = await service.request_run(session, f.DISPATCHER, data)
    await session.commit()
    done = await service.execute_run(sessions, None, run.id or 0, now=utcnow())
    assert done is not None and done.error is None
    # then neither the lead nor the member is given the other task meanwhile
    assert [u["task_id"] for u in done.unassigned] == [other.id]
    planned = [s for r in done.routes for s in r["stops"] if s["task_id"] == crew_task.id]
    assert [datetime.fromisoformat(s["start"]) for s in planned] == [f.tomorrow_at(10)]
