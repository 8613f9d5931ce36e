"""Who may read and change inventory: a matrix over roles."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from schema.ids import encode_id
from tests.inventory import factories
from tests.support import GraphQLClient

ROLES: list[Role | None] = [
    None,
    Role.CUSTOMER,
    Role.TECHNICIAN,
    Role.PARTNER,
    Role.DISPATCHER,
    Role.MANAGER,
    Role.ADMIN,
]

QUERIES = {
    "parts": "query { parts { totalCount } }",
    "stockLocations": "query { stockLocations { totalCount } }",
    "stockLevels": "query { stockLevels { totalCount } }",
    "movements": "query { movements { totalCount } }",
    "requisitions": "query { requisitions { totalCount } }",
}
READERS = {Role.TECHNICIAN, Role.PARTNER, Role.DISPATCHER, Role.MANAGER, Role.ADMIN}

MUTATIONS = {
    "createPart": (
        "mutation($input: CreatePartInput!) { createPart(input: $input) { userErrors { code } } }",
        {
            "sku": "PERM-1",
            "name": "Perm",
            "unitCost": {"amount": "1", "currency": "INR"},
            "unitPrice": {"amount": "2", "currency": "INR"},
        },
        {Role.MANAGER, Role.ADMIN},
    ),
    "receiveStock": (
        "mutation($input: ReceiveStockInput!) {"
        " receiveStock(input: $input) { userErrors { code } } }",
        "RECEIVE",
        {Role.DISPATCHER, Role.MANAGER, Role.ADMIN},
    ),
    "adjustStock": (
        "mutation($input: AdjustStockInput!) {"
        " adjustStock(input: $input) { userErrors { code } } }",
        "ADJUST",
        {Role.MANAGER, Role.ADMIN},
    ),
    "importParts": (
        "mutation($input: ImportSheetInput!) {"
        " importParts(input: $input) { userErrors { code } } }",
        {"contentBase64": "c2t1LG5hbWUsdW5pdF9jb3N0LHVuaXRfcHJpY2UKUC05LE5pbmUsMSwy"},
        {Role.MANAGER, Role.ADMIN},
    ),
}


def _link(role: Role | None) -> dict[str, int]:
    return (
        {"technician_id": 1}
        if role is Role.TECHNICIAN
        else {"partner_id": 1}
        if role is Role.PARTNER
        else {}
    )


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "ANONYMOUS")
@pytest.mark.parametrize("field", sorted(QUERIES))
async def test_inventory_lists_are_for_staff_technicians_and_partners(
    gql: GraphQLClient, role: Role | None, field: str
) -> None:
    body = await gql.as_role(role, **_link(role)).raw(QUERIES[field])

    if role in READERS:
        assert "errors" not in body and body["data"][field]["totalCount"] == 0
    else:
        expected = "UNAUTHENTICATED" if role is None else "FORBIDDEN"
        assert body["errors"][0]["extensions"]["code"] == expected


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "ANONYMOUS")
@pytest.mark.parametrize("name", sorted(MUTATIONS))
async def test_inventory_changes_are_for_the_right_roles(
    gql: GraphQLClient, session: AsyncSession, role: Role | None, name: str
) -> None:
    document, input_value, allowed = MUTATIONS[name]
    place, item = await factories.warehouse(session), await factories.part(session)
    inputs: dict[str, Any] = {
        "RECEIVE": {
            "locationId": encode_id("StockLocation", place.id),  # type: ignore[arg-type]
            "lines": [{"partId": encode_id("Part", item.id), "quantity": 1}],  # type: ignore[arg-type]
        },
        "ADJUST": {
            "locationId": encode_id("StockLocation", place.id),  # type: ignore[arg-type]
            "partId": encode_id("Part", item.id),  # type: ignore[arg-type]
            "delta": 2,
            "reason": "found in the back",
        },
    }
    value = inputs.get(input_value, input_value) if isinstance(input_value, str) else input_value

    payload = await gql.as_role(role, **_link(role)).mutate(document, value)

    if role in allowed:
        assert payload["userErrors"] == []
    else:
        expected = "UNAUTHENTICATED" if role is None else "FORBIDDEN"
        assert payload["userErrors"] == [{"code": expected}]


async def test_a_technician_reserves_only_at_their_own_van(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    main, item = await factories.warehouse(session), await factories.part(session)
    reserve = """
    mutation($input: ReserveStockInput!) {
      reserveStock(input: $input) { userErrors { field code } }
    }
    """
    technician = gql.as_role(Role.TECHNICIAN, technician_id=1)

    payload = await technician.mutate(
        reserve,
        {
            "locationId": encode_id("StockLocation", main.id),  # type: ignore[arg-type]
            "partId": encode_id("Part", item.id),  # type: ignore[arg-type]
            "quantity": 1,
        },
    )

    assert payload["userErrors"] == [{"field": ["locationId"], "code": "FORBIDDEN"}]
