"""Bad input over WebSocket, on both protocols: an operation whose document does not parse
gets an `error` (the socket and its other operations live on), a malformed message gets an
error too, JSON nested too deeply closes the socket, and graphql-ws clients may run queries
and mutations."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from app.core.auth import Role
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker
from app.main import create_app
from tests.core.test_websocket import LEGACY_WS, TRANSPORT_WS, open_socket, receive
from tests.support import serving, token

START = {TRANSPORT_WS: "subscribe", LEGACY_WS: "start"}
BOTH = pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
UNPARSABLE = {
    "a syntax error": "subscription { alerts { kind ",
    "too many tokens": "subscription { alerts { " + "kind " * 1200 + "} }",
}


@pytest.fixture
async def address(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> AsyncIterator[str]:
    async with serving(create_app(settings, sessions=sessions, broker=broker)) as address:
        yield address


async def dispatcher_socket(address: str, settings: Settings, protocol: str) -> ClientConnection:
    socket = await open_socket(address, protocol, f"Bearer {token(settings, Role.DISPATCHER)}")
    assert (await receive(socket))["type"] == "connection_ack"
    return socket


async def start(socket: ClientConnection, protocol: str, query: str, id: str = "1") -> None:
    message = {"id": id, "type": START[protocol], "payload": {"query": query}}
    await socket.send(json.dumps(message))


async def next_message(socket: ClientConnection) -> dict[str, Any]:
    while True:
        message = await receive(socket)
        if message["type"] != "ka":
            return message


@BOTH
@pytest.mark.parametrize("document", UNPARSABLE.values(), ids=UNPARSABLE.keys())
async def test_a_document_that_does_not_parse_gets_an_error(
    address: str, settings: Settings, protocol: str, document: str
) -> None:
    socket = await dispatcher_socket(address, settings, protocol)

    await start(socket, protocol, document)
    error = await next_message(socket)
    await start(socket, protocol, "query { me { role } }", id="2")
    answer = await next_message(socket)
    await socket.close()

    assert error["type"] == "error" and error["id"] == "1"
    payload = error["payload"][0] if protocol == TRANSPORT_WS else error["payload"]
    assert payload["message"].startswith("Syntax Error")
    assert answer["payload"] == {"data": {"me": {"role": "DISPATCHER"}}}


@BOTH
async def test_queries_and_mutations_are_answered_with_data_then_complete(
    address: str, settings: Settings, protocol: str
) -> None:
    socket = await dispatcher_socket(address, settings, protocol)

    await start(socket, protocol, "query { me { role } }")
    data, complete = await next_message(socket), await next_message(socket)
    await start(
        socket,
        protocol,
        'mutation { createPartner(input: {name: "n", code: "WS"}) { userErrors { code } } }',
        id="2",
    )
    mutated = await next_message(socket)
    await socket.close()

    assert data == {
        "id": "1",
        "type": "next" if protocol == TRANSPORT_WS else "data",
        "payload": {"data": {"me": {"role": "DISPATCHER"}}},
    }
    assert complete == {"id": "1", "type": "complete"}
    assert mutated["payload"] == {
        "data": {"createPartner": {"userErrors": [{"code": "FORBIDDEN"}]}}
    }


@BOTH
async def test_a_start_without_a_query_gets_an_error(
    address: str, settings: Settings, protocol: str
) -> None:
    socket = await dispatcher_socket(address, settings, protocol)

    await socket.send(json.dumps({"id": "1", "type": START[protocol], "payload": {}}))
    try:
        reply: dict[str, Any] | None = await next_message(socket)
    except ConnectionClosed as closed:
        reply = None
        assert closed.rcvd is not None and closed.rcvd.code == 4400
    await socket.close()

    if protocol == LEGACY_WS:
        assert reply == {
            "type": "error",
            "id": "1",
            "payload": {"message": "an operation needs a payload with a query"},
        }


@BOTH
async def test_json_nested_too_deeply_closes_the_socket(
    address: str, settings: Settings, protocol: str
) -> None:
    socket = await dispatcher_socket(address, settings, protocol)

    await socket.send('{"id": "1", "type": "x", "payload": ' + "[" * 1000 + "]" * 1000 + "}")
    with pytest.raises(ConnectionClosed) as closed:
        await next_message(socket)

    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
    assert "nested deeper" in closed.value.rcvd.reason
