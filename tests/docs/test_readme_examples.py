"""Every GraphQL block of the README runs as written against the demo city, as the role its
first line names, logged in with that role's demo user, as a newcomer would.

A block's first line is `# as ROLE: what it shows` (ROLE ANYONE: no token). A `# variables:`
line gives its variables; a value written `<path above>` is read from the previous block's
answer (`holdSlot.slotHold.id`, list items by index). Subscriptions go over WebSocket and must
push a first answer.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from websockets.asyncio.client import connect

from app.core import bootstrap
from app.core.config import Settings
from app.core.db import create_engine, create_session_factory
from app.demo.command import seed_database
from app.demo.generator import DEMO_DOMAIN, DEMO_PASSWORD, LOCAL
from app.main import create_app
from tests.conftest import _recreate_database
from tests.support import serving

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"```graphql\n(.*?)```", re.DOTALL)
ROLE_LINE = re.compile(r"# as ([A-Z]+)\b")
REFERENCE = re.compile(r"^<(.+) above>$")


def blocks() -> list[str]:
    return BLOCK.findall(README.read_text())


def role_of(block: str) -> str:
    found = ROLE_LINE.match(block)
    assert found, f"a README example must say who runs it (# as ROLE):\n{block}"
    return found.group(1)


def variables_of(block: str, previous: dict[str, Any] | None) -> dict[str, Any]:
    line = next((ln for ln in block.splitlines() if ln.startswith("# variables:")), None)
    if line is None:
        return {}
    values = json.loads(line.removeprefix("# variables:"))
    return {name: resolve(value, previous) for name, value in values.items()}


def resolve(value: Any, previous: dict[str, Any] | None) -> Any:
    found = REFERENCE.match(value) if isinstance(value, str) else None
    if found is None:
        return value
    assert previous is not None, f"{value} needs the block before it"
    node: Any = previous
    for step in found.group(1).split("."):
        node = node[int(step)] if isinstance(node, list) else node[step]
    return node


@pytest.fixture(scope="module")
def demo_database(settings: Settings) -> Iterator[str]:
    url = make_url(settings.database_url)
    demo = url.set(database=f"{url.database}_readme").render_as_string(hide_password=False)
    asyncio.run(_recreate_database(demo))
    bootstrap.upgrade(demo)
    yield demo


@pytest.fixture
async def demo_address(settings: Settings, demo_database: str) -> AsyncIterator[str]:
    demo_settings = settings.model_copy(update={"database_url": demo_database})
    engine = create_engine(demo_settings)
    sessions = create_session_factory(engine)
    try:
        # the demo as it stands at 11:00 today, when visits are under way whatever the hour now
        today = datetime.now(LOCAL).date()
        await seed_database(sessions, out=_Quiet(), if_empty=True, today=today)
        # the app opens its own pools, the read pool for queries among them, as `make run` does
        app = create_app(demo_settings)
        async with app.router.lifespan_context(app), serving(app) as address:
            yield address
    finally:
        await engine.dispose()


class _Quiet:
    def write(self, text: str) -> int:
        return len(text)


async def test_every_readme_example_runs_as_written(demo_address: str) -> None:
    examples = blocks()
    assert len(examples) >= 8
    tokens: dict[str, str | None] = {"ANYONE": None}
    previous: dict[str, Any] | None = None
    async with httpx.AsyncClient(base_url=f"http://{demo_address}", timeout=30) as http:
        for block in examples:
            role = role_of(block)
            if role not in tokens:
                tokens[role] = await log_in(http, role)
            variables = variables_of(block, previous)
            if block_is_subscription(block):
                previous = await first_push(demo_address, tokens[role], block, variables)
            else:
                previous = await run(http, tokens[role], block, variables)


def block_is_subscription(block: str) -> bool:
    code = [ln for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]
    return code[0].lstrip().startswith("subscription")


async def log_in(http: httpx.AsyncClient, role: str) -> str:
    email = f"{role.lower()}@{DEMO_DOMAIN}"
    body = (
        await http.post(
            "/graphql",
            json={
                "query": "mutation($e: String!, $p: String!) "
                "{ login(input: {email: $e, password: $p}) { token userErrors { message } } }",
                "variables": {"e": email, "p": DEMO_PASSWORD},
            },
        )
    ).json()
    token = body["data"]["login"]["token"]
    assert token, f"the demo has no {role} login: {body}"
    return str(token)


async def run(
    http: httpx.AsyncClient, token: str | None, block: str, variables: dict[str, Any]
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql", json={"query": block, "variables": variables}, headers=headers
    )
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, (block, body)
    data: dict[str, Any] = body["data"]
    assert_no_user_errors(data, block)
    assert_something_found(data, block)
    return data


def assert_no_user_errors(data: dict[str, Any], block: str) -> None:
    for payload in data.values():
        if isinstance(payload, dict) and "userErrors" in payload:
            assert payload["userErrors"] == [], (block, payload)


def assert_something_found(data: dict[str, Any], block: str) -> None:
    """An example that shows an empty list shows nothing: the demo must fill it."""
    for name, value in data.items():
        empty = value == [] or (isinstance(value, dict) and value.get("edges") == [])
        assert not empty, f"{name} came back empty in\n{block}"


async def first_push(
    address: str, token: str | None, block: str, variables: dict[str, Any]
) -> dict[str, Any]:
    async with connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        subscribe = {"query": block, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message["type"] == "next" and "errors" not in message["payload"], (block, message)
    data: dict[str, Any] = message["payload"]["data"]
    return data
