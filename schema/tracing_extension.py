"""Strawberry's OpenTelemetry extension, as Fieldgraph traces GraphQL (see schema/tracing.py)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind
from strawberry.extensions import LifecycleStep
from strawberry.extensions.tracing import OpenTelemetryExtension
from strawberry.extensions.tracing.utils import should_skip_tracing


def no_values(arguments: dict[str, Any], info: Any) -> dict[str, Any]:
    """Argument values stay out of spans: inputs carry passwords, addresses and notes."""
    return {}


class GraphQLTracing(OpenTelemetryExtension):
    """Strawberry's extension with three changes. The operation span is named `query Name`
    (`graphql.operation.type`, `graphql.operation.name`; the document itself is not recorded,
    as literals in it may be secrets) and is the current span while an HTTP operation runs, so
    the statements of its transaction, commit included, are its children; the request's server
    span gets the same two attributes. Only root fields get a span of their own: one per
    resolved field of a list would cost more than the request."""

    def on_operation(self) -> Generator[None]:
        server_span = trace.get_current_span()
        span = self._tracer.start_span("GraphQL operation", kind=SpanKind.SERVER)
        span.set_attribute("component", "graphql")
        self._span_holder[LifecycleStep.OPERATION] = span
        # Over a WebSocket an operation may end in another task: it stays a plain span there.
        request = getattr(self.execution_context.context, "request", None)
        over_http = getattr(request, "scope", {}).get("type") == "http"
        token = context.attach(trace.set_span_in_context(span)) if over_http else None
        try:
            yield
        finally:
            if token is not None:
                context.detach(token)
            self._name(span, server_span)
            span.end()

    def _name(self, span: trace.Span, server_span: trace.Span) -> None:
        try:
            kind = self.execution_context.operation_type.value
        except RuntimeError:  # the document did not parse
            return
        name = self.execution_context.operation_name
        span.update_name(f"{kind} {name}" if name else kind)
        attributes = {"graphql.operation.type": kind, "graphql.operation.name": name or ""}
        span.set_attributes(attributes)
        if server_span.is_recording():
            server_span.set_attributes(attributes)

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
    ) -> Any:
        if info.path.prev is not None or should_skip_tracing(_next, info):
            return _next(root, info, *args, **kwargs)
        return super().resolve(_next, root, info, *args, **kwargs)
