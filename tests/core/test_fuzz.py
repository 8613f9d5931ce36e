"""Schema-driven fuzzing: random queries and mutations, drawn from the schema with hostile
values, against a seeded city as an ADMIN and as a CUSTOMER. Whatever a caller sends, the
answer is never a 5xx or INTERNAL, and nothing but client errors reaches the log.

FUZZ_EXAMPLES sets the operations per role (small by default; `make fuzz` runs many) and
FUZZ_SEED the draw (fixed by default, so `make test` is repeatable; `make fuzz` takes a new
one each run, and a failing run prints it)."""

from __future__ import annotations

import asyncio
import io
import logging
import os
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.core import bootstrap
from app.core.auth import Role
from app.core.config import Settings
from app.core.db import SerializedSession, SessionFactory
from app.core.events import Broker
from app.demo.command import seed_database
from app.main import build_schema, create_app
from schema import extensions
from schema.ids import encode_id
from tests.conftest import _recreate_database
from tests.core.schema_fuzz import Operation, OperationStrategies
from tests.support import token

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ_SEED = int(os.environ.get("FUZZ_SEED") or 20261204)


class LogRecorder:
    """Stands in for the GraphQL error log: keeps what would have been written."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str, dict[str, Any]]] = []

    def _record(self, level: str) -> Any:
        def record(event: str, **fields: Any) -> None:
            self.lines.append((level, event, fields))

        return record

    def __getattr__(self, level: str) -> Any:
        return self._record(level)

    def unexpected(self, since: int = 0) -> list[tuple[str, str, dict[str, Any]]]:
        return [line for line in self.lines[since:] if line[0] not in ("debug", "info", "warning")]


def draw(strategy: st.SearchStrategy, count: int, at_seed: int) -> list[Operation]:
    drawn: list[Operation] = []

    @seed(at_seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(operation: Operation) -> None:
        drawn.append(operation)

    collect()
    return drawn


def problem(response: httpx.Response, logged: list[Any]) -> str | None:
    if response.status_code >= 500:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    if logged:
        return f"logged {logged[0][1]}: {logged[0][2].get('exc_info')!r}"
    if response.headers.get("content-type", "").startswith("application/json"):
        for error in response.json().get("errors") or []:
            if (error.get("extensions") or {}).get("code") == "INTERNAL":
                return f"INTERNAL: {error}"
    return None


@pytest.fixture(scope="session")
def fuzz_database(settings: Settings) -> Iterator[str]:
    """A database of its own, recreated per run: the fuzzed requests commit on connections
    of their own, as in production, and must not disturb the other tests' data."""
    url = make_url(settings.database_url)
    fuzz = url.set(database=f"{url.database}_fuzz").render_as_string(hide_password=False)
    asyncio.run(_recreate_database(fuzz))
    bootstrap.upgrade(fuzz)
    yield fuzz


@pytest.fixture
async def fuzz_sessions(fuzz_database: str) -> AsyncIterator[SessionFactory]:
    engine = create_async_engine(fuzz_database, pool_size=4, max_overflow=0)
    sessions = async_sessionmaker(
        engine, class_=SerializedSession, expire_on_commit=False, autoflush=False
    )
    await seed_database(
        sessions, today=date(2026, 12, 4), customers=60, technicians=8, out=io.StringIO()
    )
    yield sessions
    await engine.dispose()


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> LogRecorder:
    recorder = LogRecorder()
    monkeypatch.setattr(extensions, "log", recorder)
    return recorder


