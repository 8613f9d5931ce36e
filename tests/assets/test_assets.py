from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.assets.service import certificate_number
from app.core.auth import Role
from tests.customers import factories as f
from tests.support import GraphQLClient, error_codes

UPDATE_ASSET = """
mutation($input: UpdateAssetInput!) {
  updateAsset(input: $input) {
    asset { id serialNumber soldOn warrantyExpiresOn version site { id } }
    userErrors { field message code }
  }
}
"""
ARCHIVE_ASSET = """
mutation($input: ArchiveInput!) {
  archiveAsset(input: $input) { asset { id archivedAt } userErrors { field code } }
}
"""
REGISTER_EWARRANTY = """
mutation($input: RegisterEwarrantyInput!) {
  registerEwarranty(input: $input) {
    asset { id ewarrantyCertificate ewarrantyRegisteredOn version }
    userErrors { field message code }
  }
}
"""
UPDATE_MODEL = """
mutation($input: UpdateProductModelInput!) {
  updateProductModel(input: $input) {
    productModel { id warrantyMonths version }
    userErrors { field code }
  }
}
"""
ARCHIVE_MODEL = """
mutation($input: ArchiveInput!) {
  archiveProductModel(input: $input) { productModel { id archivedAt } userErrors { field code } }
}
"""
ASSETS = """
query($customerId: ID, $siteId: ID, $serial: String) {
  assets(customerId: $customerId, siteId: $siteId, serialNumber: $serial) {
    totalCount edges { node { id serialNumber } }
  }
}
"""
MODELS = """
query($category: ProductCategory, $search: String) {
  productModels(category: $category, search: $search) { totalCount edges { node { code } } }
}
"""
WARRANTY = """
query($id: ID!, $on: Date) { node(id: $id) { ... on Asset { underWarranty(on: $on) } } }
"""


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def days_ago(days: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("months", "dates", "expires"),
    [
        (12, {"soldOn": "2026-01-15"}, "2027-01-14"),
        (12, {"soldOn": "2026-01-15", "installedOn": "2026-02-01"}, "2027-01-14"),
        (24, {"installedOn": "2024-02-29"}, "2026-02-27"),
        (1, {"soldOn": "2026-01-31"}, "2026-02-27"),
        (12, {"soldOn": "2026-01-15", "warrantyExpiresOn": "2028-06-30"}, "2028-06-30"),
        (0, {"soldOn": "2026-01-15"}, None),
        (12, {}, None),
    ],
)
async def test_warranty_expiry_follows_the_model_and_the_sale_date(
    gql: GraphQLClient, months: int, dates: dict[str, str], expires: str | None
) -> None:
    owner = await f.customer(gql)
    home = await f.site(gql, owner["id"])
    model = await f.product_model(gql, warranty_months=months)

    unit = await f.asset(gql, home["id"], model["id"], "SN-W", **dates)
    assert unit["warrantyExpiresOn"] == expires


async def test_under_warranty_is_answered_for_any_day(gql: GraphQLClient) -> None:
    home = await f.household(gql)
    asset_id = home["asset"]["id"]

    async def on(day: str) -> bool:
        return bool((await gql(WARRANTY, {"id": asset_id, "on": day}))["node"]["underWarranty"])

    assert [await on(d) for d in ("2026-01-14", "2026-01-15", "2027-01-14", "2027-01-15")] == [
        False,
        True,
        True,
        False,
    ]


async def test_inconsistent_dates_are_refused_together(gql: GraphQLClient) -> None:
    owner = await f.customer(gql)
    home = await f.site(gql, owner["id"])
    model = await f.product_model(gql)
    payload = await gql.mutate(
        f.REGISTER_ASSET,
        {
            "siteId": home["id"],
            "productModelId": model["id"],
            "serialNumber": "SN-D",
            "soldOn": "2026-03-01",
            "installedOn": "2026-02-01",
            "warrantyExpiresOn": "2026-01-01",
        },
    )
    assert [e["field"] for e in payload["userErrors"]] == [["installedOn"], ["warrantyExpiresOn"]]
    assert (await gql(ASSETS))["assets"]["totalCount"] == 0


