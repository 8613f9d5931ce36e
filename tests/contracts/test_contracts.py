from __future__ import annotations

import re

import pytest

from app.core.auth import Role
from tests.customers import factories as f
from tests.support import GraphQLClient, StatementCounter, error_codes

UPDATE = """
mutation($input: UpdateContractInput!) {
  updateContract(input: $input) {
    contract {
      id kind coversLabour coversParts endsOn version coveredAssets { id } coveredSites { id }
    }
    userErrors { field message code }
  }
}
"""
ARCHIVE = """
mutation($input: ArchiveInput!) {
  archiveContract(input: $input) { contract { id archivedAt } userErrors { field code } }
}
"""
CONTRACTS = """
query($customerId: ID, $activeOn: Date) {
  contracts(customerId: $customerId, activeOn: $activeOn) {
    totalCount
    edges { node { id number isActive(on: "2026-06-01") coveredAssets { serialNumber } } }
  }
}
"""
COVERAGE = """
query($id: ID!, $on: Date) {
  node(id: $id) {
    ... on Asset {
      coverage(on: $on) {
        status contractKind labourCovered partsCovered slaResponseHours contract { number }
      }
    }
  }
}
"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Contract { number } } }"


@pytest.mark.parametrize(
    ("kind", "labour", "parts", "prefix"),
    [
        ("AMC", True, False, "AMC"),
        ("CMC", True, True, "CMC"),
        ("EXTENDED_WARRANTY", True, True, "EW"),
    ],
)
async def test_a_contract_covers_by_its_kind_and_gets_a_number(
    gql: GraphQLClient, kind: str, labour: bool, parts: bool, prefix: str
) -> None:
    home = await f.household(gql)
    created = await f.contract(
        gql, home["customer"]["id"], kind=kind, coveredAssetIds=[home["asset"]["id"]]
    )

    assert (created["coversLabour"], created["coversParts"]) == (labour, parts)
    assert re.fullmatch(rf"{prefix}-2026-\d{{6}}", created["number"])
    assert created["coveredAssets"] == [{"id": home["asset"]["id"]}]
    assert created["customer"]["id"] == home["customer"]["id"]


async def test_explicit_terms_override_the_defaults(gql: GraphQLClient) -> None:
    home = await f.household(gql)
    created = await f.contract(
        gql,
        home["customer"]["id"],
        number="AMC/BLR/0007",
        coversParts=True,
        slaResponseHours=4,
        slaResolutionHours=24,
        coveredSiteIds=[home["site"]["id"]],
    )
    duplicate = await gql.mutate(
        f.CREATE_CONTRACT,
        {
            "customerId": home["customer"]["id"],
            "number": "AMC/BLR/0007",
            "kind": "AMC",
            "startsOn": "2026-01-01",
            "endsOn": "2026-12-31",
            "coveredSiteIds": [home["site"]["id"]],
        },
    )

    assert created["number"] == "AMC/BLR/0007" and created["coversParts"] is True
    assert (created["slaResponseHours"], created["slaResolutionHours"]) == (4, 24)
    assert error_codes(duplicate) == ["DUPLICATE"] and duplicate["userErrors"][0]["field"] == [
        "number"
    ]


async def test_bad_terms_are_reported_together_with_field_paths(gql: GraphQLClient) -> None:
    home = await f.household(gql)
    stranger = await f.household(gql, "Stranger", "SN-X")
    payload = await gql.mutate(
        f.CREATE_CONTRACT,
        {
            "customerId": home["customer"]["id"],
            "kind": "EXTENDED_WARRANTY",
            "startsOn": "2026-06-01",
            "endsOn": "2026-05-31",
            "slaResponseHours": 24,
            "slaResolutionHours": 8,
            "coveredAssetIds": [home["asset"]["id"], stranger["asset"]["id"]],
            "coveredSiteIds": [home["site"]["id"]],
        },
    )

    assert payload["contract"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["endsOn"], "INVALID"),
        (["slaResolutionHours"], "INVALID"),
        (["coveredSiteIds"], "INVALID"),
        (["coveredAssetIds", "1"], "INVALID"),
    ]
    assert (await gql(CONTRACTS))["contracts"]["totalCount"] == 0


async def test_a_contract_must_cover_something(gql: GraphQLClient) -> None:
    owner = await f.customer(gql)
    payload = await gql.mutate(
        f.CREATE_CONTRACT,
        {
            "customerId": owner["id"],
            "kind": "AMC",
            "startsOn": "2026-01-01",
            "endsOn": "2026-12-31",
        },
    )
    assert payload["userErrors"][0]["field"] == ["coveredAssetIds"]
    assert error_codes(payload) == ["INVALID"]


async def test_update_changes_kind_terms_and_coverage(gql: GraphQLClient) -> None:
    home = await f.household(gql)
    office = await f.site(gql, home["customer"]["id"], "Office")
    created = await f.contract(gql, home["customer"]["id"], coveredSiteIds=[home["site"]["id"]])

    upgraded = await gql.mutate(
        UPDATE, {"id": created["id"], "expectedVersion": 1, "kind": "CMC", "endsOn": "2027-03-31"}
    )
    recovered = await gql.mutate(
        UPDATE,
        {
            "id": created["id"],
            "coveredSiteIds": [office["id"]],
            "coveredAssetIds": [home["asset"]["id"]],
        },
    )
    stale = await gql.mutate(UPDATE, {"id": created["id"], "expectedVersion": 1, "notes": "late"})
    backwards = await gql.mutate(UPDATE, {"id": created["id"], "endsOn": "2025-01-01"})

    assert upgraded["contract"]["coversParts"] is True and upgraded["contract"]["version"] == 2
    assert upgraded["contract"]["endsOn"] == "2027-03-31"
    assert recovered["contract"]["coveredSites"] == [{"id": office["id"]}]
    assert recovered["contract"]["coveredAssets"] == [{"id": home["asset"]["id"]}]
    assert error_codes(stale) == ["STALE_VERSION"]
    assert backwards["userErrors"][0]["field"] == ["endsOn"]


async def test_active_on_and_archive_shape_the_list(gql: GraphQLClient) -> None:
    home = await f.household(gql)
    customer_id = home["customer"]["id"]
    current = await f.contract(gql, customer_id, coveredSiteIds=[home["site"]["id"]])
    await f.contract(
        gql,
        customer_id,
        startsOn="2024-01-01",
        endsOn="2024-12-31",
        coveredSiteIds=[home["site"]["id"]],
    )
    withdrawn = await f.contract(gql, customer_id, coveredSiteIds=[home["site"]["id"]])
    archived = await gql.mutate(ARCHIVE, {"id": withdrawn["id"], "expectedVersion": 1})

    active = await gql(CONTRACTS, {"activeOn": "2026-06-01"})
    listed = await gql(CONTRACTS, {"customerId": customer_id})

    assert archived["contract"]["archivedAt"] is not None
    assert [e["node"]["id"] for e in active["contracts"]["edges"]] == [current["id"]]
    assert [e["node"]["isActive"] for e in listed["contracts"]["edges"]] == [True, False]


async def test_asset_coverage_is_exposed_on_the_asset(gql: GraphQLClient) -> None:
    home = await f.household(gql)
    cmc = await f.contract(
        gql,
        home["customer"]["id"],
        kind="CMC",
        startsOn="2027-01-01",
        endsOn="2027-12-31",
        slaResponseHours=6,
        coveredAssetIds=[home["asset"]["id"]],
    )
    asset_id = home["asset"]["id"]

    async def on(day: str) -> dict:
        return (await gql(COVERAGE, {"id": asset_id, "on": day}))["node"]["coverage"]

    assert (await on("2026-06-01"))["status"] == "WARRANTY"
    assert await on("2027-06-01") == {
        "status": "CONTRACT",
        "contractKind": "CMC",
        "labourCovered": True,
        "partsCovered": True,
        "slaResponseHours": 6,
        "contract": {"number": cmc["number"]},
    }
    assert (await on("2028-06-01"))["status"] == "CHARGEABLE"


async def test_idempotent_contract_create_replays(gql: GraphQLClient) -> None:
    home = await f.household(gql)
    values = {
        "customerId": home["customer"]["id"],
        "kind": "AMC",
        "startsOn": "2026-01-01",
        "endsOn": "2026-12-31",
        "coveredSiteIds": [home["site"]["id"]],
        "idempotencyKey": "ct-1",
    }
    first = await gql.mutate(f.CREATE_CONTRACT, values)
    again = await gql.mutate(f.CREATE_CONTRACT, values)

    assert again["contract"]["id"] == first["contract"]["id"]
    assert again["contract"]["number"] == first["contract"]["number"]
    assert (await gql(CONTRACTS))["contracts"]["totalCount"] == 1


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (None, "UNAUTHENTICATED"),
        (Role.CUSTOMER, "FORBIDDEN"),
        (Role.TECHNICIAN, "FORBIDDEN"),
        (Role.PARTNER, "FORBIDDEN"),
        (Role.DISPATCHER, "FORBIDDEN"),
        (Role.MANAGER, None),
        (Role.ADMIN, None),
    ],
)
async def test_who_may_create_contracts(
    gql: GraphQLClient, role: Role | None, code: str | None
) -> None:
    home = await f.household(gql)
    caller = gql.as_role(role, customer_id=f.db_id(home["customer"]["id"]))
    payload = await caller.mutate(
        f.CREATE_CONTRACT,
        {
            "customerId": home["customer"]["id"],
            "kind": "AMC",
            "startsOn": "2026-01-01",
            "endsOn": "2026-12-31",
            "coveredSiteIds": [home["site"]["id"]],
        },
    )
    assert error_codes(payload) == ([code] if code else [])


async def test_a_customer_sees_only_their_own_contracts(gql: GraphQLClient) -> None:
    mine = await f.household(gql, "Mine", "M-1")
    theirs = await f.household(gql, "Theirs", "T-1")
    own = await f.contract(gql, mine["customer"]["id"], coveredSiteIds=[mine["site"]["id"]])
    other = await f.contract(gql, theirs["customer"]["id"], coveredSiteIds=[theirs["site"]["id"]])
    me = gql.as_role(Role.CUSTOMER, customer_id=f.db_id(mine["customer"]["id"]))

    assert [e["node"]["id"] for e in (await me(CONTRACTS))["contracts"]["edges"]] == [own["id"]]
    assert (await me(NODE, {"id": other["id"]}))["node"] is None
    assert (await gql.as_role(Role.TECHNICIAN)(CONTRACTS))["contracts"]["totalCount"] == 0


async def test_contract_lists_with_coverage_cost_the_same_for_2_and_20(
    gql: GraphQLClient, statements: StatementCounter
) -> None:
    async def seed(count: int) -> None:
        for n in range(count):
            home = await f.household(gql, f"C{count}-{n}", f"S{count}-{n}")
            await f.contract(gql, home["customer"]["id"], coveredAssetIds=[home["asset"]["id"]])

    await seed(2)
    statements.reset()
    await gql(CONTRACTS)
    small = statements.total
    await seed(18)
    statements.reset()
    large = await gql(CONTRACTS)

    assert large["contracts"]["totalCount"] == 20
    assert statements.total == small == 3
