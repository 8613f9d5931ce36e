"""Variables of the bulk inputs are coerced by a coercer compiled for their type: it must
give what graphql-core's generic coercion gives, value for value, and refuse what it refuses
(graphql-core then words the error as before)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from graphql import GraphQLNonNull, Undefined
from graphql.utilities import coerce_input_value

from app.core.auth import Role
from app.core.config import Settings
from app.main import build_schema
from schema.coercion import compile_coercer
from tests.support import GraphQLClient

PING = {
    "point": {"lat": 12.97, "lng": 77.59},
    "recordedAt": "2026-12-04T10:00:00+05:30",
    "accuracyMeters": 8.0,
}

CASES: list[Any] = [
    {"pings": [PING]},
    {"pings": [PING, {**PING, "speedMps": 3, "heading": 90.5}], "idempotencyKey": "k-1"},
    {"pings": PING},  # a non-list value is a list of one
    {"pings": []},
    {"pings": [{**PING, "accuracyMeters": None}]},
    {"pings": [{**PING, "point": {"lat": 1, "lng": 2}}]},  # ints are floats
    {"pings": [{**PING, "recordedAt": "2026-12-04T04:30:00Z"}]},
    {"pings": [{**PING, "recordedAt": "2026-12-04 04:30"}]},  # left to strawberry's parser
    # refused
    {"pings": [{**PING, "point": {"lat": True, "lng": 2.0}}]},
    {"pings": [{**PING, "point": {"lat": "12.9", "lng": 2.0}}]},
    {"pings": [{**PING, "point": {"lat": math.nan, "lng": 2.0}}]},
    {"pings": [{**PING, "point": {"lat": math.inf, "lng": 2.0}}]},
    {"pings": [{**PING, "point": {"lat": 1.0}}]},
    {"pings": [{**PING, "point": None}]},
    {"pings": [{**PING, "point": [1.0, 2.0]}]},
    {"pings": [{**PING, "recordedAt": "yesterday"}]},
    {"pings": [{**PING, "recordedAt": "2026-02-30T10:00:00Z"}]},
    {"pings": [{**PING, "recordedAt": 5}]},
    {"pings": [{**PING, "surprise": 1}]},
    {"pings": [PING, None]},
    {"pings": None},
    {"idempotencyKey": "k"},
    {"pings": [PING], "idempotencyKey": 5},
    "not an object",
    None,
]


@pytest.fixture(scope="module")
def report_input() -> Any:
    schema = build_schema(Settings(jwt_secret="test-only"))._schema
    return GraphQLNonNull(schema.get_type("ReportLocationsInput"))  # type: ignore[arg-type]


@pytest.mark.parametrize("value", CASES)
def test_the_compiled_coercer_gives_what_graphql_core_gives(report_input: Any, value: Any) -> None:
    compiled = compile_coercer(report_input)
    assert compiled is not None
    coerce, depth = compiled
    expected = coerce_input_value(value, report_input)
    got = coerce(value)
    assert got == expected
    assert (got is Undefined) == (expected is Undefined)
    assert depth == 4  # input, its list of pings, a ping, its point


async def test_a_refused_batch_is_reported_with_the_place_of_the_bad_value(
    gql: GraphQLClient,
) -> None:
    """Through the API: one error naming the variable and where in it the bad value is."""
    body = await gql.as_role(Role.TECHNICIAN, technician_id=1).raw(
        "mutation R($input: ReportLocationsInput!) { reportLocations(input: $input) { accepted } }",
        {"input": {"pings": [PING, {**PING, "point": {"lat": "north", "lng": 1.0}}]}},
    )
    assert body.get("data") is None
    (error,) = body["errors"]
    assert error["message"] == (
        "Variable '$input' has invalid value at .pings[1].point.lat: "
        "Float cannot represent non numeric value: 'north'"
    )
