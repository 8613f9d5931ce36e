"""Release for execution: a task whose travel policy needs an approved request cannot be
travelled to or checked in until one is approved; other task types are unaffected; the
distance rule decides from the technician's home base and the site."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.work_orders.models import TaskType
from tests.support import GraphQLClient, error_codes
from tests.travel_requests.factories import (
    APPROVE,
    CANCEL,
    accepted_task,
    gid,
    policy,
    requested,
    technician,
)
from tests.work_orders import factories as wf

CHECK_IN = """
mutation($input: CheckInInput!) { checkIn(input: $input) {
  task { status } userErrors { field message code } } }
"""
START_TRAVEL = """
mutation($input: TaskStepInput!) { startTravel(input: $input) {
  task { status } userErrors { field message code } } }
"""
TASK = """
query($id: ID!) { task(id: $id) { releasedForExecution
  travelRelease { required released reason distanceKm } travelRequest { status } } }
"""
AT_SITE = {"lat": wf.SITE_LAT, "lng": wf.SITE_LNG}


async def check_in(gql: GraphQLClient, w: wf.World, task_id: int | None) -> dict[str, Any]:
    return await technician(gql, w.technician).mutate(
        CHECK_IN, {"taskId": gid("Task", task_id), "location": AT_SITE}
    )


async def test_a_task_whose_type_needs_approval_is_not_released_until_approved(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given installations always need an approved travel request
    w = await wf.world(session)
    await policy(session, task_type=TaskType.INSTALLATION, requires_approval=True)
    task = await accepted_task(session, w, task_type=TaskType.INSTALLATION)
    tech = technician(gql, w.technician)

    # then the task is not released, and travel and check-in are refused
    shown = (await tech(TASK, {"id": gid("Task", task.id)}))["task"]
    assert shown["releasedForExecution"] is False and shown["travelRequest"] is None
    assert shown["travelRelease"]["required"] is True
    assert "INSTALLATION" in shown["travelRelease"]["reason"]
    payload = await check_in(gql, w, task.id)
    assert error_codes(payload) == ["NOT_RELEASED"] and payload["task"] is None
    payload = await tech.mutate(START_TRAVEL, {"taskId": gid("Task", task.id)})
    assert error_codes(payload) == ["NOT_RELEASED"]

    # when a request is raised it is still not released while pending
    request = await requested(gql, task, w.technician, estimatedCost="3000.00")
    assert request["release"] == {"required": True, "released": False, "reason": request[
        "release"]["reason"]}  # fmt: skip
    assert error_codes(await check_in(gql, w, task.id)) == ["NOT_RELEASED"]

    # when a dispatcher approves it, the technician may check in
    approved = await gql.as_role(Role.DISPATCHER).mutate(APPROVE, {"requestId": request["id"]})
    assert approved["request"]["task"]["releasedForExecution"] is True
    payload = await check_in(gql, w, task.id)
    assert payload["userErrors"] == [] and payload["task"]["status"] == "ON_SITE"


async def test_cancelling_the_approval_withdraws_the_release(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await wf.world(session)
    await policy(session, requires_approval=True)
    task = await accepted_task(session, w)
    request = await requested(gql, task, w.technician, estimatedCost="100.00", advanceAmount="0")
    assert request["status"] == "APPROVED" and request["task"]["releasedForExecution"] is True

    payload = await technician(gql, w.technician).mutate(
        CANCEL, {"requestId": request["id"], "reason": "Not going after all"}
    )
    assert payload["request"]["task"]["releasedForExecution"] is False
    assert error_codes(await check_in(gql, w, task.id)) == ["NOT_RELEASED"]


async def test_task_types_without_the_rule_are_unaffected(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await wf.world(session)
    await policy(session, task_type=TaskType.INSTALLATION, requires_approval=True)
    await policy(session)  # the default row has no release rule
    task = await accepted_task(session, w, task_type=TaskType.REPAIR)

    shown = (await technician(gql, w.technician)(TASK, {"id": gid("Task", task.id)}))["task"]
    assert shown["releasedForExecution"] is True and shown["travelRelease"]["required"] is False
    payload = await check_in(gql, w, task.id)
    assert payload["userErrors"] == [] and payload["task"]["status"] == "ON_SITE"


async def test_beyond_the_distance_from_home_base_approval_is_needed(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given approval beyond 20 km; the technician's home base is ~5.6 km north of the site
    w = await wf.world(session)
    await policy(session, beyond_km="20")
    near = await accepted_task(session, w)
    far = await accepted_task(session, w, lat=wf.SITE_LAT - 0.3)  # ~39 km from home base
    tech = technician(gql, w.technician)

    near_shown = (await tech(TASK, {"id": gid("Task", near.id)}))["task"]
    assert near_shown["releasedForExecution"] is True
    assert 5 < near_shown["travelRelease"]["distanceKm"] < 6.5
    far_shown = (await tech(TASK, {"id": gid("Task", far.id)}))["task"]
    assert far_shown["releasedForExecution"] is False
    assert 38 < far_shown["travelRelease"]["distanceKm"] < 40
    assert "beyond 20.00 km" in far_shown["travelRelease"]["reason"]

    payload = await tech.mutate(START_TRAVEL, {"taskId": gid("Task", far.id)})
    assert error_codes(payload) == ["NOT_RELEASED"]
    request = await requested(gql, far, w.technician, estimatedCost="3000.00", advanceAmount="0")
    payload = await gql.as_role(Role.MANAGER).mutate(APPROVE, {"requestId": request["id"]})
    assert payload["userErrors"] == []
    payload = await tech.mutate(START_TRAVEL, {"taskId": gid("Task", far.id)})
    assert payload["userErrors"] == [] and payload["task"]["status"] == "EN_ROUTE"
