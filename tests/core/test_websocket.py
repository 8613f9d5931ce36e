"""Subscriptions over both WebSocket protocols, authenticated at connection_init."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app.core.auth import Role
from app.core.channels import ALERTS
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker, Event
from app.main import create_app
from tests.support import serving, token

ALERTS_SUBSCRIPTION = "subscription { alerts { kind level message at } }"
TRANSPORT_WS, LEGACY_WS = "graphql-transport-ws", "graphql-ws"


@pytest.fixture
async def address(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> AsyncIterator[str]:
    async with serving(create_app(settings, sessions=sessions, broker=broker)) as address:
        yield address


async def open_socket(address: str, protocol: str, auth: str | None) -> ClientConnection:
    socket = await connect(f"ws://{address}/graphql", subprotocols=[protocol], open_timeout=5)  # type: ignore[list-item]
    payload = {"Authorization": auth} if auth else {}
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    return socket


async def receive(socket: ClientConnection, wait: float = 2.0) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), wait))
    return message


async def publish_until_received(broker: Broker, socket: ClientConnection) -> dict[str, Any]:
    """Publish until the subscription, which starts asynchronously, delivers one message."""
    alert = Event(ALERTS, "SLA_UNASSIGNED", {"level": 2, "message": "task waits"})
    for _ in range(20):
        await broker.publish(alert)
        try:
            message = await receive(socket, wait=0.25)
        except TimeoutError:
            continue
        if message["type"] in ("next", "data"):
            return message
    raise AssertionError("no message was delivered")


@pytest.mark.parametrize(
    ("protocol", "start", "data"),
    [(TRANSPORT_WS, "subscribe", "next"), (LEGACY_WS, "start", "data")],
)
async def test_a_dispatcher_receives_alerts_over_both_protocols(
    address: str, broker: Broker, settings: Settings, protocol: str, start: str, data: str
) -> None:
    socket = await open_socket(address, protocol, f"Bearer {token(settings, Role.DISPATCHER)}")
    assert (await receive(socket))["type"] == "connection_ack"
    await socket.send(
        json.dumps({"id": "1", "type": start, "payload": {"query": ALERTS_SUBSCRIPTION}})
    )

    message = await publish_until_received(broker, socket)
    await socket.close()

    assert message["type"] == data
    assert message["payload"]["data"]["alerts"]["kind"] == "SLA_UNASSIGNED"
    assert message["payload"]["data"]["alerts"]["level"] == 2


async def test_a_bad_token_at_connection_init_closes_the_socket(address: str) -> None:
    socket = await open_socket(address, TRANSPORT_WS, "Bearer forged")
    with pytest.raises(ConnectionClosed) as closed:
        await receive(socket)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_technician_may_not_subscribe_to_alerts(address: str, settings: Settings) -> None:
    socket = await open_socket(
        address, TRANSPORT_WS, f"Bearer {token(settings, Role.TECHNICIAN, technician_id=1)}"
    )
    assert (await receive(socket))["type"] == "connection_ack"
    await socket.send(
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ALERTS_SUBSCRIPTION}})
    )

    message = await receive(socket)
    await socket.close()

    assert message["type"] == "error"
    assert message["payload"][0]["extensions"] == {"code": "FORBIDDEN"}


async def test_an_anonymous_socket_may_not_subscribe(address: str) -> None:
    socket = await open_socket(address, TRANSPORT_WS, None)
    assert (await receive(socket))["type"] == "connection_ack"
    await socket.send(
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ALERTS_SUBSCRIPTION}})
    )

    message = await receive(socket)
    await socket.close()

    assert message["payload"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
