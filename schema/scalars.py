"""Custom scalars (registered in the schema's scalar_map). Date-times are strawberry's DateTime,
parsed faster; inputs must carry a zone offset."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NewType

import strawberry
from dateutil import tz
from graphql import GraphQLError
from strawberry.schema.types.base_scalars import DateTimeDefinition, DecimalDefinition
from strawberry.types.scalar import ScalarDefinition

from app.core.errors import ErrorCode, FieldProblem

GeoJSON = NewType("GeoJSON", dict)


class InvalidScalar(GraphQLError):
    """A scalar input that cannot be parsed: a client error, reported as such (any other
    exception from a parser counts as a failure of the server)."""


def _parse_geojson(value: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except (ValueError, RecursionError) as exc:
        raise InvalidScalar("GeoJSON must be a JSON object") from exc
    if not isinstance(parsed, dict):
        raise InvalidScalar("GeoJSON must be an object")
    return parsed


_PLAIN_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?",
    re.ASCII,
)
"""The form phones and browsers send (`toISOString`, `isoformat`), on which the standard
library's parser and dateutil's agree; dateutil accepts more (and refuses offset minutes
over 59, which the standard library takes)."""


def _parse_date_time(value: object) -> object:
    """Strawberry's DateTime input parsing (dateutil's `isoparse`, ~5 us) in a tenth of the
    time for the plain form: the same values, zones included, and every other string goes
    to strawberry's parser, so what is accepted and the errors stay the same. A batch of
    location pings parses hundreds of these."""
    if isinstance(value, str) and _PLAIN_DATE_TIME.fullmatch(value):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:  # e.g. a 30th of February: strawberry words the error
            pass
        else:
            offset = parsed.utcoffset()
            if offset is None:
                return parsed
            seconds = int(offset.total_seconds())
            return parsed.replace(tzinfo=tz.tzoffset(None, seconds) if seconds else tz.UTC)
    assert DateTimeDefinition.parse_value is not None
    return DateTimeDefinition.parse_value(value)


def _serialize_date_time(value: datetime) -> str:
    """Every instant the API answers is in UTC, whatever offset it was given or stored with,
    so the same moment reads the same in a mutation's payload and in later reads."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


MAX_DECIMAL = Decimal(10) ** 10
"""Money and quantities are numeric(12, 2) columns: under ten billion, to the cent."""


def _parse_decimal(value: object) -> Decimal:
    """Strawberry's Decimal input, refusing what no column can hold: NaN, infinities (which
    PostgreSQL's numeric would store) and magnitudes past the columns' precision."""
    assert DecimalDefinition.parse_value is not None
    parsed: Decimal = DecimalDefinition.parse_value(value)
    if not parsed.is_finite():
        raise InvalidScalar("a decimal must be a finite number")
    if parsed.copy_abs() >= MAX_DECIMAL:  # (abs() would round, and overflow on 1e1000000)
        raise InvalidScalar(f"a decimal must be smaller than {MAX_DECIMAL:,}")
    return parsed


SCALARS: dict[object, ScalarDefinition] = {
    Decimal: dataclasses.replace(DecimalDefinition, parse_value=_parse_decimal),
    datetime: dataclasses.replace(
        DateTimeDefinition,
        description=(
            "An instant in ISO 8601. Answers are always in UTC (+00:00); inputs must carry "
            "a zone offset (Z, +05:30...). Local days and hours (shifts, myTasks' date, "
            "holidays) are in the territory's time zone."
        ),
        parse_value=_parse_date_time,
        serialize=_serialize_date_time,
    ),
    GeoJSON: strawberry.scalar(
        name="GeoJSON",
        description="A GeoJSON geometry object (RFC 7946), longitude first.",
        serialize=lambda value: value,
        parse_value=_parse_geojson,
    ),
}


def offset_problems(value: datetime | None, *field: str) -> list[FieldProblem]:
    """A date-time input must carry a zone offset and name a moment the database can store
    (within years 1-9999 in UTC: "0001-01-01T00:00:00+14:00" is not)."""
    if value is None:
        return []
    if value.tzinfo is None:
        return [FieldProblem("a date-time needs a zone offset", ErrorCode.INVALID, list(field))]
    try:
        value.astimezone(UTC)
    except OverflowError:
        return [FieldProblem("a date-time out of range", ErrorCode.INVALID, list(field))]
    return []
