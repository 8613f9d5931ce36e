"""The inspection API end to end: templates, filling on site, the report page at a signed
URL, readings history, and who may read and do what."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from schema.ids import decode_id, encode_id
from tests.inspections import helpers
from tests.support import GraphQLClient, StatementCounter, error_codes
from tests.work_orders import factories

CREATE = """
mutation($input: CreateChecklistTemplateInput!) {
  createChecklistTemplate(input: $input) {
    template { id name version publishedVersion { number sections { items { key kind } } } }
    userErrors { field code }
  }
}
"""
REVISE = """
mutation($input: ReviseChecklistTemplateInput!) {
  reviseChecklistTemplate(input: $input) {
    template { versions { number status } publishedVersion { number } }
    userErrors { field code }
  }
}
"""
START = """
mutation($input: StartInspectionInput!) {
  startInspection(input: $input) { inspection { id status } userErrors { field code } }
}
"""
SUBMIT = """
mutation($input: InspectionAnswersInput!) {
  submitInspection(input: $input) {
    inspection {
      id status reportUrl report templateVersion { number }
      answers { itemKey yes number choices failed }
      followUps { itemKey reason task { id type priority status } }
    }
    userErrors { field code message }
  }
}
"""
STAFF_FOLLOW_UPS = """
query($id: ID!) {
  node(id: $id) { ... on Inspection { followUps { reason task { id type priority status } } } }
}
"""
INSPECTIONS = "{ inspections { totalCount edges { node { id status } } } }"
READINGS = """
query($asset: ID!) {
  assetReadings(assetId: $asset, itemKey: "suction_pressure") { value outOfRange }
}
"""
ITEMS: list[dict[str, Any]] = [
    {
        "key": "suction_pressure",
        "label": "Suction pressure",
        "kind": "NUMBER",
        "unit": "psi",
        "minValue": "60",
        "maxValue": "80",
        "required": True,
        "followUp": {"taskType": "REPAIR", "priority": 1},
    },
    {"key": "filter_clean", "label": "Filter clean", "kind": "YES_NO", "required": True},
    {"key": "noise", "label": "Noise", "kind": "SINGLE_CHOICE", "options": ["NONE", "LOW"]},
]


async def _template(gql: GraphQLClient) -> dict[str, Any]:
    payload = await gql.mutate(
        CREATE,
        {"name": "AC PM", "publish": True, "sections": [{"title": "Unit", "items": ITEMS}]},
    )
    assert payload["userErrors"] == []
    template: dict[str, Any] = payload["template"]
    return template


async def _submitted(
    gql: GraphQLClient, session: AsyncSession, w: factories.World, pressure: str
) -> dict[str, Any]:
    template = await _template(gql)
    task = await helpers.on_site(session, w)
    me = gql.as_role(Role.TECHNICIAN, technician_id=w.technician.id)
    task_id = encode_id("Task", task.id or 0)
    started = await me.mutate(START, {"taskId": task_id, "templateId": template["id"]})
    assert started["userErrors"] == []
    done = await me.mutate(
        SUBMIT,
        {
            "inspectionId": started["inspection"]["id"],
            "answers": [
                {"itemKey": "suction_pressure", "number": pressure},
                {"itemKey": "filter_clean", "yes": True},
                {"itemKey": "noise", "choices": ["LOW"]},
            ],
        },
    )
    assert done["userErrors"] == []
    inspection: dict[str, Any] = done["inspection"]
    return inspection


async def test_a_template_is_published_and_an_edit_makes_a_new_draft(gql: GraphQLClient) -> None:
    template = await _template(gql)
    assert template["publishedVersion"]["number"] == 1

    revised = await gql.mutate(
        REVISE, {"templateId": template["id"], "sections": [{"title": "U", "items": ITEMS[:1]}]}
    )

    assert revised["template"]["versions"] == [
        {"number": 2, "status": "DRAFT"},
        {"number": 1, "status": "PUBLISHED"},
    ]
    assert revised["template"]["publishedVersion"] == {"number": 1}


async def test_a_bad_item_is_reported_on_its_field(gql: GraphQLClient) -> None:
    bad = {**ITEMS[0], "minValue": "90"}
    payload = await gql.mutate(
        CREATE, {"name": "Bad", "sections": [{"title": "U", "items": [bad]}]}
    )
    assert payload["userErrors"] == [
        {"field": ["sections", "0", "items", "0", "minValue"], "code": "INVALID"}
    ]


async def test_an_out_of_range_reading_opens_a_repair_and_the_report_shows_it(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    inspection = await _submitted(gql, session, w, "92")

    assert inspection["status"] == "SUBMITTED"
    assert inspection["answers"][0] == {
        "itemKey": "suction_pressure",
        "yes": None,
        "number": "92.0000",
        "choices": [],
        "failed": True,
    }
    # the technician may not read the unassigned repair; staff see it
    assert [f["task"] for f in inspection["followUps"]] == [None]
    staff_view = await gql(STAFF_FOLLOW_UPS, {"id": inspection["id"]})
    (follow_up,) = staff_view["node"]["followUps"]
    assert follow_up["task"]["type"] == "REPAIR"
    assert follow_up["task"]["priority"] == 1
    assert follow_up["task"]["status"] == "UNSCHEDULED"
    assert "92 psi" in follow_up["reason"]

    shown = inspection["report"]["sections"][0]["items"][0]
    assert (shown["answer"], shown["failed"]) == ("92", True)
    assert shown["followUpTaskId"] == decode_id(follow_up["task"]["id"], "Task")

    page = await gql.http.get(inspection["reportUrl"])
    assert page.status_code == 200
    assert "Suction pressure" in page.text and "<td>92 psi</td>" in page.text
    assert "Failed (follow-up task" in page.text

    forged = inspection["reportUrl"][:-3] + (
        "AAA" if not inspection["reportUrl"].endswith("AAA") else "BBB"
    )
    assert (await gql.http.get(forged)).status_code == 404
    other_id = inspection["reportUrl"].replace("/report/", "/report/9")
    assert (await gql.http.get(other_id)).status_code == 404


async def test_readings_trend_over_visits(gql: GraphQLClient, session: AsyncSession) -> None:
    w = await factories.world(session)
    for pressure in ("72", "66", "58"):
        await _submitted(gql, session, w, pressure)

    trend = await gql(READINGS, {"asset": encode_id("Asset", w.asset.id or 0)})

    assert trend["assetReadings"] == [
        {"value": "72.0000", "outOfRange": False},
        {"value": "66.0000", "outOfRange": False},
        {"value": "58.0000", "outOfRange": True},
    ]


async def test_a_checklist_before_check_in_is_refused(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    template = await _template(gql)
    task = await helpers.assigned(session, w)
    me = gql.as_role(Role.TECHNICIAN, technician_id=w.technician.id)
    refused = await me.mutate(
        START, {"taskId": encode_id("Task", task.id or 0), "templateId": template["id"]}
    )
    assert error_codes(refused) == ["INVALID_TRANSITION"]


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("admin", 1),
        ("dispatcher", 1),
        ("owner", 1),
        ("other_customer", 0),
        ("technician", 1),
        ("other_technician", 0),
        ("partner", 1),
        ("other_partner", 0),
    ],
)
async def test_who_reads_an_inspection(
    gql: GraphQLClient, session: AsyncSession, who: str, sees: int
) -> None:
    w = await factories.world(session)
    company, rival = await factories.partner(session), await factories.partner(session)
    w.technician.partner_id = company.id
    w.technician.employment = "PARTNER"  # type: ignore[assignment]
    session.add(w.technician)
    await session.flush()
    await _submitted(gql, session, w, "70")
    callers = {
        "admin": gql,
        "dispatcher": gql.as_role(Role.DISPATCHER),
        "owner": gql.as_role(Role.CUSTOMER, customer_id=w.customer.id),
        "other_customer": gql.as_role(Role.CUSTOMER, customer_id=(w.customer.id or 0) + 999),
        "technician": gql.as_role(Role.TECHNICIAN, technician_id=w.technician.id),
        "other_technician": gql.as_role(
            Role.TECHNICIAN, technician_id=(w.technician.id or 0) + 999
        ),
        "partner": gql.as_role(Role.PARTNER, partner_id=company.id),
        "other_partner": gql.as_role(Role.PARTNER, partner_id=rival.id),
    }

    listed = await callers[who](INSPECTIONS)

    assert listed["inspections"]["totalCount"] == sees


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.PARTNER, Role.TECHNICIAN, Role.AGENT])
async def test_only_admins_and_managers_write_templates(gql: GraphQLClient, role: Role) -> None:
    body = await gql.as_role(role).raw(
        CREATE, {"input": {"name": "X", "sections": [{"title": "U", "items": ITEMS}]}}
    )
    assert error_codes(body["data"]["createChecklistTemplate"]) == ["FORBIDDEN"]


async def test_a_customer_cannot_fill_a_checklist(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    task = await helpers.on_site(session, w)
    body = await gql.as_role(Role.CUSTOMER, customer_id=w.customer.id).raw(
        START, {"input": {"taskId": encode_id("Task", task.id or 0)}}
    )
    assert error_codes(body["data"]["startInspection"]) == ["FORBIDDEN"]


async def test_a_replayed_start_returns_the_first_inspection(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    template = await _template(gql)
    task = await helpers.on_site(session, w)
    me = gql.as_role(Role.TECHNICIAN, technician_id=w.technician.id)
    sent = {"taskId": encode_id("Task", task.id or 0), "templateId": template["id"]}

    first = await me.mutate(START, sent | {"idempotencyKey": "phone-1"})
    replay = await me.mutate(START, sent | {"idempotencyKey": "phone-1"})
    again = await me.mutate(START, sent)

    assert replay == first and first["userErrors"] == []
    assert error_codes(again) == ["DUPLICATE"]


FULL_LIST = """
{
  inspections {
    edges {
      node {
        id template { name } templateVersion { number } asset { serialNumber }
        answers { itemKey } followUps { task { id } } task { id }
      }
    }
  }
}
"""


async def test_listing_inspections_costs_the_same_for_1_and_3(
    gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    w = await factories.world(session)
    await _submitted(gql, session, w, "95")
    statements.reset()
    await gql(FULL_LIST)
    small = statements.total
    for pressure in ("70", "99"):
        await _submitted(gql, session, w, pressure)
    statements.reset()
    large = await gql(FULL_LIST)

    assert len(large["inspections"]["edges"]) == 3
    assert statements.total == small


RULES = "{ inspectionCheckInRules { taskType requiresCheckIn } }"
SET_RULE = """
mutation($input: SetInspectionCheckInRuleInput!) {
  setInspectionCheckInRule(input: $input) { rule { taskType requiresCheckIn } userErrors { code } }
}
"""


async def test_the_check_in_rule_is_data_read_and_changed_through_the_api(
    gql: GraphQLClient,
) -> None:
    before = {
        r["taskType"]: r["requiresCheckIn"] for r in (await gql(RULES))["inspectionCheckInRules"]
    }
    changed = await gql.mutate(SET_RULE, {"taskType": "REPAIR", "requiresCheckIn": True})
    refused = await gql.as_role(Role.DISPATCHER).raw(
        SET_RULE, {"input": {"taskType": "REPAIR", "requiresCheckIn": False}}
    )
    after = {
        r["taskType"]: r["requiresCheckIn"] for r in (await gql(RULES))["inspectionCheckInRules"]
    }

    assert (before["MAINTENANCE"], before["INSPECTION"], before["REPAIR"]) == (True, True, False)
    assert changed["rule"] == {"taskType": "REPAIR", "requiresCheckIn": True}
    assert refused["data"] is None or error_codes(refused["data"]["setInspectionCheckInRule"]) == [
        "FORBIDDEN"
    ]
    assert after["REPAIR"] is True
