"""kpiUpdates over WebSocket: a committed completion pushes the day's tiles within 2 s."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import ClientConnection

from app.core.auth import Role
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker, Event, take_pending
from app.main import create_app
from schema.ids import encode_id
from tests.kpis import helpers
from tests.realtime.ws import nothing_within, receive, subscribe
from tests.support import serving
from tests.work_orders import factories

TILES = """
subscription ($filters: KpiFilterInput) {
  kpiUpdates(metrics: [JOBS_COMPLETED, FIRST_TIME_FIX_RATE], filters: $filters) {
    days rows { bucket values { metric value } }
  }
}
"""


async def _first(broker: Broker, socket: ClientConnection, events: list[Event]) -> Any:
    """The first message, publishing until the subscription is listening (it starts
    asynchronously after the subscribe message)."""
    for _ in range(8):
        await broker.publish_all(events)
        try:
            return await receive(socket, within=0.25)
        except TimeoutError:
            continue
    raise AssertionError("no tiles within 2 s")


@pytest.fixture
async def address(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> AsyncIterator[str]:
    async with serving(create_app(settings, sessions=sessions, broker=broker)) as address:
        yield address


async def test_a_completion_pushes_the_days_tiles_to_its_territory_only(
    address: str, settings: Settings, broker: Broker, session: AsyncSession
) -> None:
    # given a manager watching one territory and a dispatcher watching another
    w = await factories.world(session)
    elsewhere = await factories.territory(session, "MYS")
    mine = {"territoryIds": [encode_id("Territory", w.territory.id)]}  # type: ignore[arg-type]
    theirs = {"territoryIds": [encode_id("Territory", elsewhere.id)]}  # type: ignore[arg-type]
    watching = await subscribe(address, settings, Role.MANAGER, TILES, {"filters": mine})
    other = await subscribe(address, settings, Role.DISPATCHER, TILES, {"filters": theirs})
    try:
        task = await helpers.new_task(session, w)
        assert task.id is not None
        for step in (helpers.assign, helpers.arrive, helpers.complete):
            assert await helpers.committed(session, step(session, w, task.id))
        # when the completion's transaction commits and its events are published
        await session.commit()
        events = [e for e in take_pending(session) if e.kind == "KPI_CHANGED"]
        assert events
        # then the watcher of the territory hears the day's figures within 2 s
        message = await _first(broker, watching, events)
        tiles = message["payload"]["data"]["kpiUpdates"]
        values = {v["metric"]: Decimal(v["value"]) for v in tiles["rows"][0]["values"]}
        assert values == {"JOBS_COMPLETED": 1, "FIRST_TIME_FIX_RATE": 1}
        # and the other territory's watcher hears nothing
        assert await nothing_within(other, 0.5)
    finally:
        await watching.close()
        await other.close()
