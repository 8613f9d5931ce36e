"""Service plans through the API: create, list visits, edit, end the contract, entitlement,
and who may do and read what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.core.auth import Role
from app.core.models import utcnow
from tests.customers import factories as f
from tests.service_plans import factories as sp
from tests.support import GraphQLClient, error_codes

CREATE = """
mutation($input: CreateServicePlanInput!) {
  createServicePlan(input: $input) {
    plan { id name visitType target frequency interval monthDay version
           contract { id } assets { id } requiredSkills { code minLevel } }
    userErrors { field message code }
  }
}
"""
UPDATE = """
mutation($input: UpdateServicePlanInput!) {
  updateServicePlan(input: $input) {
    plan { id toleranceAfterDays version } userErrors { field message code }
  }
}
"""
ARCHIVE = """
mutation($input: ArchiveInput!) {
  archiveServicePlan(input: $input) { plan { id } userErrors { field message code } }
}
"""
END = """
mutation($input: EndContractInput!) {
  endContract(input: $input) {
    contract { id endsOn } cancelledVisits userErrors { field message code }
  }
}
"""
VISITS = """
query($contractId: ID, $status: [PlannedVisitStatus!], $from: Date, $to: Date) {
  plannedVisits(contractId: $contractId, status: $status, from: $from, to: $to, first: 50) {
    totalCount
    edges { node { id dueOn visitOn status cancelReason windowStart
                   plan { name } asset { id } task { id type status windowStart } } }
  }
}
"""
ENTITLEMENT = """
query($id: ID!) {
  contractEntitlement(contractId: $id) { included planned done missed remaining contract { id } }
}
"""
PLANS = "query { servicePlans { totalCount edges { node { id name } } } }"


def _today() -> str:
    return utcnow().date().isoformat()


async def _setup(gql: GraphQLClient, serial: str = "SN-1") -> dict[str, Any]:
    today = utcnow().date()
    home = await sp.covered_home(
        gql,
        serial=serial,
        starts_on=(today - timedelta(days=30)).isoformat(),
        ends_on=(today + timedelta(days=364)).isoformat(),
    )
    created = await gql.mutate(
        CREATE,
        {
            "contractId": home["contract"]["id"],
            "name": "Monthly AC service",
            "target": "ASSETS",
            "assetIds": [home["asset"]["id"]],
            "frequency": "MONTHLY",
            "startsOn": _today(),
            "endsOn": (today + timedelta(days=45)).isoformat(),  # two monthly visits
            "toleranceAfterDays": 5,
            "nonWorkingWeekdays": [],
        },
    )
    assert created["userErrors"] == []
    return home | {"plan": created["plan"]}


async def test_a_plan_makes_visits_listed_with_their_tasks(gql: GraphQLClient) -> None:
    home = await _setup(gql)

    listed = await gql(VISITS, {"contractId": home["contract"]["id"]})

    plan = home["plan"]
    assert (plan["visitType"], plan["target"], plan["assets"]) == (
        "PREVENTIVE",
        "ASSETS",
        [{"id": home["asset"]["id"]}],
    )
    visits = [e["node"] for e in listed["plannedVisits"]["edges"]]
    assert listed["plannedVisits"]["totalCount"] == 2
    assert visits[0]["dueOn"] == visits[0]["visitOn"] == _today()
    assert {v["status"] for v in visits} == {"PLANNED"}
    assert visits[0]["task"]["type"] == "PREVENTIVE"
    assert visits[0]["task"]["status"] == "UNSCHEDULED"
    assert visits[0]["task"]["windowStart"] == visits[0]["windowStart"]
    assert visits[0]["plan"]["name"] == "Monthly AC service"


async def test_bad_plans_are_refused_with_field_errors(gql: GraphQLClient) -> None:
    home = await _setup(gql)
    other = await f.household(gql, "Ravi Kumar", "SN-9")

    payload = await gql.mutate(
        CREATE,
        {
            "contractId": home["contract"]["id"],
            "name": "Wrong",
            "target": "ASSETS",
            "assetIds": [other["asset"]["id"]],
            "frequency": "MONTHLY",
            "visitType": "REPAIR",
            "byMonths": [13],
            "requiredSkills": [{"code": "NO-SUCH-SKILL"}],
        },
    )

    assert payload["plan"] is None
    assert {tuple(e["field"]) for e in payload["userErrors"]} == {
        ("visitType",),
        ("byMonths",),
        ("assetIds", "0"),
        ("requiredSkills", "0"),
    }


async def test_an_edit_with_a_stale_version_is_refused(gql: GraphQLClient) -> None:
    home = await _setup(gql)
    plan = home["plan"]

    edited = await gql.mutate(
        UPDATE, {"id": plan["id"], "toleranceAfterDays": 2, "expectedVersion": plan["version"]}
    )
    stale = await gql.mutate(
        UPDATE, {"id": plan["id"], "toleranceAfterDays": 3, "expectedVersion": plan["version"]}
    )

    assert edited["plan"]["toleranceAfterDays"] == 2
    assert error_codes(stale) == ["STALE_VERSION"]


async def test_ending_the_contract_cancels_later_visits_and_entitlement_follows(
    gql: GraphQLClient,
) -> None:
    home = await _setup(gql)

    ended = await gql.mutate(
        END, {"contractId": home["contract"]["id"], "endsOn": _today(), "reason": "sold the unit"}
    )
    cancelled = await gql(VISITS, {"contractId": home["contract"]["id"], "status": ["CANCELLED"]})
    used = await gql(ENTITLEMENT, {"id": home["contract"]["id"]})

    assert (ended["cancelledVisits"], ended["contract"]["endsOn"]) == (1, _today())
    reasons = {e["node"]["cancelReason"] for e in cancelled["plannedVisits"]["edges"]}
    assert reasons == {"contract ended: sold the unit"}
    assert {e["node"]["task"]["status"] for e in cancelled["plannedVisits"]["edges"]} == {
        "CANCELLED"
    }
    assert used["contractEntitlement"]["planned"] == 1
    assert used["contractEntitlement"]["done"] == 0


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (Role.DISPATCHER, "FORBIDDEN"),
        (Role.AGENT, "FORBIDDEN"),
        (Role.TECHNICIAN, "FORBIDDEN"),
        (Role.PARTNER, "FORBIDDEN"),
        (Role.CUSTOMER, "FORBIDDEN"),
        (None, "UNAUTHENTICATED"),
    ],
)
async def test_only_admins_and_managers_write_plans(
    gql: GraphQLClient, role: Role | None, code: str
) -> None:
    home = await _setup(gql)
    links = {"customer_id": home["customerDbId"]} if role is Role.CUSTOMER else {}
    caller = gql.as_role(role, **links)
    plan_id, contract_id = home["plan"]["id"], home["contract"]["id"]
    create = {"contractId": contract_id, "name": "X", "target": "ALL_COVERED"}

    payloads = [
        await caller.mutate(CREATE, create | {"frequency": "MONTHLY"}),
        await caller.mutate(UPDATE, {"id": plan_id, "toleranceAfterDays": 1}),
        await caller.mutate(ARCHIVE, {"id": plan_id}),
        await caller.mutate(END, {"contractId": contract_id, "endsOn": _today(), "reason": "x"}),
    ]

    assert [error_codes(p) for p in payloads] == [[code]] * 4
    listed = await gql(VISITS, {"contractId": contract_id, "status": ["CANCELLED"]})
    assert listed["plannedVisits"]["totalCount"] == 0


async def test_a_manager_writes_plans(gql: GraphQLClient) -> None:
    home = await _setup(gql)
    payload = await gql.as_role(Role.MANAGER).mutate(
        UPDATE, {"id": home["plan"]["id"], "toleranceAfterDays": 4}
    )
    assert payload["userErrors"] == []


async def test_who_reads_visits_plans_and_entitlement(gql: GraphQLClient) -> None:
    mine = await _setup(gql, "SN-1")
    theirs = await _setup(gql, "SN-2")
    customer = gql.as_role(Role.CUSTOMER, customer_id=mine["customerDbId"])

    own = await customer(VISITS, {})
    own_plans = await customer(PLANS)
    own_use = await customer(ENTITLEMENT, {"id": mine["contract"]["id"]})
    other_use = await customer(ENTITLEMENT, {"id": theirs["contract"]["id"]})
    staff = await gql.as_role(Role.DISPATCHER)(VISITS, {})
    technician = await gql.as_role(Role.TECHNICIAN, technician_id=999_999)(VISITS, {})
    partner = await gql.as_role(Role.PARTNER, partner_id=999_999)(VISITS, {})

    assert own["plannedVisits"]["totalCount"] == 2
    assert {e["node"]["asset"]["id"] for e in own["plannedVisits"]["edges"]} == {
        mine["asset"]["id"]
    }
    assert [e["node"]["id"] for e in own_plans["servicePlans"]["edges"]] == [mine["plan"]["id"]]
    assert own_use["contractEntitlement"]["included"] == 4
    assert other_use["contractEntitlement"] is None
    assert staff["plannedVisits"]["totalCount"] == 4
    assert technician["plannedVisits"]["totalCount"] == 0
    assert partner["plannedVisits"]["totalCount"] == 0
