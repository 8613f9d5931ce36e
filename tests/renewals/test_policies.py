"""Renewal policies as data: read and changed through the API, validated, versioned; the
clock follows them; expiries by month."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.models import utcnow
from app.renewals.ladder import advance
from tests.renewals import factories
from tests.renewals.test_ladder import at, offers_of
from tests.support import GraphQLClient, error_codes

POLICIES = "query { renewalPolicies { contractKind leadDays reminderDays upliftPercent version } }"
UPDATE = """
mutation($input: UpdateRenewalPolicyInput!) {
  updateRenewalPolicy(input: $input) {
    policy { contractKind leadDays reminderDays upliftPercent version }
    userErrors { field code }
  }
}
"""
EXPIRING = """
query($since: Date) {
  contractsExpiringByMonth(since: $since, first: 3) { month count renewed offered value }
}
"""


async def test_a_policy_change_is_versioned_validated_and_followed_by_the_clock(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    policies = {p["contractKind"]: p for p in (await gql(POLICIES))["renewalPolicies"]}
    amc = policies["AMC"]
    assert (amc["leadDays"], amc["reminderDays"], amc["upliftPercent"]) == (90, [60, 30, 7], "5.00")

    changed = await gql.as_role(Role.MANAGER).mutate(
        UPDATE,
        {
            "contractKind": "AMC",
            "expectedVersion": amc["version"],
            "leadDays": 45,
            "reminderDays": [7, 21, 21],
            "upliftPercent": "10",
        },
    )
    assert changed["userErrors"] == []
    assert changed["policy"]["reminderDays"] == [21, 7]
    assert changed["policy"]["version"] == amc["version"] + 1

    stale = await gql.mutate(
        UPDATE, {"contractKind": "AMC", "expectedVersion": amc["version"], "leadDays": 30}
    )
    assert error_codes(stale) == ["STALE_VERSION"]
    bad = await gql.mutate(UPDATE, {"contractKind": "AMC", "leadDays": 0, "termMonths": 99})
    assert sorted(e["field"][0] for e in bad["userErrors"]) == ["leadDays", "termMonths"]
    forbidden = await gql.as_role(Role.DISPATCHER).mutate(
        UPDATE, {"contractKind": "AMC", "leadDays": 30}
    )
    assert error_codes(forbidden) == ["FORBIDDEN"]

    # the clock now offers 45 days ahead at +10%
    contract = await factories.contract(session, ends_on=date(2082, 12, 31))
    await advance(session, at(date(2082, 11, 15)))
    assert await offers_of(session, contract.id) == []
    await advance(session, at(date(2082, 11, 16)))
    (offer,) = await offers_of(session, contract.id)
    assert str(offer.price) == "13200.00"


async def test_contracts_expiring_by_month(gql: GraphQLClient, session: AsyncSession) -> None:
    first = (utcnow().date().replace(day=1) + timedelta(days=400)).replace(day=1)
    await factories.contract(session, ends_on=first + timedelta(days=3))
    await factories.contract(session, ends_on=first + timedelta(days=9), price="500.00")
    await factories.contract(session, ends_on=first + timedelta(days=40))

    months = (await gql(EXPIRING, {"since": first.isoformat()}))["contractsExpiringByMonth"]

    assert [m["count"] for m in months] == [2, 1, 0]
    assert months[0]["month"] == first.isoformat()
    assert months[0]["value"] == "12500.00"
    assert (await gql.as_role(Role.CUSTOMER, customer_id=1).raw(EXPIRING))["errors"]
