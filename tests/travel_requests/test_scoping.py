"""Who reads which travel requests, with real tokens through GraphQL: staff all, a technician
their own, a partner its technicians', a customer and an anonymous caller none; and who may
set the travel policies."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from tests.support import GraphQLClient, error_codes
from tests.travel_requests.factories import (
    REQUEST,
    accepted_task,
    gid,
    requested,
    technician,
    travel_input,
)
from tests.work_orders import factories as wf

LIST = """
query($filter: TravelRequestFilter) { travelRequests(filter: $filter, first: 10) {
  totalCount edges { node { id technician { id } } } } }
"""
ONE = "query($id: ID!) { travelRequest(id: $id) { id } }"
SET_POLICY = """
mutation($input: SetTravelPolicyInput!) { setTravelPolicy(input: $input) {
  policy { taskType requiresApproval approvalBeyondKm autoApproveBelow { amount currency }
    dispatcherLimit { amount } managerLimit { amount } version }
  userErrors { field message code } } }
"""


async def test_each_role_reads_only_the_requests_in_its_scope(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given one request by an employee and one by a partner's technician
    w = await wf.world(session)
    partner = await wf.partner(session)
    contractor = await wf.technician(session, partner_id=partner.id, area=w.territory)
    own = await requested(gql, await accepted_task(session, w), w.technician)
    theirs = await requested(
        gql, await accepted_task(session, w, technician=contractor), contractor
    )
    both = {own["id"], theirs["id"]}

    cases = {
        "admin": (gql.as_role(Role.ADMIN), both),
        "manager": (gql.as_role(Role.MANAGER), both),
        "dispatcher": (gql.as_role(Role.DISPATCHER), both),
        "agent": (gql.as_role(Role.AGENT), both),
        "technician": (technician(gql, w.technician), {own["id"]}),
        "contractor": (technician(gql, contractor), {theirs["id"]}),
        "partner": (gql.as_role(Role.PARTNER, partner_id=partner.id), {theirs["id"]}),
    }
    for name, (client, expected) in cases.items():
        listed = (await client(LIST))["travelRequests"]
        assert {e["node"]["id"] for e in listed["edges"]} == expected, name
        assert listed["totalCount"] == len(expected), name
        for request_id in both:
            found = (await client(ONE, {"id": request_id}))["travelRequest"]
            assert (found is not None) == (request_id in expected), name

    # customers and anonymous callers are refused
    for client in (gql.as_role(Role.CUSTOMER, customer_id=w.customer.id), gql.as_role(None)):
        body = await client.raw(LIST)
        assert body["data"] is None or body["data"].get("travelRequests") is None
        assert body["errors"]

    # filters narrow within the scope
    only = {"technicianId": gid("Technician", contractor.id), "status": ["PENDING_APPROVAL"]}
    listed = (await gql.as_role(Role.DISPATCHER)(LIST, {"filter": only}))["travelRequests"]
    assert [e["node"]["id"] for e in listed["edges"]] == [theirs["id"]]


async def test_a_technician_requests_only_for_their_own_task(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await wf.world(session)
    other = await wf.technician(session, area=w.territory)
    task = await accepted_task(session, w, technician=other)

    payload = await technician(gql, w.technician).mutate(REQUEST, travel_input(task))
    assert error_codes(payload) == ["NOT_FOUND"]
    payload = await gql.as_role(Role.CUSTOMER, customer_id=w.customer.id).mutate(
        REQUEST, travel_input(task)
    )
    assert error_codes(payload) == ["FORBIDDEN"]
    # staff raise one for the task's technician (an unknown one is NOT_FOUND)
    payload = await gql.as_role(Role.DISPATCHER).mutate(
        REQUEST, travel_input(task, technicianId=gid("Technician", 10**9))
    )
    assert error_codes(payload) == ["NOT_FOUND"]
    payload = await gql.as_role(Role.DISPATCHER).mutate(REQUEST, travel_input(task))
    assert payload["userErrors"] == []
    assert payload["request"]["technician"]["id"] == gid("Technician", other.id)


async def test_only_an_admin_sets_a_travel_policy_and_versions_guard_it(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    change = {
        "taskType": "INSTALLATION",
        "requiresApproval": True,
        "autoApproveBelow": "250",
        "dispatcherLimit": "4000",
        "managerLimit": "15000",
    }
    for role in (Role.MANAGER, Role.DISPATCHER):
        assert error_codes(await gql.as_role(role).mutate(SET_POLICY, change)) == ["FORBIDDEN"]
    admin = gql.as_role(Role.ADMIN)
    payload = await admin.mutate(SET_POLICY, change)
    assert payload["userErrors"] == []
    assert payload["policy"]["autoApproveBelow"] == {"amount": "250.00", "currency": "INR"}
    payload = await admin.mutate(
        SET_POLICY, change | {"approvalBeyondKm": "50", "expectedVersion": 1}
    )
    assert payload["policy"]["version"] == 2 and payload["policy"]["approvalBeyondKm"] == "50.00"
    payload = await admin.mutate(SET_POLICY, change | {"expectedVersion": 1})
    assert error_codes(payload) == ["STALE_VERSION"]
    bad = await admin.mutate(SET_POLICY, change | {"managerLimit": "10", "currency": "ZZZ"})
    assert set(error_codes(bad)) == {"INVALID"}
    listed = await admin("{ travelPolicies { taskType version } }")
    assert listed["travelPolicies"] == [{"taskType": "INSTALLATION", "version": 2}]
