"""A refused token says so in the client's own terms: a GraphQL error body, a close reason."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.core.auth import WEBSOCKET_FORBIDDEN, Principal, Role, issue_token
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker
from app.main import create_app
from tests.support import GraphQLClient, serving


async def test_a_bad_bearer_token_gets_a_graphql_error_body_with_401(gql: GraphQLClient) -> None:
    response = await gql.http.post(
        "/graphql", json={"query": "{ me { role } }"}, headers={"Authorization": "Bearer forged"}
    )

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    assert "Authorization: Bearer" in error["message"]


async def test_an_expired_token_is_named_as_such(gql: GraphQLClient, settings: Settings) -> None:
    principal = Principal(subject="test:admin", role=Role.ADMIN)
    expired = issue_token(settings, principal, ttl=timedelta(seconds=-60))

    response = await gql.http.get(
        "/graphql", params={"query": "{ me { role } }"}, headers={"Authorization": expired}
    )
    wrong_scheme = response.json()["errors"][0]["message"]
    response = await gql.http.get(
        "/graphql",
        params={"query": "{ me { role } }"},
        headers={"Authorization": f"Bearer {expired}"},
    )

    assert "expected 'Bearer <token>'" in wrong_scheme
    assert response.status_code == 401
    assert "expired" in response.json()["errors"][0]["message"]


@pytest.fixture
async def address(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> AsyncIterator[str]:
    async with serving(create_app(settings, sessions=sessions, broker=broker)) as address:
        yield address


async def test_a_socket_with_a_bad_token_is_closed_with_a_reason_that_helps(address: str) -> None:
    async with connect(
        f"ws://{address}/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        open_timeout=5,
    ) as socket:
        init = {"type": "connection_init", "payload": {"Authorization": "Bearer forged"}}
        await socket.send(json.dumps(init))
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403
    assert closed.value.rcvd.reason == WEBSOCKET_FORBIDDEN
    assert "connection_init" in WEBSOCKET_FORBIDDEN


async def test_a_legacy_socket_with_a_bad_token_gets_the_same_explanation(address: str) -> None:
    async with connect(
        f"ws://{address}/graphql",
        subprotocols=["graphql-ws"],  # type: ignore[list-item]
        open_timeout=5,
    ) as socket:
        init = {"type": "connection_init", "payload": {"Authorization": "Bearer forged"}}
        await socket.send(json.dumps(init))
        message = json.loads(await socket.recv())

    assert message == {"type": "connection_error", "payload": {"message": WEBSOCKET_FORBIDDEN}}