async def test_a_serial_is_unique_per_product_model(gql: GraphQLClient) -> None:
    home = await f.household(gql, serial="SN-9")
    other_model = await f.product_model(gql, code="OTHER")

    again = await gql.mutate(
        f.REGISTER_ASSET,
        {
            "siteId": home["site"]["id"],
            "productModelId": home["model"]["id"],
            "serialNumber": "SN-9",
        },
    )
    elsewhere = await f.asset(gql, home["site"]["id"], other_model["id"], "SN-9")

    assert error_codes(again) == ["DUPLICATE"] and again["userErrors"][0]["field"] == [
        "serialNumber"
    ]
    assert elsewhere["serialNumber"] == "SN-9"


async def test_unknown_or_archived_references_are_refused(gql: GraphQLClient) -> None:
    from schema.ids import encode_id

    home = await f.household(gql)
    active = await f.product_model(gql, code="ACTIVE")
    await gql.mutate(ARCHIVE_MODEL, {"id": home["model"]["id"]})
    archived_model = await gql.mutate(
        f.REGISTER_ASSET,
        {"siteId": home["site"]["id"], "productModelId": home["model"]["id"], "serialNumber": "X"},
    )
    unknown_site = await gql.mutate(
        f.REGISTER_ASSET,
        {
            "siteId": encode_id("Site", 777777),
            "productModelId": active["id"],
            "serialNumber": "X",
        },
    )
    wrong_type = await gql.mutate(
        f.REGISTER_ASSET,
        {"siteId": home["model"]["id"], "productModelId": active["id"], "serialNumber": "X"},
    )

    assert archived_model["userErrors"][0] | {"message": ""} == {
        "field": ["productModelId"],
        "code": "INVALID",
        "message": "",
    }
    assert unknown_site["userErrors"][0]["code"] == "NOT_FOUND"
    assert unknown_site["userErrors"][0]["field"] == ["siteId"]
    assert wrong_type["userErrors"][0]["field"] == ["siteId"]


async def test_registering_an_ewarranty_issues_a_deterministic_certificate(
    gql: GraphQLClient,
) -> None:
    owner = await f.customer(gql)
    home = await f.site(gql, owner["id"])
    model = await f.product_model(gql)

    unit = await f.asset(
        gql, home["id"], model["id"], "SN-E", soldOn=days_ago(30), registerEwarranty=True
    )

    expected = certificate_number(f.db_id(unit["id"]), datetime.now(UTC).date())
    assert unit["ewarrantyCertificate"] == expected
    assert re.fullmatch(r"EW-\d{4}-\d{8}-\d", expected)
    assert unit["ewarrantyRegisteredOn"] == today()


def test_certificate_numbers_carry_a_luhn_check_digit() -> None:
    from datetime import date

    assert certificate_number(42, date(2026, 3, 1)) == "EW-2026-00000042-5"
    assert certificate_number(43, date(2026, 3, 1)) != certificate_number(42, date(2026, 3, 1))


async def test_an_ewarranty_needs_a_running_warranty_and_is_registered_once(
    gql: GraphQLClient,
) -> None:
    owner = await f.customer(gql)
    home = await f.site(gql, owner["id"])
    model = await f.product_model(gql)
    expired = await f.asset(gql, home["id"], model["id"], "OLD", soldOn="2020-01-01")
    undated = await f.asset(gql, home["id"], model["id"], "NODATE")
    fresh = await f.asset(gql, home["id"], model["id"], "NEW", soldOn=days_ago(3))

    first = await gql.mutate(REGISTER_EWARRANTY, {"id": fresh["id"], "expectedVersion": 1})
    second = await gql.mutate(REGISTER_EWARRANTY, {"id": fresh["id"]})
    too_late = await gql.mutate(REGISTER_EWARRANTY, {"id": expired["id"]})
    no_date = await gql.mutate(REGISTER_EWARRANTY, {"id": undated["id"]})

    assert first["asset"]["ewarrantyCertificate"].startswith("EW-")
    assert first["asset"]["version"] == 2
    assert error_codes(second) == ["CONFLICT"]
    assert error_codes(too_late) == ["INVALID"] and error_codes(no_date) == ["INVALID"]


