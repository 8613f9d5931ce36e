"""reportLocations input: the pings are built straight from graphql-core's coerced values; they
must be exactly what strawberry's generic conversion builds, and the API must take the same
batches and refuse the same ones with the same errors as before."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from graphql import GraphQLInputType
from graphql.pyutils import Undefined
from graphql.utilities import coerce_input_value
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.arguments import convert_argument
from strawberry.types.base import get_object_definition

from app.core.auth import Role
from app.core.config import Settings
from app.main import build_schema
from schema.tracking import LocationPingInput, ReportLocationsInput
from tests.support import GraphQLClient
from tests.tracking import factories

REPORT = """
mutation Report($input: ReportLocationsInput!) {
  reportLocations(input: $input) { accepted rejected rejections { reason count } }
}
"""

SCHEMA = build_schema(Settings(jwt_secret="test-only-secret-for-ping-input-checks"))
INPUT_TYPE: GraphQLInputType = SCHEMA._schema.type_map["ReportLocationsInput"]  # type: ignore[assignment]


@contextmanager
def generic_conversion() -> Iterator[None]:
    """Strawberry's own conversion, as without the input hooks."""
    definitions = [
        get_object_definition(kind, strict=True)
        for kind in (LocationPingInput, ReportLocationsInput)
    ]
    hooks = [d.from_input for d in definitions]
    for definition in definitions:
        definition.from_input = None
    try:
        yield
    finally:
        for definition, hook in zip(definitions, hooks, strict=True):
            definition.from_input = hook


def convert(variables: dict[str, Any]) -> Any:
    coerced = coerce_input_value(variables, INPUT_TYPE)
    assert coerced is not Undefined
    registry = SCHEMA.schema_converter.scalar_registry
    return convert_argument(coerced, ReportLocationsInput, registry, SCHEMA.config)


numbers = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-(10**6), 10**6))
offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets
)
date_times = moments.map(datetime.isoformat)  # the forms: test_date_time_input.py
optional = st.one_of(st.none(), numbers)
pings = st.fixed_dictionaries(
    {"point": st.fixed_dictionaries({"lat": numbers, "lng": numbers}), "recordedAt": date_times},
    optional={"accuracyMeters": optional, "speedMps": optional, "heading": optional},
)
batches = st.fixed_dictionaries(
    {"pings": st.lists(pings, max_size=6)},
    optional={"idempotencyKey": st.one_of(st.none(), st.text(max_size=8))},
)


def test_the_hooks_know_every_field_of_a_ping() -> None:
    # a field added to LocationPingInput must be read in _ping_from_input too
    ping_type = SCHEMA._schema.type_map["LocationPingInput"]
    assert set(ping_type.fields) == {  # type: ignore[attr-defined]
        "point",
        "recordedAt",
        "accuracyMeters",
        "speedMps",
        "heading",
    }
    assert set(INPUT_TYPE.fields) == {"pings", "idempotencyKey"}  # type: ignore[union-attr]


@settings(max_examples=300, deadline=None)
@given(variables=batches)
def test_the_hooks_build_the_same_input_as_strawberry(variables: dict[str, Any]) -> None:
    fast = convert(variables)
    with generic_conversion():
        generic = convert(variables)

    assert fast == generic
    assert [type(p) for p in fast.pings] == [LocationPingInput] * len(variables["pings"])
    assert [p.to_ping() for p in fast.pings] == [p.to_ping() for p in generic.pings]


NOW = datetime.now(UTC).replace(microsecond=0)
RECENT = (NOW - timedelta(minutes=5)).isoformat()
GOOD = {"point": {"lat": 12.97, "lng": 77.59}, "recordedAt": RECENT}


def at(text: str) -> dict[str, Any]:
    return {"pings": [{**GOOD, "recordedAt": text}]}


