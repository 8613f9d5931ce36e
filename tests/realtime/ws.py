"""A small graphql-transport-ws client for subscription tests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from app.core.auth import Role
from app.core.config import Settings
from tests.support import token


async def subscribe(
    address: str,
    settings: Settings,
    role: Role,
    query: str,
    variables: dict[str, Any] | None = None,
    **links: int | None,
) -> ClientConnection:
    socket = await connect(
        f"ws://{address}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    )
    auth = f"Bearer {token(settings, role, **links)}"
    await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": auth}}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 2))["type"] == "connection_ack"
    payload = {"query": query, "variables": variables or {}}
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    return socket


async def receive(socket: ClientConnection, within: float = 3.0) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), within))
    return message


async def nothing_within(socket: ClientConnection, seconds: float) -> bool:
    try:
        await asyncio.wait_for(socket.recv(), seconds)
    except TimeoutError:
        return True
    return False
