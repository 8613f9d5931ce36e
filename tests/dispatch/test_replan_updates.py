"""A re-plan's new plan reaches taskUpdates subscribers: every task it gives to another
technician or another time is pushed, work it leaves in place is not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker
from app.dispatch import replan
from app.main import create_app
from app.work_orders import offers
from schema.ids import encode_id
from tests.dispatch import test_service_factories as f
from tests.dispatch.test_replan import _assign, tech
from tests.realtime.ws import nothing_within, receive, subscribe
from tests.support import serving

UPDATES = """
subscription Updates($territoryId: ID) {
  taskUpdates(territoryId: $territoryId) {
    action toStatus reason
    task { id status scheduledStart }
  }
}
"""


@pytest.fixture
async def address(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> AsyncIterator[str]:
    async with serving(create_app(settings, sessions=sessions, broker=broker)) as address:
        yield address


def _update(message: dict[str, Any]) -> dict[str, Any]:
    assert message["type"] == "next", message
    data: dict[str, Any] = message["payload"]["data"]["taskUpdates"]
    return data


async def test_a_replan_pushes_the_tasks_it_moved_and_only_them(
    address: str,
    settings: Settings,
    session: AsyncSession,
    sessions: SessionFactory,
    broker: Broker,
) -> None:
    # given three visits offered to A and one B rejects, committed
    d = await f.day(session)
    a, b = d.technicians
    planned = [await f.task(session, d, start=9 + 2 * i, end=10 + 2 * i) for i in range(3)]
    for i, task in enumerate(planned):
        await _assign(session, task, a.id, 9 + 2 * i)
    rejected = await f.task(session, d, start=14, end=16)
    await _assign(session, rejected, b.id, 14)
    await offers.reject_task(session, tech(b.id), rejected.id or 0, "not my area")
    await session.commit()
    # and a dispatcher following the territory
    territory = encode_id("Territory", d.territory.id or 0)
    socket = await subscribe(
        address, settings, Role.DISPATCHER, UPDATES, {"territoryId": territory}
    )
    await nothing_within(socket, 0.3)  # the subscription has started
    # when the territory's day is re-planned
    run = await replan.replan_territory(sessions, broker, d.territory.id or 0, now=f.tomorrow_at(7))
    # then the rejected visit, offered again, is pushed with its new technician and time
    assert run is not None and run.moved_count == 0
    update = _update(await receive(socket))
    assert update["action"] == "ASSIGN" and update["toStatus"] == "DISPATCHED"
    assert update["reason"] == f"planned by dispatch run {run.id}"
    assert update["task"]["id"] == encode_id("Task", rejected.id or 0)
    assert update["task"]["scheduledStart"] is not None
    # and nothing is pushed for the visits left in place
    assert await nothing_within(socket, 1.0)
    await socket.close()
