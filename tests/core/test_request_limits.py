"""JSON nested past the limit is refused before it is decoded, with 400, before authentication."""

from __future__ import annotations

import json

from app.core.http import MAX_JSON_DEPTH, json_depth
from tests.support import GraphQLClient

BALANCES = "query($x:[ID!]!){customerBalances(customerIds:$x){customerId}}"


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


async def test_a_body_nested_a_thousand_deep_is_refused_with_400(gql: GraphQLClient) -> None:
    body = '{"query":' + json.dumps(BALANCES) + ',"variables":{"x":' + nested(1000) + "}}"

    response = await gql.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.text == f"JSON nested deeper than {MAX_JSON_DEPTH} levels"


async def test_variables_nested_within_the_limit_are_decoded_as_usual(gql: GraphQLClient) -> None:
    body = '{"query":' + json.dumps(BALANCES) + ',"variables":{"x":' + nested(40) + "}}"

    response = await gql.http.post(
        "/graphql", content=body, headers={**gql.headers(), "content-type": "application/json"}
    )

    assert response.status_code == 200
    assert "errors" in response.json()  # a list of lists is no list of IDs: a GraphQL error
    assert response.json()["errors"][0].get("extensions", {}).get("code") != "INTERNAL"


async def test_over_deep_get_variables_are_refused_too(gql: GraphQLClient) -> None:
    response = await gql.http.get(
        "/graphql", params={"query": BALANCES, "variables": '{"x":' + nested(500) + "}"}
    )

    assert response.status_code == 400


def test_depth_counts_brackets_outside_strings_only() -> None:
    assert json_depth(nested(1000)) == 1000
    assert json_depth('{"a": [[["' + "[" * 500 + '"]]]}') <= 4
    assert json_depth('["\\"' + "[" * 100 + '"]') <= 1
    assert json_depth(b"[" * 70 + b"]" * 70) == 70
