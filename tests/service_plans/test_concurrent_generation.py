"""Two instances generating at once (separate connections, really committing) make each visit
and its task once: the second waits on the first's uncommitted keys, then skips them."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from sqlmodel import col, func, select

from app.contracts.models import Contract, ContractKind
from app.core.db import SessionFactory
from app.core.geo import point_value
from app.customers.models import Customer, Site
from app.service_plans.generation import generate
from app.service_plans.models import PlanFrequency, PlannedVisit, PlanTarget, ServicePlan
from app.work_orders.models import Task, TaskType

TODAY = date(2026, 3, 1)


async def _plan(sessions: SessionFactory) -> int:
    async with sessions() as session:
        customer = Customer(name=f"Race {uuid.uuid4().hex[:8]}")
        session.add(customer)
        await session.flush()
        assert customer.id is not None
        site = Site(
            customer_id=customer.id,
            name="Plant",
            address_line="1 Ring Road",
            city="Bengaluru",
            point=point_value(12.97, 77.59),
        )
        contract = Contract(
            number=f"RACE-{uuid.uuid4().hex[:12]}",
            kind=ContractKind.AMC,
            customer_id=customer.id,
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
        )
        session.add_all([site, contract])
        await session.flush()
        assert contract.id is not None and site.id is not None
        plan = ServicePlan(
            contract_id=contract.id,
            name="Weekly round",
            visit_type=TaskType.PREVENTIVE,
            target=PlanTarget.SITE,
            site_id=site.id,
            frequency=PlanFrequency.WEEKLY,
            starts_on=date(2026, 1, 1),
        )
        session.add(plan)
        await session.commit()
        assert plan.id is not None
        return plan.id


async def _run(sessions: SessionFactory, plan_id: int, delay: float, hold: float) -> int:
    await asyncio.sleep(delay)
    async with sessions() as session:
        counts = await generate(session, TODAY, 90, plan_ids=[plan_id])
        await asyncio.sleep(hold)  # keep the rows uncommitted while the other one runs
        await session.commit()
        return counts["created"]


async def test_two_sessions_at_once_make_each_visit_and_task_once(
    committed_sessions: SessionFactory,
) -> None:
    plan_id = await _plan(committed_sessions)

    first, second = await asyncio.gather(
        _run(committed_sessions, plan_id, 0.0, 0.5),
        _run(committed_sessions, plan_id, 0.1, 0.0),
    )

    async with committed_sessions() as session:
        visits = (
            await session.scalars(select(PlannedVisit).where(col(PlannedVisit.plan_id) == plan_id))
        ).all()
        task_ids = [v.task_id for v in visits]
        tasks = await session.scalar(
            select(func.count()).select_from(Task).where(col(Task.id).in_(task_ids))
        )
    assert (first, second) == (13, 0)  # Thursdays from 5 March to 28 May
    assert len(visits) == 13 and len(set(task_ids)) == 13 and tasks == 13
    assert len({v.due_on for v in visits}) == 13
