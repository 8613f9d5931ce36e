"""Custom scalars (registered in the schema's scalar_map). Date-times use strawberry's DateTime;
inputs must carry a zone offset."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from app.core.errors import ErrorCode, FieldProblem

GeoJSON = NewType("GeoJSON", dict)


def _parse_geojson(value: Any) -> dict[str, Any]:
    parsed = json.loads(value) if isinstance(value, str) else value
    if not isinstance(parsed, dict):
        raise ValueError("GeoJSON must be an object")
    return parsed


SCALARS: dict[object, ScalarDefinition] = {
    GeoJSON: strawberry.scalar(
        name="GeoJSON",
        description="A GeoJSON geometry object (RFC 7946), longitude first.",
        serialize=lambda value: value,
        parse_value=_parse_geojson,
    ),
}


def offset_problems(value: datetime | None, *field: str) -> list[FieldProblem]:
    if value is not None and value.tzinfo is None:
        return [FieldProblem("a date-time needs a zone offset", ErrorCode.INVALID, list(field))]
    return []
