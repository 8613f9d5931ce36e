"""Editing a plan through the API: explicit nulls, the checklist, and which edits remake
the visits not yet dispatched."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.models import utcnow
from app.inspections.models import ChecklistTemplate
from app.work_orders.models import TaskType
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


async def test_the_checklist_must_exist_and_be_in_use(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    home = await _setup(gql)
    current = ChecklistTemplate(name="AC service", task_type=TaskType.PREVENTIVE)
    retired = ChecklistTemplate(name="Old AC service", archived_at=utcnow())
    session.add_all([current, retired])
    await session.flush()

    refused = [
        await gql.mutate(UPDATE, {"id": home["plan"]["id"], "checklistTemplateId": template_id})
        for template_id in (999_999_999, retired.id)
    ]
    accepted = await gql.mutate(
        UPDATE, {"id": home["plan"]["id"], "checklistTemplateId": current.id}
    )

    for payload in refused:
        assert (payload["plan"], problems(payload)) == (
            None,
            [(["checklistTemplateId"], "NOT_FOUND")],
        )
    assert accepted["userErrors"] == []