async def test_fuzzed_operations_never_fail_inside(
    settings: Settings,
    fuzz_sessions: SessionFactory,
    broker: Broker,
    log: LogRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a small seeded city, and operations drawn from the schema
    strategies = OperationStrategies(build_schema(settings)._schema)
    operations = draw(strategies.operations(), FUZZ_EXAMPLES, FUZZ_SEED)
    callers = {
        "ADMIN": token(settings, Role.ADMIN),
        "CUSTOMER": token(settings, Role.CUSTOMER, customer_id=1),
    }
    app = create_app(settings, sessions=fuzz_sessions, broker=broker)
    failures: list[str] = []
    caplog.set_level(logging.ERROR)

    # when each caller sends every operation
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://127.0.0.1",
    ) as http:
        for role, bearer in callers.items():
            for operation in operations:
                seen = len(log.lines)
                response = await http.post(
                    "/graphql",
                    content=operation.body(),
                    headers={
                        "Authorization": f"Bearer {bearer}",
                        "content-type": "application/json",
                    },
                )
                found = problem(response, [*log.unexpected(seen), *caplog.records])
                caplog.clear()
                if found:
                    failures.append(f"{role}: {found}\n  {operation.body()[:2000]}")

    # then none failed inside
    ran = len(operations) * len(callers)
    assert not failures, (
        f"{len(failures)} of {ran} operations failed inside (FUZZ_SEED={FUZZ_SEED}):\n"
        + "\n".join(failures[:10])
    )


SIBLING_CANCELLED = """
{ territories { technicians { id homeBase { lat } } }
  requisitions(after: "bm90LWEtY3Vyc29y") { totalCount } }
"""


async def test_a_field_failing_beside_a_dataloader_leaves_the_session_usable(
    settings: Settings, fuzz_sessions: SessionFactory, broker: Broker, log: LogRecorder
) -> None:
    """The failing field nulls the result, so graphql-core cancels its sibling, whose
    DataLoader batch (a task of its own) is still running a statement on the session: the
    operation's rollback waits for it instead of failing on a busy connection."""
    app = create_app(settings, sessions=fuzz_sessions, broker=broker)
    headers = {"Authorization": f"Bearer {token(settings, Role.ADMIN)}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1", headers=headers
    ) as http:
        for _ in range(5):
            body = (await http.post("/graphql", json={"query": SIBLING_CANCELLED})).json()
            assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID"]
        after = (await http.post("/graphql", json={"query": "{ partners { totalCount } }"})).json()

    assert "errors" not in after
    assert log.unexpected() == []


UPDATE_TEMPLATE = """
mutation($input: UpdateNotificationTemplateInput!) {
  updateNotificationTemplate(input: $input) { template { body } userErrors { field code } }
}"""


async def test_an_explicit_null_for_a_column_that_needs_a_value_is_a_user_error(
    settings: Settings, fuzz_sessions: SessionFactory, broker: Broker, log: LogRecorder
) -> None:
    app = create_app(settings, sessions=fuzz_sessions, broker=broker)
    headers = {"Authorization": f"Bearer {token(settings, Role.ADMIN)}"}
    variables = {"input": {"id": encode_id("NotificationTemplate", 1), "body": None}}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1", headers=headers
    ) as http:
        response = await http.post(
            "/graphql", json={"query": UPDATE_TEMPLATE, "variables": variables}
        )

    assert response.json() == {
        "data": {
            "updateNotificationTemplate": {
                "template": None,
                "userErrors": [{"field": ["body"], "code": "INVALID"}],
            }
        }
    }
    assert log.unexpected() == []


CREATE_TECHNICIAN = """
mutation {
  createTechnician(input: {name: "Ravi", homeBase: {lat: 12.97, lng: 77.59},
                           costPerHour: {currency: "RUPEES", amount: "450.00"}}) {
    technician { id } userErrors { field code }
  }
}"""


async def test_a_value_too_long_for_its_column_is_a_user_error(
    settings: Settings, fuzz_sessions: SessionFactory, broker: Broker, log: LogRecorder
) -> None:
    app = create_app(settings, sessions=fuzz_sessions, broker=broker)
    headers = {"Authorization": f"Bearer {token(settings, Role.ADMIN)}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1", headers=headers
    ) as http:
        body = (await http.post("/graphql", json={"query": CREATE_TECHNICIAN})).json()

    assert body == {
        "data": {
            "createTechnician": {
                "technician": None,
                "userErrors": [{"field": None, "code": "INVALID"}],
            }
        }
    }
    assert log.unexpected() == []
