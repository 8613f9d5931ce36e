"""GraphQL spans when tracing is on (see app/core/telemetry.py); nothing of OpenTelemetry is
imported while it is off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.core.config import Settings
from app.core.telemetry import tracer_provider


def tracing_extensions(settings: Settings) -> list[Callable[[], Any]]:
    """First in the schema's extensions, so that the operation span encloses the others' work
    (the transaction's commit included); none while tracing is off."""
    provider = tracer_provider(settings)
    if provider is None:
        return []
    from schema.tracing_extension import GraphQLTracing, no_values

    return [lambda: GraphQLTracing(tracer_provider=provider, arg_filter=no_values)]
