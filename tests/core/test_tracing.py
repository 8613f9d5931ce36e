"""Traces: a GraphQL request is one trace, from the HTTP server span through the operation and
its root fields to each SQL statement, and its log line names the trace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest
import structlog
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from app.core import http, telemetry
from app.core.auth import Role
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker
from app.core.ratelimit import RateLimit
from app.main import create_app
from schema.tracing import tracing_extensions
from tests.support import token

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
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
    # (the page's rows are read by the root field; totalCount, a nested field, counts later
    # without a span of its own, so its statement sits under the operation)
    page = [s for s in statements if "FROM technician" in statement_text(s)]
    page = [s for s in page if "count(" not in statement_text(s)]
    assert page and all(ancestors(s, by_id)[0] == "GraphQL Resolving: technicians" for s in page)
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


async def test_redis_commands_are_client_spans_of_the_request(
    settings: Settings,
    sessions: SessionFactory,
    broker: Broker,
    exported: InMemorySpanExporter,
) -> None:
    # Given an app whose rate limits are counted in Redis
    shared = settings.model_copy(update={"redis_url": REDIS_URL})
    app = create_app(shared, sessions=sessions, broker=broker)

    # When a request comes in
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        headers = {"Authorization": f"Bearer {token(shared, Role.DISPATCHER)}"}
        response = await client.post("/graphql", json={"query": "{ me { role } }"}, headers=headers)
    assert response.status_code == 200
    (limits,) = [m for m in app.user_middleware if m.cls is RateLimit]
    await limits.kwargs["limiter"].redis.aclose()

    # Then its rate-limit count in Redis is a client span inside the request's trace
    spans = exported.get_finished_spans()
    (request,) = [s for s in spans if s.name == "POST /graphql"]
    commands = [s for s in spans if (s.attributes or {}).get("db.system") == "redis"]
    assert commands, [s.name for s in spans]
    for command in commands:
        assert command.kind is SpanKind.CLIENT
        assert command.context.trace_id == request.context.trace_id


class Collector(BaseHTTPRequestHandler):
    """An OTLP/HTTP endpoint on loopback that keeps what it is sent."""

    received: ClassVar[list[tuple[str, str, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


EXPORT = """
import asyncio, httpx
from app.core import telemetry
from app.core.config import Settings
from app.main import create_app

async def main():
    settings = Settings(run_jobs=False, database_url=DATABASE)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        await client.post("/graphql", json={"query": "query Ping { __typename }"})
    assert telemetry.tracer_provider(settings).force_flush(10_000)

asyncio.run(main())
"""


def test_spans_leave_over_otlp_when_an_endpoint_is_set(settings: Settings) -> None:
    # Given a collector listening on loopback and OTEL_EXPORTER_OTLP_ENDPOINT naming it
    collector = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{collector.server_address[1]}"
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_SERVICE_NAME": "fg-test"}
    try:
        # When a process serves a request
        script = f"DATABASE = {settings.database_url!r}\n" + EXPORT
        subprocess.run(
            [sys.executable, "-c", script], env=env, timeout=120, check=True, capture_output=True
        )
    finally:
        collector.shutdown()
        collector.server_close()

    # Then its spans were posted to <endpoint>/v1/traces as OTLP protobuf, named and attributed
    (path, content_type, body) = Collector.received[0]
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
    request = ExportTraceServiceRequest.FromString(body)
    names = {s.name for r in request.resource_spans for ss in r.scope_spans for s in ss.spans}
    assert {"POST /graphql", "query Ping"} <= names
    resource = {a.key: a.value.string_value for a in request.resource_spans[0].resource.attributes}
    assert resource["service.name"] == "fg-test"


async def test_a_link_token_in_the_path_never_reaches_the_span(
    settings: Settings, sessions: SessionFactory, broker: Broker, exported: InMemorySpanExporter
) -> None:
    # Given an app whose spans go to memory
    app = create_app(settings, sessions=sessions, broker=broker)

    # When a signed offer link is opened with its token and a query string
    secret = "tok3n-that-must-stay-private"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        await client.get(f"/offers/{secret}?ref={secret}")

    # Then the server span names the route's template and no attribute carries the token
    (request,) = [s for s in exported.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert request.name == "GET /offers/{token}"
    attributes = dict(request.attributes or {})
    assert attributes["http.route"] == "/offers/{token}"
    assert not [key for key, value in attributes.items() if secret in str(value)]