REFUSED: list[tuple[str, dict[str, Any], str]] = [
    (
        "a coordinate as text",
        {"pings": [{**GOOD, "point": {"lat": "12.97", "lng": 77.59}}]},
        "Variable '$input' has invalid value at .pings[0].point.lat: "
        "Float cannot represent non numeric value: '12.97'",
    ),
    (
        "a coordinate as a boolean",
        {"pings": [{**GOOD, "point": {"lat": True, "lng": 77.59}}]},
        "Variable '$input' has invalid value at .pings[0].point.lat: "
        "Float cannot represent non numeric value: True",
    ),
    (
        "no point",
        {"pings": [{"recordedAt": RECENT}]},
        "Variable '$input' has invalid value at .pings[0]: Expected value of type "
        "'LocationPingInput' to include required field 'point', "
        f"found: {{'recordedAt': '{RECENT}'}}.",
    ),
    (
        "a null point",
        {"pings": [{**GOOD, "point": None}]},
        "Variable '$input' has invalid value at .pings[0].point: "
        "Expected value of non-null type 'GeoPointInput!' not to be None.",
    ),
    (
        "a null ping",
        {"pings": [None]},
        "Variable '$input' has invalid value at .pings[0]: "
        "Expected value of non-null type 'LocationPingInput!' not to be None.",
    ),
    (
        "a heading as text",
        {"pings": [{**GOOD, "heading": "N"}]},
        "Variable '$input' has invalid value at .pings[0].heading: "
        "Float cannot represent non numeric value: 'N'",
    ),
    (
        "the 30th of February",
        at("2024-02-30T10:00:00+00:00"),
        "Variable '$input' has invalid value at .pings[0].recordedAt: Value cannot represent a "
        'DateTime: "2024-02-30T10:00:00+00:00". day is out of range for month',
    ),
    (
        "an offset of 95 minutes",
        at("2024-02-03T10:00:00+00:95"),
        "Variable '$input' has invalid value at .pings[0].recordedAt: Value cannot represent a "
        'DateTime: "2024-02-03T10:00:00+00:95". Invalid minutes in time zone offset',
    ),
    (
        "a time as a number",
        at(1_700_000_000),  # type: ignore[arg-type]
        "Variable '$input' has invalid value at .pings[0].recordedAt: Value cannot represent a "
        'DateTime: "1700000000". Expected a string.',
    ),
    (
        "an idempotency key as a number",
        {"pings": [GOOD], "idempotencyKey": 5},
        "Variable '$input' has invalid value at .idempotencyKey: "
        "String cannot represent a non string value: 5",
    ),
]


@pytest.mark.parametrize(
    ("variables", "message"), [(v, m) for _, v, m in REFUSED], ids=[n for n, _, _ in REFUSED]
)
async def test_a_malformed_batch_is_refused_whole_by_the_schema(
    gql: GraphQLClient, session: AsyncSession, variables: dict[str, Any], message: str
) -> None:
    technician = await factories.tracked_technician(session)

    body = await gql.as_role(Role.TECHNICIAN, technician_id=technician.id).raw(
        REPORT, {"input": variables}
    )

    assert body["data"] is None
    assert [error["message"] for error in body["errors"]] == [message]


TAKEN: list[tuple[str, Callable[[], dict[str, Any]], dict[str, Any]]] = [
    (
        "whole-number coordinates",
        lambda: {"pings": [{**GOOD, "point": {"lat": 13, "lng": 77}}]},
        {"accepted": 1, "rejected": 0, "rejections": []},
    ),
    (
        "one ping not in a list",
        lambda: {"pings": GOOD},
        {"accepted": 1, "rejected": 0, "rejections": []},
    ),
    (
        "a space for the T",
        lambda: at(RECENT.replace("T", " ")),
        {"accepted": 1, "rejected": 0, "rejections": []},
    ),
    (
        "a UTC time, JavaScript style",
        lambda: at((NOW - timedelta(minutes=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")),
        {"accepted": 1, "rejected": 0, "rejections": []},
    ),
    (
        "a time without its zone",
        lambda: at(RECENT[:19]),
        {"accepted": 0, "rejected": 1, "rejections": [{"reason": "INVALID_VALUE", "count": 1}]},
    ),
    (
        "a time in India",
        lambda: at(
            (NOW - timedelta(minutes=3))
            .astimezone(timezone(timedelta(hours=5, minutes=30)))
            .isoformat()
        ),
        {"accepted": 1, "rejected": 0, "rejections": []},
    ),
    (
        "a time before UTC's year 1",
        lambda: at("0001-01-01T01:00:00+05:00"),
        {"accepted": 0, "rejected": 1, "rejections": [{"reason": "TOO_OLD", "count": 1}]},
    ),
    (
        "a time after UTC's year 9999",
        lambda: at("9999-12-31T23:00:00-05:00"),
        {"accepted": 0, "rejected": 1, "rejections": [{"reason": "FUTURE_TIMESTAMP", "count": 1}]},
    ),
    (
        "hour 24, the next midnight",
        lambda: at((NOW - timedelta(days=1)).strftime("%Y-%m-%dT24:00:00+00:00")),
        {"accepted": 1, "rejected": 0, "rejections": []},
    ),
]


@pytest.mark.parametrize(
    ("variables", "expected"), [(v, e) for _, v, e in TAKEN], ids=[n for n, _, _ in TAKEN]
)
async def test_unusual_but_valid_pings_are_taken_as_before(
    gql: GraphQLClient,
    session: AsyncSession,
    variables: Callable[[], dict[str, Any]],
    expected: dict[str, Any],
) -> None:
    technician = await factories.tracked_technician(session)

    result = await gql.as_role(Role.TECHNICIAN, technician_id=technician.id).mutate(
        REPORT, variables()
    )

    assert result == expected
