"""Who may do what: the permission matrix of the task and request fields, and row scoping."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.work_orders.models import Task, TaskStatus
from schema.ids import decode_id
from tests.support import GraphQLClient
from tests.work_orders import factories
from tests.work_orders.test_task_graphql import (
    ACCEPT,
    ASSIGN,
    CANCEL,
    CREATE_TASK,
    FEEDBACK,
    Roles,
    dispatched,
    gid,
    later,
    ok,
    requested_task,
)

ROLES = [None, Role.CUSTOMER, Role.TECHNICIAN, Role.PARTNER, Role.DISPATCHER, Role.ADMIN]
REFUSED = {"UNAUTHENTICATED", "FORBIDDEN"}

# mutation -> the roles the field admits (others are refused before any work)
MATRIX = {
    "createTask": {Role.DISPATCHER, Role.ADMIN},
    "assignTask": {Role.DISPATCHER, Role.ADMIN},
    "acceptTask": {Role.TECHNICIAN},
    "cancelTask": {Role.CUSTOMER, Role.DISPATCHER, Role.ADMIN},
    "submitFeedback": {Role.CUSTOMER},
}
DOCS = {
    "createTask": CREATE_TASK,
    "assignTask": ASSIGN,
    "acceptTask": ACCEPT,
    "cancelTask": CANCEL,
    "submitFeedback": FEEDBACK,
}


def _input(name: str, task_id: str, w: factories.World) -> dict[str, Any]:
    return {
        "createTask": {"customerId": gid("Customer", w.customer.id),
                       "siteId": gid("Site", w.site.id), "type": "INSPECTION"},
        "assignTask": {"taskId": task_id, "technicianId": gid("Technician", w.technician.id),
                       "start": later()},
        "acceptTask": {"taskId": task_id},
        "cancelTask": {"taskId": task_id, "reason": "no longer needed"},
        "submitFeedback": {"taskId": task_id, "rating": 4},
    }[name]  # fmt: skip


def _client(gql: GraphQLClient, role: Role | None, w: factories.World) -> GraphQLClient:
    links = {
        Role.CUSTOMER: {"customer_id": w.customer.id},
        Role.TECHNICIAN: {"technician_id": w.technician.id},
        Role.PARTNER: {"partner_id": 10**9},
    }.get(role, {})  # type: ignore[call-overload]
    return gql.as_role(role, **links)


@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES, ids=lambda r: str(r or "ANONYMOUS"))
async def test_each_mutation_admits_only_its_roles(
    gql: GraphQLClient, session: AsyncSession, name: str, role: Role | None
) -> None:
    w = await factories.world(session)
    task = await requested_task(gql, w)
    payload = await _client(gql, role, w).mutate(DOCS[name], _input(name, task["id"], w))
    codes = {e["code"] for e in payload["userErrors"]}

    if role in MATRIX[name]:
        assert not codes & REFUSED, payload["userErrors"]
    else:
        assert codes == {"UNAUTHENTICATED" if role is None else "FORBIDDEN"}


LIST = "query { tasks { totalCount } serviceRequests { totalCount } }"


async def test_rows_are_scoped_per_role(gql: GraphQLClient, session: AsyncSession) -> None:
    w = await factories.world(session)
    other = await factories.world(session)
    await dispatched(gql, w)
    await requested_task(gql, other)
    partner = await factories.partner(session)
    outsider = await factories.technician(session, partner_id=partner.id)

    async def counts(client: GraphQLClient) -> tuple[int, int]:
        data = await client(LIST)
        return data["tasks"]["totalCount"], data["serviceRequests"]["totalCount"]

    assert await counts(gql.as_role(Role.DISPATCHER)) == (2, 2)
    assert await counts(Roles(gql, w).customer) == (1, 1)
    assert await counts(Roles(gql, w).tech) == (1, 1)
    assert await counts(gql.as_role(Role.TECHNICIAN, technician_id=outsider.id)) == (0, 0)
    assert await counts(gql.as_role(Role.PARTNER, partner_id=partner.id)) == (0, 0)
    anonymous = await gql.as_role(None).raw(LIST)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


SIBLINGS = """query($task: ID!) {
  task(id: $task) {
    id
    followUpOf { id }
    serviceRequest { tasks { id } timeline { task { id } } }
    workOrder { tasks { id } }
  }
}"""


async def test_a_partner_reaches_no_other_partner_s_task_through_a_shared_parent(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given one request with two visits, each done by another partner's technician, the
    # second a follow-up of the first
    w = await factories.world(session)
    first = await requested_task(gql, w)
    first_row = await session.get(Task, decode_id(first["id"], "Task", "id"))
    assert first_row is not None
    second = await ok(gql.as_role(Role.AGENT), CREATE_TASK, {
        "serviceRequestId": gid("ServiceRequest", first_row.service_request_id),
        "durationMinutes": 30,
    })  # fmt: skip
    ours, theirs = await factories.partner(session), await factories.partner(session)
    our_tech = await factories.technician(session, partner_id=ours.id)
    their_tech = await factories.technician(session, partner_id=theirs.id)
    second_row = await session.get(Task, decode_id(second["task"]["id"], "Task", "id"))
    assert second_row is not None
    first_row.technician_id, first_row.status = their_tech.id, TaskStatus.ACCEPTED
    second_row.technician_id, second_row.status = our_tech.id, TaskStatus.ACCEPTED
    second_row.follow_up_of_id = first_row.id
    await session.flush()

    # when each partner reads its own visit and walks to the parents
    mine = (
        await gql.as_role(Role.PARTNER, partner_id=ours.id)(
            SIBLINGS, {"task": second["task"]["id"]}
        )
    )["task"]
    staff = (await gql.as_role(Role.DISPATCHER)(SIBLINGS, {"task": second["task"]["id"]}))["task"]

    # then the partner sees only its own visit everywhere; staff see both
    own = [{"id": second["task"]["id"]}]
    assert mine["followUpOf"] is None
    assert mine["serviceRequest"]["tasks"] == own
    assert {e["task"]["id"] for e in mine["serviceRequest"]["timeline"] if e["task"]} == {
        second["task"]["id"]
    }
    assert mine["workOrder"]["tasks"] == own
    assert staff["followUpOf"] == {"id": first["id"]}
    assert len(staff["serviceRequest"]["tasks"]) == 2
