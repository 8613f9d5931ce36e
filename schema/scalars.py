"""Custom scalars. Date-times use strawberry's DateTime; inputs must carry an offset."""

from __future__ import annotations

import json
from datetime import datetime
from typing import NewType

import strawberry

from app.core.errors import ErrorCode, FieldProblem

GeoJSON = strawberry.scalar(
    NewType("GeoJSON", dict),
    description="A GeoJSON geometry object (RFC 7946), longitude first.",
    serialize=lambda value: value,
    parse_value=lambda value: json.loads(value) if isinstance(value, str) else value,
)


def offset_problems(value: datetime | None, *field: str) -> list[FieldProblem]:
    if value is not None and value.tzinfo is None:
        return [FieldProblem("a date-time needs a zone offset", ErrorCode.INVALID, list(field))]
    return []
