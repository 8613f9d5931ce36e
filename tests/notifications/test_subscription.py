"""myNotifications over WebSocket: each recipient hears only their own notifications."""

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
from app.main import create_app
from app.notifications.outbox import NOTIFICATION_DELIVERED, inbox_channel
from schema.ids import encode_id
from tests.notifications.graphql_support import notification
from tests.support import serving, token
from tests.work_orders import factories

MINE = "subscription { myNotifications { id event body read } }"


@pytest.fixture
async def address(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> AsyncIterator[str]:
    async with serving(create_app(settings, sessions=sessions, broker=broker)) as address:
        yield address


async def subscribe(address: str, settings: Settings, role: Role, **links: int) -> ClientConnection:
    socket = await connect(
        f"ws://{address}/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        open_timeout=5,
    )
    auth = f"Bearer {token(settings, role, **links)}"
    await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": auth}}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 2))["type"] == "connection_ack"
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": MINE}}))
    return socket


async def first_message(broker: Broker, socket: ClientConnection, event: Event) -> dict[str, Any]:
    for _ in range(20):
        await broker.publish_all([event])
        try:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 0.25))
        except TimeoutError:
            continue
        return message
    raise AssertionError("no message was delivered")


def delivered(customer_id: int, notification_id: int) -> Event:
    data = {"notification_id": notification_id, "customer_id": customer_id, "event": "ON_THE_WAY"}
    return Event(inbox_channel(customer_id), NOTIFICATION_DELIVERED, data)


async def test_a_customer_hears_their_own_notification(
    address: str, settings: Settings, broker: Broker, session: AsyncSession
) -> None:
    # given a customer listening, and a notification of theirs delivered
    customer = await factories.customer(session)
    assert customer.id is not None
    row = await notification(session, customer.id)
    socket = await subscribe(address, settings, Role.CUSTOMER, customer_id=customer.id)
    try:
        message = await first_message(broker, socket, delivered(customer.id, row.id or 0))
    finally:
        await socket.close()
    # then it arrives as the inbox query shows it
    assert message["type"] == "next"
    assert message["payload"]["data"]["myNotifications"] == {
        "id": encode_id("Notification", row.id or 0),
        "event": "ON_THE_WAY",
        "body": "Your technician is on the way",
        "read": False,
    }


async def test_a_forged_event_about_someone_elses_notification_is_not_shown(
    address: str, settings: Settings, broker: Broker, session: AsyncSession
) -> None:
    # given two customers, the first listening
    me, other = await factories.customer(session), await factories.customer(session)
    assert me.id is not None and other.id is not None
    theirs = await notification(session, other.id)
    mine = await notification(session, me.id)
    socket = await subscribe(address, settings, Role.CUSTOMER, customer_id=me.id)
    try:
        # when an event on my channel names their notification, then mine only comes through
        await broker.publish_all([delivered(me.id, theirs.id or 0)])
        message = await first_message(broker, socket, delivered(me.id, mine.id or 0))
    finally:
        await socket.close()
    assert message["payload"]["data"]["myNotifications"]["id"] == encode_id(
        "Notification", mine.id or 0
    )


async def test_staff_cannot_subscribe_to_an_inbox(address: str, settings: Settings) -> None:
    socket = await subscribe(address, settings, Role.DISPATCHER)
    try:
        message = json.loads(await asyncio.wait_for(socket.recv(), 2))
    finally:
        await socket.close()
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "FORBIDDEN"
