"""Editing a plan through the API: explicit nulls, the checklist, and which edits remake
the visits not yet dispatched."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.models import utcnow
from app.inspections.models import ChecklistTemplate
from app.work_orders.models import TaskType
from schema.ids import encode_id
from tests.service_plans.test_graphql import CREATE, UPDATE, VISITS, _setup
from tests.support import GraphQLClient, error_codes

CHECKLIST = """
mutation($input: UpdateServicePlanInput!) {
  updateServicePlan(input: $input) {
    plan { checklistTemplate { id name } } userErrors { field message code }
  }
}
"""


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
        for template_id in (
            encode_id("ChecklistTemplate", 999_999_999),
            encode_id("ChecklistTemplate", retired.id or 0),
        )
    ]
    template_id = encode_id("ChecklistTemplate", current.id or 0)
    accepted = await gql.mutate(
        CHECKLIST, {"id": home["plan"]["id"], "checklistTemplateId": template_id}
    )
    wrong_type = await gql.mutate(
        UPDATE, {"id": home["plan"]["id"], "checklistTemplateId": home["plan"]["id"]}
    )

    for payload in refused:
        assert (payload["plan"], problems(payload)) == (
            None,
            [(["checklistTemplateId"], "NOT_FOUND")],
        )
    assert accepted["userErrors"] == []
    assert accepted["plan"]["checklistTemplate"] == {"id": template_id, "name": "AC service"}
    assert problems(wrong_type) == [(["checklistTemplateId"], "INVALID")]


GENERATE = """
mutation($input: GeneratePlannedVisitsInput!) {
  generatePlannedVisits(input: $input) { plans due created userErrors { field code } }
}
"""


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (Role.DISPATCHER, "FORBIDDEN"),
        (Role.AGENT, "FORBIDDEN"),
        (Role.TECHNICIAN, "FORBIDDEN"),
        (Role.PARTNER, "FORBIDDEN"),
        (Role.CUSTOMER, "FORBIDDEN"),
        (None, "UNAUTHENTICATED"),
    ],
)
async def test_only_plan_writers_generate_visits(
    gql: GraphQLClient, role: Role | None, code: str
) -> None:
    payload = await gql.as_role(role, customer_id=1).mutate(GENERATE, {})
    assert (payload["created"], error_codes(payload)) == (0, [code])


async def test_generating_goes_no_further_than_the_configured_horizon(
    gql: GraphQLClient,
) -> None:
    home = await _setup(gql)
    weekly = await gql.mutate(
        CREATE,
        {
            "contractId": home["contract"]["id"],
            "name": "Weekly filter check",
            "target": "ASSETS",
            "assetIds": [home["asset"]["id"]],
            "frequency": "WEEKLY",
            "nonWorkingWeekdays": [],
        },
    )
    plan_id = weekly["plan"]["id"]
    horizon = gql.settings.service_plan_horizon_days

    asked_more = await gql.as_role(Role.MANAGER).mutate(
        GENERATE, {"planId": plan_id, "horizonDays": horizon + 200}
    )
    configured = await gql.mutate(GENERATE, {"planId": plan_id})

    assert asked_more["userErrors"] == []
    assert asked_more["due"] == configured["due"] == horizon // 7 + 1
