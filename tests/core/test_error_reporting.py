"""Errors as clients and operators see them: production suggests no names of the schema, and
client errors are logged as one line each, without a traceback; only unexpected failures
get one."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from app.core.config import Environment, Settings
from app.core.db import SessionFactory
from app.core.events import Broker
from app.main import create_app
from schema import extensions
from tests.support import GraphQLClient

TYPOS = [
    ("an unknown argument", "{ partners(frist: 1) { totalCount } }", {}),
    ("an unknown enum value", "{ technicians(status: [ACTIVV]) { totalCount } }", {}),
    ("an unknown type", "query($x: Partnr) { partners { totalCount } }", {}),
    (
        "an unknown input field",
        'mutation { createPartner(input: {nme: "a", code: "b"}) { partner { id } } }',
        {},
    ),
    (
        "a variable with an unknown input field",
        "mutation($i: CreatePartnerInput!) { createPartner(input: $i) { partner { id } } }",
        {"i": {"nme": "a", "name": "a", "code": "b"}},
    ),
    (
        "a variable with an unknown enum value",
        "query($s: [TechnicianStatus!]) { technicians(status: $s) { totalCount } }",
        {"s": ["ACTIVV"]},
    ),
    ("an unknown field", "{ partnerz { totalCount } }", {}),
]


def app_client(
    settings: Settings, sessions: SessionFactory, broker: Broker, gql: GraphQLClient, **changes: Any
) -> httpx.AsyncClient:
    changed = Settings(**{**settings.model_dump(), **changes})
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(changed, sessions=sessions, broker=broker)),
        base_url="http://127.0.0.1",
        headers=gql.headers(),
    )


@pytest.mark.parametrize(("case", "query", "variables"), TYPOS, ids=[t[0] for t in TYPOS])
async def test_production_suggests_no_names(
    settings: Settings,
    sessions: SessionFactory,
    broker: Broker,
    gql: GraphQLClient,
    case: str,
    query: str,
    variables: dict[str, Any],
) -> None:
    async with app_client(settings, sessions, broker, gql, env=Environment.PROD) as prod:
        body = (await prod.post("/graphql", json={"query": query, "variables": variables})).json()
    async with app_client(settings, sessions, broker, gql) as dev:
        dev_body = (
            await dev.post("/graphql", json={"query": query, "variables": variables})
        ).json()

    assert body["errors"], case
    assert not any("Did you mean" in error["message"] for error in body["errors"])
    assert any("Did you mean" in error["message"] for error in dev_body["errors"])


class Recorder:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str, dict[str, Any]]] = []

    def __getattr__(self, level: str) -> Callable[..., None]:
        return lambda event, **fields: self.lines.append((level, event, fields))


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(extensions, "log", recorder)
    return recorder


CLIENT_ERRORS = [
    '{ node(id: "bm90LWFuLWlk") { id } partners(after: "not-a-cursor") { totalCount } }',
    '{ partners(first: "x") { totalCount } }',
    "{ partners { totalCount ",
    '{ taskCosting(taskIds: ["VGFzazox"]) { taskId } }',
]


@pytest.mark.parametrize("query", CLIENT_ERRORS)
async def test_client_errors_are_logged_as_one_line_without_traceback(
    gql: GraphQLClient, recorded: Recorder, caplog: pytest.LogCaptureFixture, query: str
) -> None:
    caplog.set_level(logging.INFO)
    body = await gql.as_role(None).raw(query) if "taskCosting" in query else await gql.raw(query)

    assert body["errors"]
    assert recorded.lines
    assert all(level == "info" and event == "client error" for level, event, _ in recorded.lines)
    assert all("exc_info" not in fields for _, _, fields in recorded.lines)
    assert not [r for r in caplog.records if r.exc_info or r.name.startswith("strawberry")]


async def test_unexpected_errors_are_logged_with_their_traceback(
    gql: GraphQLClient, recorded: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.partners import repository

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(repository, "listed", broken)
    body = await gql.raw("{ partners { totalCount } }")

    assert body["errors"][0]["extensions"] == {"code": "INTERNAL"}
    ((level, event, fields),) = recorded.lines
    assert (level, event) == ("error", "unexpected error")
    assert isinstance(fields["exc_info"], RuntimeError)
