"""A planned visit is an ordinary task to dispatch: assigning it puts it to the customer for
confirmation through the ladder; the job generates and settles under its lock."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.confirmations.models import Confirmation
from app.contracts.models import ContractKind
from app.core.auth import Principal, Role
from app.core.db import SessionFactory
from app.core.models import utcnow
from app.service_plans import repository
from app.service_plans.jobs import JOBS, run_plans
from app.work_orders import offers
from app.work_orders.models import Task, TaskStatus
from tests.notifications.support import DISPATCHER
from tests.service_plans import factories as sp
from tests.work_orders import factories


async def test_an_assigned_planned_visit_is_confirmed_by_the_customer_and_seen_by_its_technician(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    contract = await factories.contract(session, w.customer, ContractKind.AMC, asset=w.asset)
    today = utcnow().date()
    assert contract.id is not None and w.technician.id is not None
    plan = await sp.plan(
        session,
        contract.id,
        today,
        30,
        frequency="WEEKLY",
        starts_on=today + timedelta(days=2),
        non_working_weekdays=[],
        tolerance_after_days=2,
    )
    first = (await sp.visits(session, plan.id))[0]
    task = await session.get(Task, first.task_id)
    assert task is not None and task.territory_id == w.territory.id

    start = datetime.combine(first.visit_on, time(6), task.window_start.tzinfo)  # type: ignore[union-attr]
    assigned, _ = await offers.assign_task(
        session, DISPATCHER, task.id or 0, w.technician.id, start
    )

    assert assigned.status is not TaskStatus.UNSCHEDULED
    confirmation = await session.scalar(
        select(Confirmation).where(col(Confirmation.task_id) == task.id)
    )
    assert confirmation is not None
    own = Principal("t", Role.TECHNICIAN, technician_id=w.technician.id)
    other = Principal("o", Role.TECHNICIAN, technician_id=w.technician.id + 10_000)
    seen = (await session.scalars(repository.listed_visits(own))).all()
    assert [v.id for v in seen] == [first.id]
    assert (await session.scalars(repository.listed_visits(other))).all() == []


async def test_the_job_generates_then_settles_and_a_rerun_creates_nothing(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session:
        w = await factories.world(session)
        contract = await factories.contract(session, w.customer, ContractKind.AMC, asset=w.asset)
        assert contract.id is not None
        today = utcnow().date()
        await sp.plan(session, contract.id, today, 0, frequency="WEEKLY", starts_on=today)
        await session.commit()
    later = utcnow() + timedelta(days=10)

    first = await run_plans(sessions, None, now=later, horizon_days=14)
    again = await run_plans(sessions, None, now=later, horizon_days=14)

    # the plan's first visit (today) was made at creation; by `later` it is missed
    assert first["created"] == 2 and first["missed"] == 1
    assert again["created"] == 0 and again["missed"] == 0
    assert JOBS[0].name == "service_plans.generate"
