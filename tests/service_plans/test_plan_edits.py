"""Editing a plan through the API: explicit nulls, the checklist, and which edits remake
the visits not yet dispatched."""

from __future__ import annotations

from typing import Any

import pytest

from tests.service_plans.test_graphql import UPDATE, _setup
from tests.support import GraphQLClient


def problems(payload: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


@pytest.mark.parametrize("field", ["byMonths", "nonWorkingWeekdays", "assetIds", "name"])
async def test_a_null_for_a_field_that_needs_a_value_is_a_field_error(
    gql: GraphQLClient, field: str
) -> None:
    home = await _setup(gql)

    payload = await gql.mutate(UPDATE, {"id": home["plan"]["id"], field: None})

    assert (payload["plan"], problems(payload)) == (None, [([field], "INVALID")])
