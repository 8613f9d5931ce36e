"""technicianLocations over WebSocket: who sees which technicians, territory and box filters."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from app.core.auth import Role
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker, Event
from app.main import create_app
from app.tracking import channels
from schema.ids import encode_id
from tests.support import serving, token

LOCATIONS = """
subscription Follow($territoryId: ID, $bbox: BBoxInput) {
  technicianLocations(territoryId: $territoryId, bbox: $bbox) {
    technicianId location { lat lng } recordedAt speedMps heading
  }
}
"""
AT = "2025-03-01T10:00:00+00:00"


@pytest.fixture
async def address(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> AsyncIterator[str]:
    async with serving(create_app(settings, sessions=sessions, broker=broker)) as address:
        yield address


async def follow(
    address: str,
    settings: Settings,
    role: Role,
    variables: dict[str, Any] | None = None,
    **links: int,
) -> ClientConnection:
    socket = await connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    auth = f"Bearer {token(settings, role, **links)}"
    await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": auth}}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 2))["type"] == "connection_ack"
    await socket.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": LOCATIONS, "variables": variables or {}},
            }
        )
    )
    return socket


def location(
    technician: int, partner: int | None, territory: int, lat: float = 12.97, lng: float = 77.59
) -> list[Event]:
    data = {
        "technician_id": technician,
        "partner_id": partner,
        "territory_id": territory,
        "lat": lat,
        "lng": lng,
        "recorded_at": AT,
        "accuracy_m": 5.0,
        "speed_mps": 3.5,
        "heading": 90.0,
    }
    return [
        Event(channel, channels.TECHNICIAN_LOCATION, data)
        for channel in (
            channels.ALL_LOCATIONS,
            channels.territory_locations(territory),
            channels.technician_locations(technician),
        )
    ]


async def first_seen(
    broker: Broker, socket: ClientConnection, hidden: list[list[Event]], shown: list[Event]
) -> dict[str, Any]:
    """Publish what the caller must not see, then what they may see, until something arrives;
    the first message received must be the visible one."""
    for _ in range(20):
        for events in hidden:
            await broker.publish_all(events)
        await broker.publish_all(shown)
        try:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 0.25))
        except TimeoutError:
            continue
        await socket.close()
        return message
    raise AssertionError("nothing was delivered")


def technician_of(message: dict[str, Any]) -> str:
    return str(message["payload"]["data"]["technicianLocations"]["technicianId"])


async def test_a_dispatcher_sees_every_technician_with_the_full_selection(
    address: str, settings: Settings, broker: Broker
) -> None:
    socket = await follow(address, settings, Role.DISPATCHER)

    message = await first_seen(broker, socket, [], location(7, None, 1))

    assert message["type"] == "next"
    assert message["payload"]["data"]["technicianLocations"] == {
        "technicianId": encode_id("Technician", 7),
        "location": {"lat": 12.97, "lng": 77.59},
        "recordedAt": AT,
        "speedMps": 3.5,
        "heading": 90.0,
    }


async def test_a_partner_sees_only_its_own_technicians(
    address: str, settings: Settings, broker: Broker
) -> None:
    socket = await follow(address, settings, Role.PARTNER, partner_id=3)

    message = await first_seen(
        broker, socket, [location(8, 4, 1), location(9, None, 1)], location(10, 3, 1)
    )

    assert technician_of(message) == encode_id("Technician", 10)


async def test_a_technician_sees_only_themselves(
    address: str, settings: Settings, broker: Broker
) -> None:
    socket = await follow(address, settings, Role.TECHNICIAN, technician_id=11)

    message = await first_seen(broker, socket, [location(12, None, 1)], location(11, None, 1))

    assert technician_of(message) == encode_id("Technician", 11)


async def test_a_territory_filter_keeps_other_territories_out(
    address: str, settings: Settings, broker: Broker
) -> None:
    variables = {"territoryId": encode_id("Territory", 2)}
    socket = await follow(address, settings, Role.MANAGER, variables)

    message = await first_seen(broker, socket, [location(13, None, 1)], location(14, None, 2))

    assert technician_of(message) == encode_id("Technician", 14)


async def test_a_bounding_box_keeps_technicians_outside_it_out(
    address: str, settings: Settings, broker: Broker
) -> None:
    variables = {"bbox": {"south": 12.9, "west": 77.5, "north": 13.0, "east": 77.7}}
    socket = await follow(address, settings, Role.ADMIN, variables)

    message = await first_seen(
        broker, socket, [location(15, None, 1, lat=13.08, lng=80.27)], location(16, None, 1)
    )

    assert technician_of(message) == encode_id("Technician", 16)


@pytest.mark.parametrize(("role", "code"), [(Role.CUSTOMER, "FORBIDDEN")])
async def test_a_customer_may_not_follow_technicians(
    address: str, settings: Settings, role: Role, code: str
) -> None:
    socket = await follow(address, settings, role, customer_id=5)

    message = json.loads(await asyncio.wait_for(socket.recv(), 2))
    await socket.close()

    assert message["type"] == "error"
    assert message["payload"][0]["extensions"] == {"code": code}


async def test_an_anonymous_socket_may_not_follow_technicians(address: str) -> None:
    socket = await connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 2))["type"] == "connection_ack"
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": LOCATIONS}}))

    message = json.loads(await asyncio.wait_for(socket.recv(), 2))
    await socket.close()

    assert message["payload"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
