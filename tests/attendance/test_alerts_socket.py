"""A dispatcher subscribed to a territory's alerts sees its late starts and no-shows over the
WebSocket as the attendance round raises them (the round's clock set by the test)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import ClientConnection

from app.attendance.jobs import run_attendance
from app.attendance.models import AttendancePolicy
from app.core.auth import Role
from app.core.channels import ALERTS
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker, Event
from app.main import create_app
from schema.ids import encode_id
from tests.attendance.support import at, nine_to_five, yesterday
from tests.core.test_websocket import TRANSPORT_WS, open_socket, receive
from tests.support import serving, token
from tests.work_orders import factories

SUBSCRIPTION = "subscription($t: ID) { alerts(territoryId: $t) { kind level message territoryId } }"


@pytest.fixture
async def address(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> AsyncIterator[str]:
    async with serving(create_app(settings, sessions=sessions, broker=broker)) as address:
        yield address


async def test_late_start_and_no_show_reach_the_dispatchers_socket(
    address: str,
    broker: Broker,
    settings: Settings,
    session: AsyncSession,
    sessions: SessionFactory,
) -> None:
    area = await factories.territory(session)
    session.add(AttendancePolicy(territory_id=area.id, clock_in_required=True))
    await nine_to_five(session, area)
    await session.commit()
    territory = encode_id("Territory", area.id or 0)
    socket = await open_socket(address, TRANSPORT_WS, f"Bearer {token(settings, Role.DISPATCHER)}")
    assert (await receive(socket))["type"] == "connection_ack"
    await socket.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIPTION, "variables": {"t": territory}},
            }
        )
    )
    await _live(broker, socket, area.id or 0)
    day = yesterday()

    for when in (at(day, 9, 15), at(day, 11, 5), at(day, 11, 30)):
        await run_attendance(sessions, broker, when)
    seen: list[dict[str, Any]] = []
    while len(seen) < 2:
        message = await receive(socket, wait=3.0)
        if message["type"] == "next" and message["payload"]["data"]["alerts"]["kind"] != "OTHER":
            seen.append(message["payload"]["data"]["alerts"])
    await socket.close()

    assert [(a["kind"], a["territoryId"]) for a in seen] == [
        ("TECHNICIAN_LATE_START", territory),
        ("TECHNICIAN_NO_SHOW", territory),
    ]


async def _live(broker: Broker, socket: ClientConnection, territory_id: int) -> None:
    """Publish a probe of the territory until the subscription, started asynchronously,
    delivers it."""
    probe = Event(ALERTS, "PROBE", {"message": "probe", "territory_id": territory_id})
    for _ in range(20):
        await broker.publish(probe)
        try:
            message = await receive(socket, wait=0.25)
        except TimeoutError:
            continue
        if message["type"] == "next":
            return
    raise AssertionError("the subscription never delivered")
