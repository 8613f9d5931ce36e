"""Every query and mutation counted and timed for `/metrics` (app/core/metrics.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from app.core import metrics
from schema.extensions import error_code, is_client_error


class OperationMetrics(SchemaExtension):
    """Counts an operation by type, name and outcome (ok, or its first error's code) and
    observes its latency. Subscriptions are counted where their sockets run them
    (subscriptions/fanout.py), not here: their operation lasts as long as the stream."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        try:
            kind = context.operation_type
        except Exception:  # an unparsable document has no operation type
            kind = None
        if kind is OperationType.SUBSCRIPTION:
            return
        type_label = kind.value if kind is not None else "invalid"
        name = metrics.operation_label(context.operation_name)
        errors = _errors(context)
        codes = [error_code(e) if is_client_error(e) else "INTERNAL" for e in errors]
        for code in codes:
            metrics.ERRORS.labels(code).inc()
        metrics.OPERATIONS.labels(type_label, name, codes[0] if codes else "ok").inc()
        metrics.OPERATION_SECONDS.labels(type_label, name).observe(time.perf_counter() - started)


def _errors(context: object) -> list[GraphQLError]:
    result = getattr(context, "result", None)
    errors = getattr(result, "errors", None) or getattr(context, "pre_execution_errors", None)
    return list(errors or [])
