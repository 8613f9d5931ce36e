"""`/metrics`: what an instance does, in Prometheus' text format, bounded and protected."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.core import metrics
from app.core.auth import Role
from app.core.config import Environment, Settings
from app.core.db import SessionFactory
from app.core.events import Broker
from app.main import create_app
from tests.core.test_websocket import ALERTS_SUBSCRIPTION, TRANSPORT_WS, open_socket, receive
from tests.support import GraphQLClient, serving, token


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the scrape (0 when the series does not exist yet)."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


async def scrape(http: httpx.AsyncClient) -> str:
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_operations_are_counted_by_name_and_outcome_and_timed(gql: GraphQLClient) -> None:
    ops = "fieldgraph_graphql_operations_total"
    before = await scrape(gql.http)

    await gql("query PartnerCount { partners { totalCount } }")
    await gql.raw("query Broken { partnerz { totalCount } }")

    after = await scrape(gql.http)
    ok = {"type": "query", "operation": "PartnerCount", "outcome": "ok"}
    invalid = {"type": "query", "operation": "Broken", "outcome": "INVALID"}
    timed = {"type": "query", "operation": "PartnerCount"}
    assert sample(after, ops, **ok) == sample(before, ops, **ok) + 1
    assert sample(after, ops, **invalid) == sample(before, ops, **invalid) + 1
    seconds = "fieldgraph_graphql_operation_seconds_count"
    assert sample(after, seconds, **timed) == sample(before, seconds, **timed) + 1
    errors = "fieldgraph_graphql_errors_total"
    code = {"code": "INVALID"}
    assert sample(after, errors, **code) == sample(before, errors, **code) + 1


async def test_a_client_cannot_grow_the_operation_names_without_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(metrics, "_operation_names", {f"Seen{i}" for i in range(200)})

    assert metrics.operation_label("Seen7") == "Seen7"
    assert metrics.operation_label("BrandNew") == metrics.OTHER
    assert metrics.operation_label("A" * 65) == metrics.OTHER
    assert metrics.operation_label(None) == metrics.ANONYMOUS


async def test_the_pool_and_the_fan_out_are_read_at_scrape_time(gql: GraphQLClient) -> None:
    text = await scrape(gql.http)

    assert sample(text, "fieldgraph_db_pool", state="size") >= 1
    assert "fieldgraph_fanout" in text


async def test_production_hides_metrics_unless_a_token_is_set(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> None:
    def client(**overrides: object) -> httpx.AsyncClient:
        changed = Settings(
            **{
                **settings.model_dump(),
                "env": Environment.PROD,
                "jwt_secret": "s" * 40,
                **overrides,
            }
        )
        app = create_app(changed, sessions=sessions, broker=broker)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")

    async with client() as open_to_none:
        hidden = await open_to_none.get("/metrics")
    async with client(metrics_token="scrape-me") as guarded:
        refused = await guarded.get("/metrics", headers={"Authorization": "Bearer wrong"})
        allowed = await guarded.get("/metrics", headers={"Authorization": "Bearer scrape-me"})

    assert hidden.status_code == 404
    assert refused.status_code == 401
    assert allowed.status_code == 200 and "fieldgraph_graphql_operations" in allowed.text


async def test_open_sockets_and_running_subscriptions_are_gauged(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> None:
    active = "fieldgraph_subscriptions_active"
    app = create_app(settings, sessions=sessions, broker=broker)
    async with serving(app) as address, httpx.AsyncClient(base_url=f"http://{address}") as http:
        before = await scrape(http)
        auth = f"Bearer {token(settings, Role.DISPATCHER)}"
        socket = await open_socket(address, TRANSPORT_WS, auth)
        assert (await receive(socket))["type"] == "connection_ack"
        start = {"id": "1", "type": "subscribe", "payload": {"query": ALERTS_SUBSCRIPTION}}
        await socket.send(json.dumps(start))
        during = await _until(http, lambda t: sample(t, active, field="alerts") > 0)
        await socket.close()
        after = await _until(
            http,
            lambda t: sample(t, active, field="alerts") == sample(before, active, field="alerts"),
        )

    sockets = "fieldgraph_websocket_connections"
    assert sample(during, active, field="alerts") == sample(before, active, field="alerts") + 1
    assert sample(during, sockets) == sample(before, sockets) + 1
    assert sample(after, sockets) == sample(before, sockets)


async def _until(http: httpx.AsyncClient, done: object, tries: int = 40) -> str:
    """The first scrape for which `done(text)` holds (the socket's work is asynchronous)."""
    assert callable(done)
    text = ""
    for _ in range(tries):
        text = await scrape(http)
        if done(text):
            return text
        await asyncio.sleep(0.05)
    raise AssertionError("the gauges never reached the expected values")
