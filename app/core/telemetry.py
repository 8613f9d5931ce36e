"""OpenTelemetry traces: the HTTP or WebSocket request, its GraphQL operation and root fields,
and the SQL statements and Redis commands they run, exported over OTLP/HTTP.

Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set (or a caller hands over a tracer provider with
`use_tracer_provider`, as the tests do with an in-memory exporter). Off costs nothing: no
OpenTelemetry module is imported, no middleware, schema extension or database listener is
added, and the log processor returns at its first line.

The pieces are the maintained instrumentations: the ASGI middleware (server spans, W3C trace
context from `traceparent`), SQLAlchemy's engine listeners (one client span per statement,
without its parameters), redis-py's (one per command), and strawberry's extension, narrowed to
the operation and its root fields (a span per nested field would cost more than the request).
Log lines written while a span is current carry its `trace_id` and `span_id`.
"""

from __future__ import annotations

import os
import socket
import weakref
from typing import TYPE_CHECKING, Any

from starlette.middleware import Middleware
from starlette.routing import Match

from app.core.config import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from structlog.types import EventDict, WrappedLogger

    from app.core.db import SessionFactory

UNTRACED_PATHS = "/healthz,/readyz,/metrics"
"""Probes and scrapes: frequent, and nothing to learn from their spans."""

_provider: TracerProvider | None = None
_traced_engines: weakref.WeakSet[Any] = weakref.WeakSet()
_redis_traced = False


def use_tracer_provider(provider: TracerProvider | None) -> None:
    """Send the spans of apps created from now on to `provider` (its processors and exporters
    are the caller's). None turns tracing off again: the database and Redis listeners added
    for the previous provider are removed."""
    global _provider, _redis_traced
    if provider is None and _provider is not None:
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

        EngineTracer.remove_all_event_listeners()
        _traced_engines.clear()
        if _redis_traced:
            from opentelemetry.instrumentation.redis import RedisInstrumentor

            RedisInstrumentor().uninstrument()
            _redis_traced = False
    _provider = provider


def tracer_provider(settings: Settings) -> TracerProvider | None:
    """The provider spans go to, made on first use from the OTLP settings; None: tracing off."""
    if _provider is None and settings.otel_exporter_otlp_endpoint:
        use_tracer_provider(_otlp_provider(settings, settings.otel_exporter_otlp_endpoint))
    return _provider


def _otlp_provider(settings: Settings, endpoint: str) -> TracerProvider:
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    resource = Resource.create(
        {
            "service.name": settings.otel_service_name,
            "service.instance.id": f"{socket.gethostname()}:{os.getpid()}",
            "deployment.environment.name": settings.env.value,
        }
    )
    sampler = ParentBased(TraceIdRatioBased(settings.otel_traces_sample_ratio))
    provider = TracerProvider(resource=resource, sampler=sampler)
    # Headers (OTEL_EXPORTER_OTLP_HEADERS), timeout and compression come from the standard
    # variables, which the exporter reads itself. Spans leave in batches, off the event loop.
    exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # for libraries that ask the global provider
    return provider


def middleware(settings: Settings) -> list[Middleware]:
    """The outermost middleware: a server span per HTTP request or WebSocket connection."""
    provider = tracer_provider(settings)
    if provider is None:
        return []
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return [
        Middleware(
            OpenTelemetryMiddleware,
            excluded_urls=UNTRACED_PATHS,
            default_span_details=span_details,
            # No span per ASGI message: a subscription socket would make one per event.
            exclude_spans=["receive", "send"],
            server_request_hook=hide_request_path,
            tracer_provider=provider,
        )
    ]


def span_details(scope: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """`POST /graphql`: the method and the route's template, never a path with its values (a
    payment link's path carries its token)."""
    route = None
    for candidate in getattr(scope.get("app"), "routes", []):
        match, _ = candidate.matches(scope)
        if match is Match.FULL:
            route = getattr(candidate, "path", None)
            break
    method = scope.get("method")
    name = " ".join(part for part in (method, route) if part) or scope["type"].upper()
    return name, ({"http.route": route} if route else {})


# Attributes in which the instrumentation records the request's path or query.
PATH_ATTRIBUTES = ("http.target", "http.url", "url.path", "url.full", "url.query")


def hide_request_path(span: Any, scope: dict[str, Any]) -> None:
    """Overwrite the path and query the instrumentation recorded with the route's template, so
    no link token or query value reaches the trace store."""
    if not span.is_recording():
        return
    route = span_details(scope)[1].get("http.route", "unmatched")
    for key in PATH_ATTRIBUTES:
        span.set_attribute(key, route)


def instrument(settings: Settings, sessions: SessionFactory) -> None:
    """Client spans for the statements of `sessions`' engine and for Redis commands."""
    provider = tracer_provider(settings)
    if provider is None:
        return
    from opentelemetry.instrumentation.sqlalchemy import __version__
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter

    engine = getattr(sessions.kw.get("bind"), "sync_engine", None)
    if engine is not None and engine not in _traced_engines:
        tracer = provider.get_tracer("opentelemetry.instrumentation.sqlalchemy", __version__)
        usage = get_meter(__name__).create_up_down_counter("db.client.connections.usage")
        EngineTracer(tracer, engine, usage)
        _traced_engines.add(engine)
    global _redis_traced
    if settings.redis_url and not _redis_traced:
        from opentelemetry.instrumentation.redis import RedisInstrumentor

        RedisInstrumentor().instrument(tracer_provider=provider)
        _redis_traced = True


def add_trace_ids(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
    """structlog processor: the current span's trace and span ids, as OTLP backends show them."""
    if _provider is None:
        return event
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event
