"""assistQueueChanges over WebSocket: a qualified expert hears of a new request in the queue;
a technician who is neither its asker nor an expert hears nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from app.core.auth import Principal, Role
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker, Event
from app.main import create_app
from app.remote_service import assist
from app.remote_service.channels import ASSIST_CHANGED, ASSIST_QUEUE
from app.remote_service.models import AssistCreate
from schema.ids import encode_id
from tests.remote_service import factories as rf
from tests.support import serving, token
from tests.work_orders import factories as wf

CHANGES = "subscription { assistQueueChanges { assistRequestId status escalationLevel } }"


@pytest.fixture
async def address(
    settings: Settings, committed_sessions: SessionFactory, broker: Broker
) -> AsyncIterator[str]:
    """A server on the committed database: its two subscribers read with their own
    connections at once."""
    app = create_app(settings, sessions=committed_sessions, broker=broker)
    async with serving(app) as address:
        yield address


async def _subscribe(
    address: str, settings: Settings, role: Role, **links: Any
) -> ClientConnection:
    socket = await connect(
        f"ws://{address}/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        open_timeout=5,
    )
    auth = f"Bearer {token(settings, role, **links)}"
    await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": auth}}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 2))["type"] == "connection_ack"
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": CHANGES}}))
    return socket


async def test_a_qualified_expert_hears_of_a_new_request_and_a_stranger_does_not(
    committed_sessions: SessionFactory, settings: Settings, broker: Broker, address: str
) -> None:
    # given an expert in the task's skill and a technician who is neither asker nor expert
    async with committed_sessions() as session, session.begin():
        site = await rf.field_task(session)
        user = await rf.staff_user(session, Role.AGENT)
        await rf.expert(session, site.world.skill, 4, user=user)
        stranger = await wf.technician(session)
    expert_socket = await _subscribe(address, settings, Role.AGENT, user_id=user.id)
    stranger_socket = await _subscribe(
        address, settings, Role.TECHNICIAN, technician_id=stranger.id
    )

    # when a technician asks for help (its event published as a commit would)
    asker = Principal("test:technician", Role.TECHNICIAN, technician_id=site.world.technician.id)
    async with committed_sessions() as session, session.begin():
        row = await assist.ask(
            session,
            asker,
            AssistCreate(task_id=site.task.id or 0, skill_code=site.world.skill.code, question="?"),
        )
    data = {"assist_request_id": row.id, "status": "OPEN", "escalation_level": 0}
    event = Event(ASSIST_QUEUE, ASSIST_CHANGED, data)
    for _ in range(20):
        await broker.publish_all([event])
        try:
            message = json.loads(await asyncio.wait_for(expert_socket.recv(), 0.25))
        except TimeoutError:
            continue
        break
    else:
        raise AssertionError("no change was delivered")

    # then the expert hears it entered the queue
    assert message["payload"]["data"]["assistQueueChanges"] == {
        "assistRequestId": encode_id("AssistRequest", row.id or 0),
        "status": "OPEN",
        "escalationLevel": 0,
    }
    # and the stranger hears nothing
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(stranger_socket.recv(), 0.5)
    await expert_socket.close()
    await stranger_socket.close()
