"""The replacement report: rate and value by depot and period."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from tests.replacements.factories import case
from tests.replacements.test_replacements_api import (
    APPROVE,
    REJECT,
    REQUEST,
    gid,
    request_input,
    requested,
)
from tests.support import GraphQLClient

REPORT = """
query($depot: ID) { replacementReport(period: MONTH, stockLocationId: $depot) {
  periodStart requested approved rejected withdrawn replacementRate value { amount currency }
  depot { id code } } }
"""


async def test_the_report_counts_rate_and_value_per_depot(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given two requests issuing from one depot: one approved, one rejected
    approved, rejected = await case(session, cost="3000.00"), await case(session)
    rejected.depot = approved.depot  # both issue from one depot
    first = await requested(gql, approved)
    other = request_input(rejected, replacementPartId=gid("Part", approved.unit.id))
    payload = await gql.mutate(REQUEST, other | {"diagnosis": "PCB burnt"})
    second = payload["request"]
    dispatcher = gql.as_role(Role.DISPATCHER)
    await dispatcher.mutate(APPROVE, {"requestId": first["id"], "newSerialNumber": "R1"})
    await dispatcher.mutate(REJECT, {"requestId": second["id"], "reason": "Misuse"})

    # when a manager reads the report for that depot
    rows = (
        await gql.as_role(Role.MANAGER)(REPORT, {"depot": gid("StockLocation", approved.depot.id)})
    )["replacementReport"]

    # then this month's row counts both, the rate is 1 of 2 decided, the value the unit's cost
    (row,) = rows
    assert row["depot"]["id"] == gid("StockLocation", approved.depot.id)
    assert (row["requested"], row["approved"], row["rejected"], row["withdrawn"]) == (2, 1, 1, 0)
    assert row["replacementRate"] == 0.5
    assert row["value"] == {"amount": "3000.00", "currency": "INR"}

    # and customers and technicians may not read it
    for role in (Role.CUSTOMER, Role.TECHNICIAN, Role.AGENT):
        body = await gql.as_role(role).raw(REPORT, {"depot": None})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
