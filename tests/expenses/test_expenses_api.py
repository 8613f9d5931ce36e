"""Expense claims over GraphQL: a technician files, a dispatcher approves, others may not."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from tests.support import GraphQLClient, error_codes
from tests.work_orders import factories as wf

SUBMIT = """mutation($input: SubmitExpenseClaimInput!) { submitExpenseClaim(input: $input) {
  claim { id status approverRole amount { amount currency } } userErrors { field code } } }"""
APPROVE = """mutation($input: DecideExpenseClaimInput!) { approveExpenseClaim(input: $input) {
  claim { status } userErrors { code } } }"""
CLAIMS = "query { expenseClaims { totalCount } }"


async def test_a_technician_files_and_a_dispatcher_approves(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await wf.world(session)
    tech = gql.as_role(Role.TECHNICIAN, technician_id=world.technician.id)
    filed = await tech.mutate(
        SUBMIT,
        {"category": "PARKING", "amount": "80.00", "incurredOn": "2031-01-02", "receiptRef": "r1"},
    )
    assert filed["userErrors"] == []
    assert (filed["claim"]["status"], filed["claim"]["approverRole"]) == ("SUBMITTED", "DISPATCHER")
    claim_id = filed["claim"]["id"]
    assert error_codes(await tech.mutate(APPROVE, {"claimId": claim_id})) == ["FORBIDDEN"]
    approved = await gql.as_role(Role.DISPATCHER).mutate(APPROVE, {"claimId": claim_id})
    assert approved["claim"]["status"] == "APPROVED"


async def test_a_negative_amount_is_invalid_and_writes_nothing(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await wf.world(session)
    tech = gql.as_role(Role.TECHNICIAN, technician_id=world.technician.id)
    bad = await tech.mutate(
        SUBMIT, {"category": "FUEL", "amount": "-1", "incurredOn": "2031-01-02"}
    )
    assert bad["userErrors"] == [{"field": ["amount"], "code": "INVALID"}]
    assert (await tech(CLAIMS))["expenseClaims"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("role", "code"),
    [(None, "UNAUTHENTICATED"), (Role.CUSTOMER, "FORBIDDEN"), (Role.PARTNER, None)],
)
async def test_who_may_list_claims(gql: GraphQLClient, role: Role | None, code: str | None) -> None:
    body = await gql.as_role(role, partner_id=1).raw(CLAIMS)
    if code is None:
        assert body["data"]["expenseClaims"]["totalCount"] == 0
    else:
        assert body["errors"][0]["extensions"]["code"] == code