async def test_an_asset_moves_between_its_customers_sites_only(gql: GraphQLClient) -> None:
    home = await f.household(gql, "Owner")
    office = await f.site(gql, home["customer"]["id"], "Office")
    stranger = await f.household(gql, "Stranger", "SN-S")

    moved = await gql.mutate(
        UPDATE_ASSET, {"id": home["asset"]["id"], "siteId": office["id"], "expectedVersion": 1}
    )
    refused = await gql.mutate(
        UPDATE_ASSET, {"id": home["asset"]["id"], "siteId": stranger["site"]["id"]}
    )
    stale = await gql.mutate(UPDATE_ASSET, {"id": home["asset"]["id"], "expectedVersion": 1})

    assert moved["asset"]["site"]["id"] == office["id"]
    assert refused["userErrors"][0]["field"] == ["siteId"]
    assert refused["userErrors"][0]["code"] == "INVALID"
    assert error_codes(stale) == ["STALE_VERSION"]


async def test_a_new_sale_date_recomputes_the_warranty(gql: GraphQLClient) -> None:
    home = await f.household(gql)
    updated = await gql.mutate(UPDATE_ASSET, {"id": home["asset"]["id"], "soldOn": "2026-03-10"})
    pinned = await gql.mutate(
        UPDATE_ASSET,
        {"id": home["asset"]["id"], "soldOn": "2026-04-01", "warrantyExpiresOn": "2029-01-01"},
    )

    assert updated["asset"]["warrantyExpiresOn"] == "2027-03-09"
    assert pinned["asset"]["warrantyExpiresOn"] == "2029-01-01"


async def test_asset_filters_by_customer_site_and_serial(gql: GraphQLClient) -> None:
    first = await f.household(gql, "One", "ab-100")
    second = await f.household(gql, "Two", "CD-200")

    by_customer = await gql(ASSETS, {"customerId": first["customer"]["id"]})
    by_site = await gql(ASSETS, {"siteId": second["site"]["id"]})
    by_serial = await gql(ASSETS, {"serial": " AB-100 "})

    assert [e["node"]["serialNumber"] for e in by_customer["assets"]["edges"]] == ["ab-100"]
    assert [e["node"]["serialNumber"] for e in by_site["assets"]["edges"]] == ["CD-200"]
    assert [e["node"]["serialNumber"] for e in by_serial["assets"]["edges"]] == ["ab-100"]


async def test_archived_assets_leave_the_list(gql: GraphQLClient) -> None:
    home = await f.household(gql)
    archived = await gql.mutate(ARCHIVE_ASSET, {"id": home["asset"]["id"], "expectedVersion": 1})

    assert archived["asset"]["archivedAt"] is not None
    assert (await gql(ASSETS))["assets"]["totalCount"] == 0


async def test_a_customer_registers_assets_at_their_own_sites_only(gql: GraphQLClient) -> None:
    mine = await f.household(gql, "Mine", "M-1")
    theirs = await f.household(gql, "Theirs", "T-1")
    me = gql.as_role(Role.CUSTOMER, customer_id=f.db_id(mine["customer"]["id"]))
    values = {"productModelId": mine["model"]["id"], "serialNumber": "SELF-1"}

    own = await me.mutate(f.REGISTER_ASSET, values | {"siteId": mine["site"]["id"]})
    foreign = await me.mutate(f.REGISTER_ASSET, values | {"siteId": theirs["site"]["id"]})

    assert own["userErrors"] == [] and own["asset"]["customer"]["id"] == mine["customer"]["id"]
    assert error_codes(foreign) == ["NOT_FOUND"]
    serials = [e["node"]["serialNumber"] for e in (await me(ASSETS))["assets"]["edges"]]
    assert serials == ["M-1", "SELF-1"]


