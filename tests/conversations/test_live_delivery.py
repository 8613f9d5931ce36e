"""conversationMessages over WebSocket: a message sent through one app instance reaches a
subscriber on another through Redis; a caller who may not read the thread cannot subscribe.

Both instances serve on loopback with the test's rolled-back transaction and a private
redis-server; a message is sent only once the subscription has settled (they share the
test's connection)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.conversations import service
from app.core.auth import Role
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker
from app.main import create_app
from schema.ids import encode_id
from tests.conversations.factories import Case, case
from tests.realtime.redis_server import RedisServer
from tests.realtime.ws import receive, subscribe
from tests.support import serving, token

FOLLOW = """
subscription($id: ID!) { conversationMessages(conversationId: $id) {
  action message { body senderRole kind conversationId } } }
"""
SEND = """
mutation($input: SendConversationMessageInput!) { sendConversationMessage(input: $input) {
  message { id } userErrors { code } } }
"""


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.kill()


@pytest.fixture
async def c(session: AsyncSession) -> Case:
    return await case(session)


@pytest.fixture
async def two_instances(
    settings: Settings, sessions: SessionFactory, redis_server: RedisServer
) -> AsyncIterator[tuple[str, str]]:
    brokers = [Broker(redis_server.url), Broker(redis_server.url)]
    for broker in brokers:
        await broker.connect()
    try:
        async with (
            serving(create_app(settings, sessions=sessions, broker=brokers[0])) as a,
            serving(create_app(settings, sessions=sessions, broker=brokers[1])) as b,
        ):
            yield a, b
    finally:
        for broker in brokers:
            await broker.disconnect()


async def thread_of(session: AsyncSession, c: Case) -> str:
    thread = await service.open_thread(
        session, subject=service.Subject.service_request(c.request.id or 0)
    )
    await session.commit()
    return encode_id("Conversation", thread.id or 0)


async def send(
    address: str, settings: Settings, thread: str, body: str, **links: int | None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token(settings, Role.TECHNICIAN, **links)}"}
    variables = {"input": {"conversationId": thread, "body": body}}
    async with httpx.AsyncClient(base_url=f"http://{address}") as http:
        response = await http.post(
            "/graphql", json={"query": SEND, "variables": variables}, headers=headers
        )
    payload: dict[str, Any] = response.json()["data"]["sendConversationMessage"]
    return payload


async def test_a_message_sent_on_instance_a_reaches_a_subscriber_on_instance_b(
    two_instances: tuple[str, str], settings: Settings, session: AsyncSession, c: Case
) -> None:
    a, b = two_instances
    thread = await thread_of(session, c)
    socket = await subscribe(
        b, settings, Role.CUSTOMER, FOLLOW, {"id": thread}, customer_id=c.world.customer.id
    )
    await asyncio.sleep(0.3)  # the subscription checks access on the shared connection
    technician = c.world.technician.id
    for n in range(20):
        sent = await send(a, settings, thread, f"On my way ({n})", technician_id=technician)
        assert sent["userErrors"] == []
        try:
            message = await receive(socket, 0.5)
            break
        except TimeoutError:
            continue
    else:
        raise AssertionError("instance B delivered nothing")
    await socket.close()

    assert message["type"] == "next", message
    event = message["payload"]["data"]["conversationMessages"]
    assert event["action"] == "POSTED"
    assert event["message"]["senderRole"] == "TECHNICIAN"
    assert event["message"]["body"].startswith("On my way")
    assert event["message"]["conversationId"] == thread


async def test_a_caller_who_may_not_read_the_thread_cannot_subscribe(
    two_instances: tuple[str, str], settings: Settings, session: AsyncSession, c: Case
) -> None:
    _, b = two_instances
    thread = await thread_of(session, c)
    socket = await subscribe(
        b, settings, Role.CUSTOMER, FOLLOW, {"id": thread}, customer_id=c.other.customer.id
    )
    message = await receive(socket)
    await socket.close()
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "NOT_FOUND"
