"""inventoryChanges over WebSocket: staff watch any location, a technician only their van."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import ClientConnection, connect

from app.core.auth import Role
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker, Event
from app.inventory import channels
from app.inventory.catalogue import ensure_van
from app.main import create_app
from schema.ids import encode_id
from tests.inventory import factories
from tests.support import serving, token

CHANGES = """
subscription($location: ID) {
  inventoryChanges(locationId: $location) {
    onHand reserved delta kind part { sku } location { code }
  }
}
"""


@pytest.fixture
async def address(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> AsyncIterator[str]:
    async with serving(create_app(settings, sessions=sessions, broker=broker)) as address:
        yield address


async def subscribe(
    address: str, settings: Settings, role: Role, location_id: int, **links: int
) -> ClientConnection:
    socket = await connect(
        f"ws://{address}/graphql",
        subprotocols=["graphql-transport-ws"],
        open_timeout=5,  # type: ignore[list-item]
    )
    auth = f"Bearer {token(settings, role, **links)}"
    await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": auth}}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 2))["type"] == "connection_ack"
    variables = {"location": encode_id("StockLocation", location_id)}
    await socket.send(
        json.dumps(
            {"id": "1", "type": "subscribe", "payload": {"query": CHANGES, "variables": variables}}
        )
    )
    return socket


async def publish_until_received(
    broker: Broker, socket: ClientConnection, event: Event
) -> dict[str, Any]:
    for _ in range(20):
        await broker.publish_all([event])
        try:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 0.25))
        except TimeoutError:
            continue
        return message
    raise AssertionError("no message was delivered")


def change(location_id: int, part_id: int) -> Event:
    data = {
        "movement_id": 1,
        "kind": "CONSUME",
        "location_id": location_id,
        "part_id": part_id,
        "on_hand": 4,
        "reserved": 1,
        "delta": -2,
        "reserved_delta": 0,
        "task_id": None,
    }
    return Event(channels.location(location_id), "STOCK_CHANGED", data)


async def test_a_dispatcher_watches_a_location_change(
    address: str, settings: Settings, broker: Broker, session: AsyncSession
) -> None:
    place, item = await factories.warehouse(session, "WATCH"), await factories.part(session, "W-1")
    assert place.id and item.id
    socket = await subscribe(address, settings, Role.DISPATCHER, place.id)
    try:
        message = await publish_until_received(broker, socket, change(place.id, item.id))
    finally:
        await socket.close()

    assert message["type"] == "next"
    assert message["payload"]["data"]["inventoryChanges"] == {
        "onHand": 4,
        "reserved": 1,
        "delta": -2,
        "kind": "CONSUME",
        "part": {"sku": "W-1"},
        "location": {"code": "WATCH"},
    }


async def test_a_technician_may_watch_only_their_own_van(
    address: str, settings: Settings, broker: Broker, session: AsyncSession
) -> None:
    place = await factories.warehouse(session, "NOTYOURS")
    tech = await factories.technician(session)
    assert place.id and tech.id
    await ensure_van(session, tech.id)
    socket = await subscribe(address, settings, Role.TECHNICIAN, place.id, technician_id=tech.id)
    try:
        message = json.loads(await asyncio.wait_for(socket.recv(), 2))
    finally:
        await socket.close()

    assert message["type"] == "next"
    assert message["payload"]["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
