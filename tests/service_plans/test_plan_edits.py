"""Editing a plan through the API: explicit nulls, the checklist, and which edits remake
the visits not yet dispatched."""

from __future__ import annotations

from typing import Any

import pytest

from tests.service_plans.test_graphql import UPDATE, VISITS, _setup
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


async def _visits(gql: GraphQLClient, contract_id: str) -> list[tuple[str, str, str]]:
    listed = await gql(VISITS, {"contractId": contract_id})
    return sorted(
        (e["node"]["dueOn"], e["node"]["status"], e["node"]["task"]["id"])
        for e in listed["plannedVisits"]["edges"]
    )


async def test_renaming_a_plan_keeps_its_visits(gql: GraphQLClient) -> None:
    home = await _setup(gql)
    before = await _visits(gql, home["contract"]["id"])

    renamed = await gql.mutate(UPDATE, {"id": home["plan"]["id"], "name": "Quarterly check"})

    assert renamed["userErrors"] == []
    assert await _visits(gql, home["contract"]["id"]) == before
    assert [status for _, status, _ in before] == ["PLANNED", "PLANNED"]


async def test_changing_the_window_remakes_the_visits_not_dispatched(gql: GraphQLClient) -> None:
    home = await _setup(gql)
    before = await _visits(gql, home["contract"]["id"])

    changed = await gql.mutate(UPDATE, {"id": home["plan"]["id"], "toleranceAfterDays": 9})

    assert changed["userErrors"] == []
    after = await _visits(gql, home["contract"]["id"])
    assert [(due, status) for due, status, _ in after] == [
        (due, status) for due, status, _ in before
    ]
    assert {task for *_, task in after}.isdisjoint({task for *_, task in before})
