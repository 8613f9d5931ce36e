from __future__ import annotations

import pytest

from app.core.auth import Role
from tests.customers import factories as f
from tests.support import GraphQLClient, error_codes

UPDATE_SITE = """
mutation($input: UpdateSiteInput!) {
  updateSite(input: $input) {
    site { id name accessNotes location { lat lng } version }
    userErrors { field message code }
  }
}
"""
ARCHIVE_SITE = """
mutation($input: ArchiveInput!) {
  archiveSite(input: $input) { site { id archivedAt } userErrors { field code } }
}
"""
SITES = """
query($customerId: ID) {
  sites(customerId: $customerId) { totalCount edges { node { id name customer { name } } } }
}
"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Site { name } ... on Asset { serialNumber } } }"


async def test_a_site_keeps_its_position_address_and_access_notes(gql: GraphQLClient) -> None:
    owner = await f.customer(gql)
    home = await f.site(gql, owner["id"], accessNotes="Gate code 4711; dog in garden")

    assert home["location"] == f.BANGALORE
    assert home["accessNotes"] == "Gate code 4711; dog in garden"
    assert home["customer"]["id"] == owner["id"] and home["country"] == "IN"


async def test_invalid_site_input_reports_position_and_fields_together(gql: GraphQLClient) -> None:
    owner = await f.customer(gql)
    payload = await gql.mutate(
        f.CREATE_SITE,
        {
            "customerId": owner["id"],
            "name": "",
            "addressLine": "1 Main St",
            "city": "Pune",
            "country": "India",
            "point": {"lat": 91.0, "lng": -181.0},
        },
    )

    assert payload["site"] is None
    assert sorted(e["field"] for e in payload["userErrors"]) == [
        ["country"],
        ["name"],
        ["point", "lat"],
        ["point", "lng"],
    ]
    assert set(error_codes(payload)) == {"INVALID"}


async def test_a_site_for_an_unknown_customer_is_not_found(gql: GraphQLClient) -> None:
    from schema.ids import encode_id

    payload = await gql.mutate(
        f.CREATE_SITE,
        {
            "customerId": encode_id("Customer", 424242),
            "name": "Nowhere",
            "addressLine": "-",
            "city": "-",
            "point": f.BANGALORE,
        },
    )
    assert payload["userErrors"][0]["code"] == "NOT_FOUND"
    assert payload["userErrors"][0]["field"] == ["customerId"]


async def test_staff_must_name_the_customer(gql: GraphQLClient) -> None:
    payload = await gql.mutate(
        f.CREATE_SITE,
        {"name": "Orphan", "addressLine": "-", "city": "-", "point": f.BANGALORE},
    )
    assert payload["userErrors"] == [
        {"field": ["customerId"], "message": "customerId is required", "code": "INVALID"}
    ]


async def test_update_moves_the_pin_and_refuses_stale_versions(gql: GraphQLClient) -> None:
    owner = await f.customer(gql)
    home = await f.site(gql, owner["id"])
    moved = await gql.mutate(
        UPDATE_SITE,
        {"id": home["id"], "expectedVersion": 1, "point": {"lat": 12.98, "lng": 77.6}},
    )
    stale = await gql.mutate(UPDATE_SITE, {"id": home["id"], "expectedVersion": 1, "name": "X"})
    cleared = await gql.mutate(UPDATE_SITE, {"id": home["id"], "point": None})

    assert moved["site"]["location"] == {"lat": 12.98, "lng": 77.6}
    assert moved["site"]["version"] == 2
    assert error_codes(stale) == ["STALE_VERSION"]
    assert cleared["userErrors"][0]["field"] == ["point"]


async def test_a_site_with_active_assets_cannot_be_archived(gql: GraphQLClient) -> None:
    home = await f.household(gql)
    empty = await f.site(gql, home["customer"]["id"], "Office")

    refused = await gql.mutate(ARCHIVE_SITE, {"id": home["site"]["id"]})
    archived = await gql.mutate(ARCHIVE_SITE, {"id": empty["id"]})

    assert error_codes(refused) == ["CONFLICT"]
    assert archived["site"]["archivedAt"] is not None
    names = [e["node"]["name"] for e in (await gql(SITES))["sites"]["edges"]]
    assert names == ["Home"]


async def test_idempotent_site_create_replays_the_first_site(gql: GraphQLClient) -> None:
    owner = await f.customer(gql)
    values = {
        "customerId": owner["id"],
        "name": "Shop",
        "addressLine": "1 Brigade Rd",
        "city": "Bengaluru",
        "point": f.BANGALORE,
        "idempotencyKey": "site-1",
    }
    first = await gql.mutate(f.CREATE_SITE, values)
    again = await gql.mutate(f.CREATE_SITE, values)

    assert again["site"]["id"] == first["site"]["id"]
    assert (await gql(SITES))["sites"]["totalCount"] == 1


async def test_a_customer_adds_and_edits_their_own_sites(gql: GraphQLClient) -> None:
    owner = await f.customer(gql, "Self Service")
    me = gql.as_role(Role.CUSTOMER, customer_id=f.db_id(owner["id"]))

    created = await me.mutate(
        f.CREATE_SITE,
        {"name": "Flat", "addressLine": "5 Church St", "city": "Bengaluru", "point": f.BANGALORE},
    )
    edited = await me.mutate(UPDATE_SITE, {"id": created["site"]["id"], "accessNotes": "Lift B"})

    assert created["userErrors"] == [] and created["site"]["customer"]["id"] == owner["id"]
    assert edited["site"]["accessNotes"] == "Lift B"


async def test_a_customer_cannot_touch_another_customers_sites(gql: GraphQLClient) -> None:
    mine = await f.customer(gql, "Mine")
    theirs = await f.household(gql, "Theirs")
    me = gql.as_role(Role.CUSTOMER, customer_id=f.db_id(mine["id"]))

    added = await me.mutate(
        f.CREATE_SITE,
        {
            "customerId": theirs["customer"]["id"],
            "name": "Sneaky",
            "addressLine": "-",
            "city": "-",
            "point": f.BANGALORE,
        },
    )
    edited = await me.mutate(UPDATE_SITE, {"id": theirs["site"]["id"], "name": "Mine now"})

    assert added["userErrors"][0]["code"] == "FORBIDDEN"
    assert added["userErrors"][0]["field"] == ["customerId"]
    assert error_codes(edited) == ["NOT_FOUND"]
    assert (await me(SITES))["sites"]["totalCount"] == 0
    assert (await me(NODE, {"id": theirs["site"]["id"]}))["node"] is None
    assert (await me(NODE, {"id": theirs["asset"]["id"]}))["node"] is None


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (None, "UNAUTHENTICATED"),
        (Role.CUSTOMER, None),
        (Role.TECHNICIAN, "FORBIDDEN"),
        (Role.PARTNER, "FORBIDDEN"),
        (Role.DISPATCHER, None),
        (Role.ADMIN, None),
    ],
)
async def test_who_may_create_sites(
    gql: GraphQLClient, role: Role | None, code: str | None
) -> None:
    owner = await f.customer(gql)
    caller = gql.as_role(role, customer_id=f.db_id(owner["id"]))
    payload = await caller.mutate(
        f.CREATE_SITE,
        {
            "customerId": owner["id"],
            "name": "Site",
            "addressLine": "-",
            "city": "-",
            "point": f.BANGALORE,
        },
    )
    assert error_codes(payload) == ([code] if code else [])


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (None, "UNAUTHENTICATED"),
        (Role.CUSTOMER, "FORBIDDEN"),
        (Role.TECHNICIAN, "FORBIDDEN"),
        (Role.PARTNER, "FORBIDDEN"),
        (Role.DISPATCHER, None),
        (Role.ADMIN, None),
    ],
)
async def test_who_may_archive_sites(
    gql: GraphQLClient, role: Role | None, code: str | None
) -> None:
    owner = await f.customer(gql)
    home = await f.site(gql, owner["id"])
    caller = gql.as_role(role, customer_id=f.db_id(owner["id"]))

    payload = await caller.mutate(ARCHIVE_SITE, {"id": home["id"]})
    assert error_codes(payload) == ([code] if code else [])


@pytest.mark.parametrize(
    ("role", "count"),
    [(Role.CUSTOMER, 1), (Role.TECHNICIAN, 0), (Role.PARTNER, 0), (Role.DISPATCHER, 2)],
)
async def test_who_sees_which_sites(gql: GraphQLClient, role: Role, count: int) -> None:
    mine = await f.household(gql, "Mine", "A-1")
    await f.household(gql, "Theirs", "B-1")
    caller = gql.as_role(role, customer_id=f.db_id(mine["customer"]["id"]))

    assert (await caller(SITES))["sites"]["totalCount"] == count
