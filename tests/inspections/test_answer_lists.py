"""Answers sent in one call are bounded by the checklist's items, and two answers to one item
in the same call keep the last."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from schema.ids import encode_id
from tests.inspections import helpers
from tests.inspections.test_inspections_api import START, SUBMIT, _submitted, _template
from tests.support import GraphQLClient
from tests.work_orders import factories

RECORD = """
mutation($input: InspectionAnswersInput!) {
  recordInspectionAnswers(input: $input) {
    inspection { answers { itemKey yes } } userErrors { field code }
  }
}
"""


async def _started(gql: GraphQLClient, session: AsyncSession) -> tuple[GraphQLClient, str]:
    w = await factories.world(session)
    template = await _template(gql)
    task = await helpers.on_site(session, w)
    me = gql.as_role(Role.TECHNICIAN, technician_id=w.technician.id)
    started = await me.mutate(
        START, {"taskId": encode_id("Task", task.id or 0), "templateId": template["id"]}
    )
    inspection_id: str = started["inspection"]["id"]
    return me, inspection_id


async def test_more_answers_than_items_are_refused(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    me, inspection_id = await _started(gql, session)
    answers: list[dict[str, Any]] = [{"itemKey": "filter_clean", "yes": True}] * 4

    payload = await me.mutate(RECORD, {"inspectionId": inspection_id, "answers": answers})

    assert (payload["inspection"], payload["userErrors"]) == (
        None,
        [{"field": ["answers"], "code": "INVALID"}],
    )


async def test_two_answers_to_one_item_keep_the_last(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    me, inspection_id = await _started(gql, session)
    answers = [{"itemKey": "filter_clean", "yes": False}, {"itemKey": "filter_clean", "yes": True}]

    payload = await me.mutate(RECORD, {"inspectionId": inspection_id, "answers": answers})

    assert payload["userErrors"] == []
    assert payload["inspection"]["answers"] == [{"itemKey": "filter_clean", "yes": True}]


async def test_a_retried_submission_returns_the_first_result(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    inspection = await _submitted(gql, session, w, "95")  # out of range: one repair opened
    me = gql.as_role(Role.TECHNICIAN, technician_id=w.technician.id)

    retry = await me.mutate(SUBMIT, {"inspectionId": inspection["id"], "answers": []})

    assert retry["userErrors"] == []
    assert retry["inspection"]["followUps"] == inspection["followUps"]
    assert len(inspection["followUps"]) == 1
    assert retry["inspection"]["status"] == "SUBMITTED"


FOLLOW_UPS = "{ inspections { edges { node { task { id } followUps { task { id } } } } } }"


async def test_a_technician_sees_no_corrective_task_they_may_not_read(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    await _submitted(gql, session, w, "95")  # opens an unassigned repair

    mine = await gql.as_role(Role.TECHNICIAN, technician_id=w.technician.id)(FOLLOW_UPS)
    staff = await gql(FOLLOW_UPS)

    (node,) = [e["node"] for e in mine["inspections"]["edges"]]
    assert node["task"] is not None and node["followUps"] == [{"task": None}]
    (seen,) = [e["node"] for e in staff["inspections"]["edges"]]
    assert seen["followUps"][0]["task"] is not None
