"""Requisition approval thresholds are policy data: seeded, edited by admins per currency,
and followed by every new requisition."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from tests.inventory import factories
from tests.inventory.test_requisitions import APPROVE, CREATE, _request
from tests.support import GraphQLClient, error_codes

THRESHOLDS = """query { requisitionApprovalThresholds {
  currency dispatcherLimit { amount currency } managerLimit { amount } version } }"""
SET = """mutation($input: SetRequisitionApprovalThresholdInput!) {
  setRequisitionApprovalThreshold(input: $input) {
    threshold { currency dispatcherLimit { amount currency } managerLimit { amount } version }
    userErrors { field code } } }"""
REMOVE = """mutation($input: RemoveRequisitionApprovalThresholdInput!) {
  removeRequisitionApprovalThreshold(input: $input) {
    threshold { currency } userErrors { field code } } }"""


async def _requisition(
    gql: GraphQLClient, session: AsyncSession, cost: str, currency: str = "INR"
) -> dict[str, Any]:
    main = await factories.warehouse(session)
    item = await factories.part(session, cost=cost, currency=currency)
    tech = await factories.technician(session)
    created = await gql.as_role(Role.DISPATCHER).mutate(CREATE, _request(main, item, tech, 1))
    assert created["userErrors"] == []
    return dict(created["requisition"])


async def test_the_limits_that_were_in_code_are_seeded(gql: GraphQLClient) -> None:
    data = await gql.as_role(Role.DISPATCHER)(THRESHOLDS)
    assert data["requisitionApprovalThresholds"] == [
        {
            "currency": currency,
            "dispatcherLimit": {"amount": amount, "currency": currency},
            "managerLimit": None,
            "version": 1,
        }
        for currency, amount in (("EUR", "150.00"), ("INR", "10000.00"), ("USD", "150.00"))
    ]


async def test_new_requisitions_follow_the_limits_an_admin_sets(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a requisition raised under the seeded INR limit (dispatcher up to 10000)
    earlier = await _requisition(gql, session, "800.00")
    # when an admin lowers the dispatcher limit to 500 and caps managers at 5000
    changed = await gql.mutate(
        SET,
        {"currency": "INR", "dispatcherLimit": "500", "managerLimit": "5000", "expectedVersion": 1},
    )
    assert changed["userErrors"] == []
    assert changed["threshold"]["version"] == 2
    # then new requisitions get the approver of their value's tier
    cheap = await _requisition(gql, session, "400.00")
    middle = await _requisition(gql, session, "800.00")
    dear = await _requisition(gql, session, "6000.00")
    assert [r["approverRole"] for r in (cheap, middle, dear)] == ["DISPATCHER", "MANAGER", "ADMIN"]
    # and the one raised before keeps the approver it was given
    assert earlier["approverRole"] == "DISPATCHER"
    by_dispatcher = await gql.as_role(Role.DISPATCHER).mutate(APPROVE, {"id": earlier["id"]})
    assert by_dispatcher["requisition"]["status"] == "APPROVED"
    # and above the manager limit only an admin approves
    by_manager = await gql.as_role(Role.MANAGER).mutate(APPROVE, {"id": dear["id"]})
    by_admin = await gql.as_role(Role.ADMIN).mutate(APPROVE, {"id": dear["id"]})
    assert error_codes(by_manager) == ["FORBIDDEN"]
    assert by_admin["requisition"]["status"] == "APPROVED"


async def test_a_new_currency_gets_limits_and_a_removed_one_needs_a_manager(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # a currency without limits needs a manager
    before = await _requisition(gql, session, "10.00", "GBP")
    assert before["approverRole"] == "MANAGER"
    # an admin gives GBP a dispatcher limit
    made = await gql.mutate(SET, {"currency": "GBP", "dispatcherLimit": "100"})
    assert made["threshold"]["dispatcherLimit"] == {"amount": "100.00", "currency": "GBP"}
    after = await _requisition(gql, session, "10.00", "GBP")
    assert after["approverRole"] == "DISPATCHER"
    # and removes it again
    removed = await gql.mutate(REMOVE, {"currency": "GBP"})
    assert removed["userErrors"] == [] and removed["threshold"]["currency"] == "GBP"
    again = await _requisition(gql, session, "10.00", "GBP")
    assert again["approverRole"] == "MANAGER"
    listed = await gql(THRESHOLDS)
    assert "GBP" not in [t["currency"] for t in listed["requisitionApprovalThresholds"]]


@pytest.mark.parametrize(
    ("input", "errors"),
    [
        (
            {"currency": "INR", "dispatcherLimit": "500", "managerLimit": "100"},
            [{"field": ["managerLimit"], "code": "INVALID"}],
        ),
        (
            {"currency": "inr", "dispatcherLimit": "500"},
            [{"field": ["currency"], "code": "INVALID"}],
        ),
        (
            {"currency": "INR", "dispatcherLimit": "-1"},
            [{"field": ["dispatcherLimit"], "code": "INVALID"}],
        ),
        (
            {"currency": "INR", "dispatcherLimit": "500", "expectedVersion": 7},
            [{"field": ["expectedVersion"], "code": "STALE_VERSION"}],
        ),
        (
            {"currency": "JPY", "dispatcherLimit": "500", "expectedVersion": 1},
            [{"field": ["currency"], "code": "NOT_FOUND"}],
        ),
    ],
)
async def test_bad_limits_are_refused_and_write_nothing(
    gql: GraphQLClient, input: dict[str, Any], errors: list[dict[str, Any]]
) -> None:
    payload = await gql.mutate(SET, input)
    assert payload["userErrors"] == errors and payload["threshold"] is None
    listed = await gql(THRESHOLDS)
    inr = next(t for t in listed["requisitionApprovalThresholds"] if t["currency"] == "INR")
    assert inr["dispatcherLimit"]["amount"] == "10000.00" and inr["version"] == 1
    assert "JPY" not in [t["currency"] for t in listed["requisitionApprovalThresholds"]]


async def test_removing_a_currency_without_limits_is_not_found(gql: GraphQLClient) -> None:
    payload = await gql.mutate(REMOVE, {"currency": "XYZ"})
    assert payload["userErrors"] == [{"field": ["currency"], "code": "NOT_FOUND"}]


@pytest.mark.parametrize(
    ("role", "reads", "writes"),
    [
        (None, "UNAUTHENTICATED", "UNAUTHENTICATED"),
        (Role.CUSTOMER, "FORBIDDEN", "FORBIDDEN"),
        (Role.PARTNER, "FORBIDDEN", "FORBIDDEN"),
        (Role.TECHNICIAN, "FORBIDDEN", "FORBIDDEN"),
        (Role.DISPATCHER, None, "FORBIDDEN"),
        (Role.MANAGER, None, "FORBIDDEN"),
        (Role.ADMIN, None, None),
    ],
)
async def test_who_reads_and_who_edits_the_thresholds(
    gql: GraphQLClient, role: Role | None, reads: str | None, writes: str | None
) -> None:
    client = gql.as_role(role)
    read = await client.raw(THRESHOLDS)
    read_codes = [e["extensions"]["code"] for e in read.get("errors") or []]
    assert read_codes == ([reads] if reads else [])
    wrote = await client.raw(SET, {"input": {"currency": "USD", "dispatcherLimit": "200"}})
    payload = (wrote.get("data") or {}).get("setRequisitionApprovalThreshold")
    codes = error_codes(payload) if payload else [e["extensions"]["code"] for e in wrote["errors"]]
    assert codes == ([writes] if writes else [])
