"""Replacement policies as data (audited like every policy family), withdrawing a request, and
a request list whose cost does not grow with its length."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from tests.replacements.factories import case
from tests.replacements.test_replacements_api import (
    APPROVE,
    SET_POLICY,
    requested,
    technician,
)
from tests.support import GraphQLClient, StatementCounter, error_codes

POLICIES = """{ replacementPolicies { productCategory dispatcherLimit { amount currency }
  managerLimit { amount } warrantyMode } }"""
REMOVE = """
mutation($input: RemoveReplacementPolicyInput!) { removeReplacementPolicy(input: $input) {
  policy { productCategory archivedAt } userErrors { field code } } }
"""
CHANGES = """{ policyChanges(kind: REPLACEMENT, first: 20) { edges { node {
  item setting oldValue newValue actorRole } } } }"""
WITHDRAW = """
mutation($input: WithdrawReplacementInput!) { withdrawReplacement(input: $input) {
  request { id status } userErrors { field code } } }
"""
LIST = """
query($first: Int!) { replacementRequests(first: $first) { edges { node {
  id reference status task { id } asset { id serialNumber } customer { id name }
  replacementModel { code } stockLocation { code } replacementPart { sku }
  evidence { id filename } } } } }
"""


async def test_policies_are_read_changed_removed_and_audited(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # the seeded default row applies to every category
    (default,) = (await gql.as_role(Role.DISPATCHER)(POLICIES))["replacementPolicies"]
    assert default == {
        "productCategory": None,
        "dispatcherLimit": {"amount": "5000.00", "currency": "INR"},
        "managerLimit": {"amount": "75000.00"},
        "warrantyMode": "CONTINUE",
    }
    policy = {
        "productCategory": "ELECTRONICS",
        "dispatcherLimit": "2500",
        "warrantyMode": "RESTART",
    }
    assert (await gql.mutate(SET_POLICY, policy))["userErrors"] == []
    rows = (await gql(POLICIES))["replacementPolicies"]
    assert [r["productCategory"] for r in rows] == [None, "ELECTRONICS"]

    bad = await gql.mutate(SET_POLICY, policy | {"dispatcherLimit": "10", "managerLimit": "5"})
    assert error_codes(bad) == ["INVALID"] and bad["userErrors"][0]["field"] == ["managerLimit"]

    removed = await gql.mutate(REMOVE, {"productCategory": "ELECTRONICS"})
    assert removed["policy"]["archivedAt"] is not None
    assert [r["productCategory"] for r in (await gql(POLICIES))["replacementPolicies"]] == [None]
    again = await gql.mutate(REMOVE, {"productCategory": "ELECTRONICS"})
    assert error_codes(again) == ["NOT_FOUND"]

    changes = [e["node"] for e in (await gql(CHANGES))["policyChanges"]["edges"]]
    limits = [c for c in changes if c["setting"] == "dispatcher_limit"]
    assert {"item": "ELECTRONICS", "setting": "dispatcher_limit", "oldValue": None,
            "newValue": "2500.00", "actorRole": "ADMIN"} in limits  # fmt: skip
    assert any(c["setting"] == "removed" and c["newValue"] is True for c in changes)


async def test_the_requester_withdraws_a_pending_request_and_it_cannot_be_approved(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    c = await case(session)
    request = await requested(gql, c)
    other = gql.as_role(Role.TECHNICIAN, technician_id=c.world.technician.id + 10_000)
    assert error_codes(await other.mutate(WITHDRAW, {"requestId": request["id"]})) == ["FORBIDDEN"]
    done = await technician(gql, c).mutate(WITHDRAW, {"requestId": request["id"]})
    assert done == {"request": {"id": request["id"], "status": "WITHDRAWN"}, "userErrors": []}
    approve = {"requestId": request["id"], "newSerialNumber": "NEW-W"}
    assert error_codes(await gql.mutate(APPROVE, approve)) == ["INVALID_TRANSITION"]
    # a new request for the same asset may be raised once the first is out of the way
    assert (await requested(gql, c))["status"] == "PENDING_APPROVAL"


async def test_the_request_list_costs_the_same_statements_for_2_and_for_6_requests(
    gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    for _ in range(2):
        await requested(gql, await case(session))
    statements.reset()
    small = await gql(LIST, {"first": 2})
    few = statements.total
    for _ in range(4):
        await requested(gql, await case(session))
    statements.reset()
    large = await gql(LIST, {"first": 6})
    assert len(small["replacementRequests"]["edges"]) == 2
    assert len(large["replacementRequests"]["edges"]) == 6
    assert statements.total == few
    node = large["replacementRequests"]["edges"][0]["node"]
    assert len(node["evidence"]) == 2 and node["reference"].startswith("RR-")
