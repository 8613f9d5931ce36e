"""Errors say what to do, in the API's own words: mutation names, global IDs, allowed roles."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.errors import Forbidden
from app.work_orders import offers
from app.work_orders.models import Task, TaskStatus
from app.work_orders.transitions import STEP_NAMES, Action, Actor, Change, check_allowed
from schema.ids import encode_id
from tests.dispatch import test_service_factories as f
from tests.support import GraphQLClient

ASSIGN = """mutation($input: AssignTaskInput!) {
  assignTask(input: $input) { task { id } userErrors { field message code } } }"""
TRAVEL = """mutation($input: TaskStepInput!) {
  startTravel(input: $input) { task { id } userErrors { field message code } } }"""


def test_every_step_has_the_name_clients_call_it_by() -> None:
    assert set(STEP_NAMES) == set(Action)


async def test_an_overlap_names_the_other_task_by_its_global_id_and_says_a_reason_overrides(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a technician already offered a visit tomorrow 09:00-10:00
    d = await f.day(session, technicians=1)
    tech = d.technicians[0]
    booked = await f.task(session, d)
    await offers.assign_task(
        session, f.DISPATCHER, booked.id or 0, tech.id or 0, f.tomorrow_at(9), reason="by hand"
    )
    second = await f.task(session, d)
    await session.commit()

    # when a dispatcher assigns another visit over it, without a reason
    refused = await gql.as_role(Role.DISPATCHER).mutate(
        ASSIGN,
        {
            "taskId": encode_id("Task", second.id or 0),
            "technicianId": encode_id("Technician", tech.id or 0),
            "start": f.tomorrow_at(9.5).isoformat(),
        },
    )

    # then the conflict names the other task as clients know it, and how to go ahead
    conflicts = [e for e in refused["userErrors"] if "overlaps" in e["message"]]
    assert conflicts and conflicts[0]["code"] == "CONFLICT"
    message = conflicts[0]["message"]
    assert encode_id("Task", booked.id or 0) in message and f"T-{booked.id}" in message
    assert "give a reason to assign anyway" in message


async def test_a_refused_step_names_the_mutation_and_the_statuses_it_needs(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    d = await f.day(session, technicians=1)
    task = await f.task(session, d)
    task.status, task.technician_id = TaskStatus.ON_SITE, d.technicians[0].id
    await session.commit()
    technician = gql.as_role(Role.TECHNICIAN, technician_id=d.technicians[0].id)

    refused = await technician.mutate(TRAVEL, {"taskId": encode_id("Task", task.id or 0)})

    (error,) = refused["userErrors"]
    assert error["code"] == "INVALID_TRANSITION"
    assert error["message"] == (
        "startTravel is not possible while the task is ON_SITE; it is possible from ACCEPTED"
    )


def test_a_forbidden_step_names_the_roles_that_may() -> None:
    task = Task(status=TaskStatus.UNSCHEDULED, version=1)
    change = Change(Action.ASSIGN, Actor("user:9", Role.AGENT.value))

    with pytest.raises(Forbidden) as refused:
        check_allowed(task, change)

    assert (
        str(refused.value) == "the AGENT role may not assignTask; roles that may: ADMIN, DISPATCHER"
    )


async def test_a_refused_field_names_the_roles_that_may_and_a_missing_token_where_it_goes(
    gql: GraphQLClient,
) -> None:
    query = "query { partners(first: 1) { totalCount } }"

    as_customer = await gql.as_role(Role.CUSTOMER, customer_id=1).raw(query)
    anonymous = await gql.as_role(None).raw(query)

    (refused,) = as_customer["errors"]
    assert refused["extensions"]["code"] == "FORBIDDEN"
    assert refused["message"].startswith("the CUSTOMER role may not use this; roles that may: ")
    assert "DISPATCHER" in refused["message"]
    (unauthenticated,) = anonymous["errors"]
    assert unauthenticated["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Authorization: Bearer" in unauthenticated["message"]
