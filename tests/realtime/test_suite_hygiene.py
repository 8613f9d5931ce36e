"""The suite does not keep the schemas of finished tests alive: strawberry's module-wide
validation cache, keyed by schema, held up to 1,024 of them (~2 GB) until pytest exited,
whose closing collections then took over a minute. The second test checks what the first
left behind, so they run in this order (file order)."""

from __future__ import annotations

import gc
import weakref

import httpx
import pytest
from starlette.routing import Route, WebSocketRoute

from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker
from app.main import GraphQLApp, create_app

_left_behind: list[weakref.ref[object]] = []


async def test_a_test_validates_a_document_against_its_own_schema(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> None:
    app = create_app(settings, sessions=sessions, broker=broker)
    (graphql,) = {
        route.endpoint
        for route in app.routes
        if isinstance(route, Route | WebSocketRoute) and route.path == "/graphql"
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        response = await http.post("/graphql", json={"query": "{ __typename }"})
    assert response.json() == {"data": {"__typename": "Query"}}
    assert isinstance(graphql, GraphQLApp)
    _left_behind.append(weakref.ref(graphql.schema))


def test_the_schema_of_a_finished_test_is_freed() -> None:
    if not _left_behind:
        pytest.skip("runs after the test above")
    gc.collect()
    assert _left_behind[0]() is None
