"""What PostgreSQL would refuse is refused first, as a client error: IDs and cursors out of
bigint's range, text with NUL or lone surrogates, decimals no column holds. A mutation that
fails does not spoil the others of its document."""

from __future__ import annotations

import base64
import json

import pytest

from schema.ids import MAX_DB_ID, encode_id, parse_db_id, split_id
from tests.support import GraphQLClient, error_codes

NODE = "query($id: ID!) { node(id: $id) { id } }"
CREATE_PARTNER = """
mutation($input: CreatePartnerInput!) {
  createPartner(input: $input) { partner { id code } userErrors { field message code } }
}"""
UPDATE_PARTNER = """
mutation($input: UpdatePartnerInput!) {
  updatePartner(input: $input) { partner { id } userErrors { field message code } }
}"""
TWO_PARTNERS = """
mutation {
  a: createPartner(input: {name: "Again", code: "TAKEN"}) { partner { id } userErrors { code } }
  b: createPartner(input: {name: "Fresh", code: "FRESH"}) { partner { id } userErrors { code } }
}"""
CODES = "{ partners { edges { node { code } } } }"
CREATE_PART = """
mutation($a: Decimal!) {
  createPart(input: {sku: "S", name: "N", unitCost: {amount: $a, currency: "INR"},
                     unitPrice: {amount: "1", currency: "INR"}}) { part { id } }
}"""


def raw_id(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "raw", ["99999999999999999999", str(MAX_DB_ID + 1), "١٢", " 12", "1_000", "+5", "-1", ""]
)
def test_only_plain_digits_within_bigint_are_database_ids(raw: str) -> None:
    assert parse_db_id(raw) is None
    assert split_id(raw_id(f"Task:{raw}")) is None


def test_the_largest_bigint_is_still_an_id() -> None:
    assert split_id(encode_id("Task", MAX_DB_ID)) == ("Task", MAX_DB_ID)


async def test_node_with_an_id_past_bigint_finds_nothing(gql: GraphQLClient) -> None:
    body = await gql.raw(NODE, {"id": raw_id("Task:99999999999999999999")})
    assert body == {"data": {"node": None}}


async def test_a_mutation_with_an_id_past_bigint_gets_a_user_error(gql: GraphQLClient) -> None:
    payload = await gql.mutate(
        UPDATE_PARTNER, {"id": raw_id("Partner:99999999999999999999"), "name": "x"}
    )
    assert error_codes(payload) == ["INVALID"]
    assert payload["userErrors"][0]["field"] == ["id"]


async def test_a_cursor_past_bigint_is_invalid(gql: GraphQLClient) -> None:
    cursor = base64.urlsafe_b64encode(b"cursor:99999999999999999999").decode()
    body = await gql.raw("query($c: String) { partners(after: $c) { totalCount } }", {"c": cursor})
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": ["after"]}


@pytest.mark.parametrize("name", ["a\x00b", "\ud800", "x\udfffy"])
async def test_text_postgresql_refuses_is_an_invalid_input(gql: GraphQLClient, name: str) -> None:
    # (escaped JSON: a lone surrogate has no UTF-8 form, a client can only send its escape)
    request = {"query": CREATE_PARTNER, "variables": {"input": {"name": name, "code": "C1"}}}
    response = await gql.http.post(
        "/graphql",
        content=json.dumps(request),
        headers={**gql.headers(), "content-type": "application/json"},
    )
    body = response.json()

    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "INVALID"}
    assert "NUL characters or unpaired surrogates" in body["errors"][0]["message"]
    assert await gql(CODES) == {"partners": {"edges": []}}


async def test_text_in_a_literal_is_checked_too(gql: GraphQLClient) -> None:
    body = await gql.raw(
        'mutation { createPartner(input: {name: "a\\u0000", code: "C"}) { partner { id } } }'
    )
    assert body["errors"][0]["extensions"] == {"code": "INVALID"}


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "1e1000000", "10000000000"])
async def test_decimals_no_column_holds_are_invalid(gql: GraphQLClient, amount: str) -> None:
    body = await gql.raw(CREATE_PART, {"a": amount})

    assert body["errors"][0].get("extensions", {}).get("code") != "INTERNAL"
    assert "decimal must be" in body["errors"][0]["message"]


async def test_a_failed_mutation_leaves_the_next_one_of_the_document_working(
    gql: GraphQLClient,
) -> None:
    # given a partner holding the code the first mutation asks for
    await gql.mutate(CREATE_PARTNER, {"name": "First", "code": "TAKEN"})

    # when
    data = await gql(TWO_PARTNERS)

    # then the first was refused, the second done and kept
    assert data["a"] == {"partner": None, "userErrors": [{"code": "DUPLICATE"}]}
    assert data["b"]["userErrors"] == []
    codes = sorted(e["node"]["code"] for e in (await gql(CODES))["partners"]["edges"])
    assert codes == ["FRESH", "TAKEN"]


MARGINS = "query($f: DateTime!, $t: DateTime!) { marginsByTerritory(from: $f, to: $t) { tasks } }"


@pytest.mark.parametrize(
    ("start", "problem"),
    [
        ("2026-12-01T00:00:00", "a date-time needs a zone offset"),
        ("0001-01-01T00:00:00+14:00", "a date-time out of range"),
    ],
)
async def test_report_date_times_need_an_offset_and_a_storable_moment(
    gql: GraphQLClient, start: str, problem: str
) -> None:
    body = await gql.raw(MARGINS, {"f": start, "t": "2026-12-04T00:00:00Z"})

    assert body["errors"][0]["message"] == problem
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": ["from"]}