async def test_product_models_are_listed_by_category_and_search(gql: GraphQLClient) -> None:
    await f.product_model(gql, code="AC-1", brand="Voltas")
    await f.product_model(gql, code="WM-7", category="APPLIANCE", brand="IFB")
    updated = await gql.mutate(
        UPDATE_MODEL, {"id": (await f.product_model(gql, code="AC-2"))["id"], "warrantyMonths": 60}
    )

    hvac = await gql.as_role(Role.TECHNICIAN)(MODELS, {"category": "HVAC"})
    searched = await gql.as_role(Role.CUSTOMER, customer_id=1)(MODELS, {"search": "ifb"})

    assert updated["productModel"]["warrantyMonths"] == 60
    assert [e["node"]["code"] for e in hvac["productModels"]["edges"]] == ["AC-1", "AC-2"]
    assert [e["node"]["code"] for e in searched["productModels"]["edges"]] == ["WM-7"]
    anonymous = await gql.as_role(None).raw(MODELS)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_duplicate_product_code_is_refused(gql: GraphQLClient) -> None:
    await f.product_model(gql, code="DUP")
    payload = await gql.mutate(
        f.CREATE_PRODUCT_MODEL, {"code": "DUP", "name": "Again", "category": "HVAC"}
    )
    assert error_codes(payload) == ["DUPLICATE"] and payload["userErrors"][0]["field"] == ["code"]


@pytest.mark.parametrize(
    ("role", "model_code", "asset_code"),
    [
        (None, "UNAUTHENTICATED", "UNAUTHENTICATED"),
        (Role.CUSTOMER, "FORBIDDEN", None),
        (Role.TECHNICIAN, "FORBIDDEN", "FORBIDDEN"),
        (Role.PARTNER, "FORBIDDEN", "FORBIDDEN"),
        (Role.DISPATCHER, "FORBIDDEN", None),
        (Role.ADMIN, None, None),
    ],
)
async def test_who_may_create_product_models_and_register_assets(
    gql: GraphQLClient, role: Role | None, model_code: str | None, asset_code: str | None
) -> None:
    owner = await f.customer(gql)
    home = await f.site(gql, owner["id"])
    model = await f.product_model(gql)
    caller = gql.as_role(role, customer_id=f.db_id(owner["id"]))

    created = await caller.mutate(
        f.CREATE_PRODUCT_MODEL, {"code": "NEW", "name": "New", "category": "HVAC"}
    )
    registered = await caller.mutate(
        f.REGISTER_ASSET,
        {"siteId": home["id"], "productModelId": model["id"], "serialNumber": "P-1"},
    )

    assert error_codes(created) == ([model_code] if model_code else [])
    assert error_codes(registered) == ([asset_code] if asset_code else [])


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (None, "UNAUTHENTICATED"),
        (Role.CUSTOMER, "FORBIDDEN"),
        (Role.TECHNICIAN, "FORBIDDEN"),
        (Role.PARTNER, "FORBIDDEN"),
        (Role.AGENT, None),
        (Role.ADMIN, None),
    ],
)
async def test_who_may_update_assets(
    gql: GraphQLClient, role: Role | None, code: str | None
) -> None:
    home = await f.household(gql)
    caller = gql.as_role(role, customer_id=f.db_id(home["customer"]["id"]))

    payload = await caller.mutate(UPDATE_ASSET, {"id": home["asset"]["id"], "serialNumber": "Z"})
    assert error_codes(payload) == ([code] if code else [])
