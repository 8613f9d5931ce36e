"""Dispatch plans with the learned median, appointment slots promise the learned p80."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.models import utcnow
from app.dispatch import slots
from app.dispatch.problem_builder import load_facts
from app.durations import service
from app.durations.service import Use
from schema.ids import encode_id
from tests.dispatch import test_service_factories as f
from tests.dispatch.test_slots import AVAILABLE_SLOTS, HERE
from tests.durations.factories import completed, open_task
from tests.support import GraphQLClient
from tests.work_orders import factories
from tests.work_orders.factories import World, world

pytestmark = pytest.mark.asyncio


async def test_dispatch_plans_with_the_median_once_confident(session: AsyncSession) -> None:
    # given an unplanned repair typed in at 45 minutes, on an asset whose repairs take ~100
    w = await world(session)
    waiting = await open_task(session, w, static=45, technician=False)
    start = utcnow()
    end = start + timedelta(days=1)
    before = await load_facts(session, w.territory.id or 0, start, end)
    assert {t.id: t.duration for t in before.tasks} == {waiting.id: 45}
    for i in range(12):
        await completed(session, w, 90 + (i % 3) * 10, day=i)
    # when the model is trained
    await service.retrain(session)
    # then the planner's problem carries the learned median instead
    after = await load_facts(session, w.territory.id or 0, start, end)
    median = (await service.planned_minutes(session, [waiting.id or 0], Use.PLANNING))[
        waiting.id or 0
    ]
    assert {t.id: t.duration for t in after.tasks} == {waiting.id: median}
    assert 95 <= median <= 105


async def _long_repairs(session: AsyncSession) -> tuple[f.Day, int]:
    """A territory day whose repairs on one asset take about 500 minutes (typed in at 60)."""
    d = await f.day(session, technicians=1)
    thing = await factories.asset(session, d.site)
    w = World(d.territory, d.customer, d.site, thing, d.hvac, d.technicians[0])
    for i in range(12):
        await completed(session, w, 480 + (i % 3) * 20, day=i)
    waiting = await open_task(session, w, static=60, technician=False)
    await service.retrain(session)
    slots.invalidate()
    return d, waiting.id or 0


async def test_slots_for_a_task_fit_its_learned_p80(session: AsyncSession) -> None:
    d, task_id = await _long_repairs(session)
    plain = slots.SlotRequest(
        HERE, 60, (d.hvac.code,), f.tomorrow_at(8), f.tomorrow_at(18), slot_minutes=120
    )
    for_task = slots.SlotRequest(
        HERE,
        60,
        (d.hvac.code,),
        f.tomorrow_at(8),
        f.tomorrow_at(18),
        slot_minutes=120,
        task_id=task_id,
    )
    promised = await slots.promised_minutes(session, for_task)
    assert promised >= 480
    short = [s.start for s in await slots.available_slots(session, plain)]
    long = [s.start for s in await slots.available_slots(session, for_task)]
    assert f.tomorrow_at(16) in short
    assert f.tomorrow_at(16) not in long and long and set(long) < set(short)


async def test_available_slots_takes_a_task_id(gql: GraphQLClient, session: AsyncSession) -> None:
    d, task_id = await _long_repairs(session)
    base = {
        "point": {"lat": HERE.lat, "lng": HERE.lng},
        "durationMinutes": 60,
        "skills": [d.hvac.code],
        "from": f.tomorrow_at(8).isoformat(),
        "to": f.tomorrow_at(18).isoformat(),
        "slotMinutes": 120,
    }
    short = (await gql(AVAILABLE_SLOTS, {"input": base}))["availableSlots"]
    task = {**base, "taskId": encode_id("Task", task_id)}
    long = (await gql(AVAILABLE_SLOTS, {"input": task}))["availableSlots"]
    assert len(long) < len(short)


async def test_a_customer_may_not_size_slots_by_another_customers_task(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    d, task_id = await _long_repairs(session)
    other = await factories.customer(session)
    query = {
        "point": {"lat": HERE.lat, "lng": HERE.lng},
        "durationMinutes": 60,
        "skills": [d.hvac.code],
        "taskId": encode_id("Task", task_id),
    }
    stranger = await gql.as_role(Role.CUSTOMER, customer_id=other.id).raw(
        AVAILABLE_SLOTS, {"input": query}
    )
    assert stranger["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    owner = await gql.as_role(Role.CUSTOMER, customer_id=d.customer.id).raw(
        AVAILABLE_SLOTS, {"input": query}
    )
    assert "errors" not in owner
