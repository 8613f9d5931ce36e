"""Traces: a GraphQL request is one trace, from the HTTP server span through the operation and
its root fields to each SQL statement, and its log line names the trace."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from app.core import http, telemetry
from app.core.auth import Role
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker
from app.main import create_app
from schema.tracing import tracing_extensions
from tests.support import token

TECHNICIANS = "query TechniciansPage { technicians(first: 2) { totalCount edges { node { id } } } }"


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.use_tracer_provider(provider)
    yield exporter
    telemetry.use_tracer_provider(None)
    provider.shutdown()


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


async def test_a_graphql_request_is_one_trace_down_to_its_statements_and_its_log_line(
    settings: Settings,
    sessions: SessionFactory,
    broker: Broker,
    exported: InMemorySpanExporter,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an app whose spans go to memory and whose logs are JSON lines at INFO
    logged = settings.model_copy(update={"log_level": "INFO", "log_json": True})
    app = create_app(logged, sessions=sessions, broker=broker)
    # (a logger made before this app's logging settings would keep the earlier ones)
    monkeypatch.setattr(http, "log", structlog.get_logger("fieldgraph.http"))

    # When a dispatcher's named query is sent over HTTP
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        response = await client.post(
            "/graphql",
            json={"query": TECHNICIANS},
            headers={"Authorization": f"Bearer {token(logged, Role.DISPATCHER)}"},
        )
    assert response.status_code == 200 and "errors" not in response.json()

    # Then the operation is a server span named after it, inside the HTTP server span
    spans = exported.get_finished_spans()
    by_id = {span.context.span_id: span for span in spans}
    (operation,) = [s for s in spans if s.name == "query TechniciansPage"]
    assert operation.kind is SpanKind.SERVER
    assert operation.attributes == {
        "component": "graphql",
        "graphql.operation.type": "query",
        "graphql.operation.name": "TechniciansPage",
    }
    (request,) = [s for s in spans if s.name == "POST /graphql"]
    assert request.kind is SpanKind.SERVER
    assert ancestors(operation, by_id) == ["POST /graphql"]
    assert request.attributes is not None
    assert request.attributes["graphql.operation.name"] == "TechniciansPage"
    assert request.attributes["http.route"] == "/graphql"

    # and every SQL statement it ran is a client span below it, the field's under the field
    statements = [s for s in spans if s.kind is SpanKind.CLIENT]
    texts = [statement_text(s) for s in statements]
    assert any("FROM technician" in text for text in texts), texts
    for statement in statements:
        assert "query TechniciansPage" in ancestors(statement, by_id)
    field = [s for s in statements if "FROM technician" in statement_text(s)]
    assert all(ancestors(s, by_id)[0] == "GraphQL Resolving: technicians" for s in field)
    assert {s.context.trace_id for s in spans} == {request.context.trace_id}

    # and the request's log line carries the trace id and the server span's id
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if "{" in line]
    (line,) = [line for line in lines if line.get("event") == "request"]
    assert line["trace_id"] == format(request.context.trace_id, "032x")
    assert line["span_id"] == format(request.context.span_id, "016x")


def statement_text(span: ReadableSpan) -> str:
    attributes: Any = span.attributes or {}
    return str(attributes.get("db.statement") or attributes.get("db.query.text") or "")


async def test_health_probes_leave_no_span(
    settings: Settings,
    sessions: SessionFactory,
    broker: Broker,
    exported: InMemorySpanExporter,
) -> None:
    # Given an app with tracing on, when its health probe is called, then no span is left
    app = create_app(settings, sessions=sessions, broker=broker)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        assert (await client.get("/healthz")).status_code == 200
    assert exported.get_finished_spans() == ()


def test_nothing_of_opentelemetry_is_loaded_while_tracing_is_off(settings: Settings) -> None:
    # Given no OTLP endpoint and no provider, when an app is made in a fresh process
    script = (
        "import sys\n"
        "from app.core.config import Settings\n"
        "from app.main import create_app\n"
        "create_app(Settings(run_jobs=False, otel_exporter_otlp_endpoint=None))\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )

    # Then no OpenTelemetry module was imported, and nothing is added to the app or logs
    assert result.stdout.strip() == "[]"
    assert telemetry.middleware(settings) == []
    assert tracing_extensions(settings) == []
    assert telemetry.add_trace_ids(None, "info", {"event": "x"}) == {"event": "x"}
