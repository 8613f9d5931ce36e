"""Parts, warehouses and stock movements through the GraphQL API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.events import Broker, Event
from app.core.models import utcnow
from app.inventory import channels
from schema.ids import encode_id
from tests.inventory import factories
from tests.support import GraphQLClient, StatementCounter, error_codes

CREATE_PART = """
mutation($input: CreatePartInput!) {
  createPart(input: $input) {
    part { id sku name unitCost { amount currency } unitPrice { amount } isAccessory version }
    userErrors { field code }
  }
}
"""
CREATE_WAREHOUSE = """
mutation($input: CreateWarehouseInput!) {
  createWarehouse(input: $input) {
    location { id kind code point { lat lng } } userErrors { field code }
  }
}
"""
MOVED = (
    "movements { kind quantity onHandDelta location { code } } levels { onHand reserved available }"
)
RECEIVE = f"""
mutation($input: ReceiveStockInput!) {{
  receiveStock(input: $input) {{ {MOVED} userErrors {{ field code message }} }}
}}
"""
ISSUE = f"""
mutation($input: IssueToVanInput!) {{
  issueToVan(input: $input) {{ {MOVED} userErrors {{ field code message }} }}
}}
"""
ADJUST = f"""
mutation($input: AdjustStockInput!) {{
  adjustStock(input: $input) {{ {MOVED} userErrors {{ field code }} }}
}}
"""
RESERVE = f"""
mutation($input: ReserveStockInput!) {{
  reserveStock(input: $input) {{ {MOVED} userErrors {{ field code }} }}
}}
"""
LEVELS = """
query($location: ID, $first: Int) {
  stockLevels(locationId: $location, first: $first) {
    totalCount
    edges { node { onHand reserved available part { sku compatibleModels { code } }
                   location { code point { lat } technician { name } } } }
  }
}
"""
NEAREST = """
query($part: ID!, $point: GeoPointInput!, $min: Int!) {
  nearestStock(partId: $part, point: $point, minQuantity: $min) {
    quantity distanceMeters location { code kind }
  }
}
"""
MOVEMENTS = """
query($location: ID) {
  movements(locationId: $location) { totalCount edges { node { kind onHandDelta actor } } }
}
"""


def gid(type_name: str, row: Any) -> str:
    return encode_id(type_name, row.id)


async def test_a_manager_creates_a_part_priced_in_one_currency(gql: GraphQLClient) -> None:
    manager = gql.as_role(Role.MANAGER)
    payload = await manager.mutate(
        CREATE_PART,
        {
            "sku": "CMP-1.5T",
            "name": "Compressor 1.5 t",
            "unitCost": {"amount": "5400.00", "currency": "INR"},
            "unitPrice": {"amount": "7200.50", "currency": "INR"},
        },
    )
    duplicate = await manager.mutate(
        CREATE_PART,
        {
            "sku": "CMP-1.5T",
            "name": "Again",
            "unitCost": {"amount": "1", "currency": "INR"},
            "unitPrice": {"amount": "1", "currency": "USD"},
        },
    )

    assert payload["userErrors"] == []
    assert payload["part"]["unitCost"] == {"amount": "5400.00", "currency": "INR"}
    assert payload["part"]["unitPrice"] == {"amount": "7200.50"}
    assert error_codes(duplicate) == ["INVALID"]
    assert duplicate["userErrors"][0]["field"] == ["unitPrice"]


async def test_a_warehouse_needs_a_valid_point(gql: GraphQLClient) -> None:
    ok = await gql.mutate(
        CREATE_WAREHOUSE, {"code": "BLR-MAIN", "name": "Main", "point": {"lat": 12.9, "lng": 77.6}}
    )
    bad = await gql.mutate(
        CREATE_WAREHOUSE, {"code": "BAD", "name": "Bad", "point": {"lat": 95, "lng": 77.6}}
    )

    assert ok["location"]["kind"] == "WAREHOUSE"
    assert ok["location"]["point"] == {"lat": 12.9, "lng": 77.6}
    assert bad["userErrors"] == [{"field": ["point", "lat"], "code": "INVALID"}]


async def test_receive_then_issue_to_a_van_moves_units_and_refuses_more_than_available(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a warehouse with 5 units
    main, item = await factories.warehouse(session, "WH1"), await factories.part(session)
    tech = await factories.technician(session, "Asha")
    received = await gql.mutate(
        RECEIVE,
        {
            "locationId": gid("StockLocation", main),
            "lines": [{"partId": gid("Part", item), "quantity": 5}],
        },
    )
    assert received["levels"] == [{"onHand": 5, "reserved": 0, "available": 5}]

    # when 3 go to Asha's van and then 3 more are asked for
    issue = {
        "warehouseId": gid("StockLocation", main),
        "technicianId": gid("Technician", tech),
        "lines": [{"partId": gid("Part", item), "quantity": 3}],
    }
    issued = await gql.mutate(ISSUE, issue)
    refused = await gql.mutate(ISSUE, issue)

    # then the first moves two legs and the second is refused with the line's path
    assert [(m["kind"], m["onHandDelta"]) for m in issued["movements"]] == [
        ("ISSUE_TO_VAN", -3),
        ("ISSUE_TO_VAN", 3),
    ]
    assert refused["movements"] is None
    assert refused["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    assert refused["userErrors"][0]["field"] == ["lines", "0", "quantity"]
    levels = (await gql(LEVELS, {"location": gid("StockLocation", main)}))["stockLevels"]
    assert [e["node"]["onHand"] for e in levels["edges"]] == [2]


async def test_adjust_needs_a_reason_and_cannot_eat_reserved_units(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    main, item = await factories.warehouse(session), await factories.part(session)
    place, part = gid("StockLocation", main), gid("Part", item)
    await gql.mutate(RECEIVE, {"locationId": place, "lines": [{"partId": part, "quantity": 4}]})
    await gql.mutate(RESERVE, {"locationId": place, "partId": part, "quantity": 3})
    manager = gql.as_role(Role.MANAGER)

    silent = await manager.mutate(
        ADJUST, {"locationId": place, "partId": part, "delta": -1, "reason": " "}
    )
    too_far = await manager.mutate(
        ADJUST, {"locationId": place, "partId": part, "delta": -2, "reason": "damaged"}
    )
    ok = await manager.mutate(
        ADJUST, {"locationId": place, "partId": part, "delta": -1, "reason": "damaged"}
    )

    assert silent["userErrors"] == [{"field": ["reason"], "code": "INVALID"}]
    assert too_far["userErrors"] == [{"field": ["delta"], "code": "INSUFFICIENT_STOCK"}]
    assert ok["levels"] == [{"onHand": 3, "reserved": 3, "available": 0}]


async def test_nearest_stock_lists_warehouses_and_vans_nearest_first(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given stock at a far warehouse, a near van (live position) and a warehouse short of it
    item = await factories.part(session)
    far = await factories.warehouse(session, "FAR", at=(13.10, 77.59))  # ~14.4 km north
    short = await factories.warehouse(session, "SHORT", at=(12.971, 77.59))
    tech = await factories.technician(
        session,
        "Vik",
        home=(13.30, 77.59),
        last_location=(12.98, 77.59),  # ~1.1 km north, reported just now
        last_seen_at=utcnow() - timedelta(minutes=5),
    )
    part = gid("Part", item)
    for where, units in ((far, 9), (short, 1)):
        await gql.mutate(
            RECEIVE,
            {
                "locationId": gid("StockLocation", where),
                "lines": [{"partId": part, "quantity": units}],
            },
        )
    await gql.mutate(
        ISSUE,
        {
            "warehouseId": gid("StockLocation", far),
            "technicianId": gid("Technician", tech),
            "lines": [{"partId": part, "quantity": 2}],
        },
    )

    # when a dispatcher looks for 2 units from a site
    found = (
        await gql.as_role(Role.DISPATCHER)(
            NEAREST, {"part": part, "point": {"lat": 12.97, "lng": 77.59}, "min": 2}
        )
    )["nearestStock"]

    # then the van comes first, the far warehouse next, the short one not at all
    assert [(f["location"]["kind"], f["quantity"]) for f in found] == [("VAN", 2), ("WAREHOUSE", 7)]
    assert found[0]["distanceMeters"] == pytest.approx(1106, rel=0.01)
    assert found[1]["distanceMeters"] == pytest.approx(14380, rel=0.01)


async def test_stock_levels_list_costs_the_same_statements_for_2_and_20_rows(
    gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    main = await factories.warehouse(session)
    tech = await factories.technician(session)
    from app.inventory import stock
    from app.inventory.ledger import Stamp
    from app.inventory.models import MovementLine

    parts = [await factories.part(session) for _ in range(20)]
    lines = [MovementLine(part_id=p.id, quantity=2) for p in parts]  # type: ignore[arg-type]
    await stock.receive(session, main.id, lines, Stamp(actor="t"))  # type: ignore[arg-type]
    await stock.issue_to_van(session, main.id, tech.id, lines, Stamp(actor="t"))  # type: ignore[arg-type]

    counts = []
    for first in (2, 20):
        statements.reset()
        data = (await gql(LEVELS, {"first": first}))["stockLevels"]
        assert len(data["edges"]) == first
        counts.append(statements.total)

    assert counts[0] == counts[1]


async def test_a_refused_movement_publishes_nothing_and_a_committed_one_does(
    gql: GraphQLClient, session: AsyncSession, broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    published: list[Event] = []

    async def record(events: list[Event]) -> None:
        published.extend(events)

    monkeypatch.setattr(broker, "publish_all", record)
    main, item = await factories.warehouse(session), await factories.part(session)
    tech = await factories.technician(session)
    issue = {
        "warehouseId": gid("StockLocation", main),
        "technicianId": gid("Technician", tech),
        "lines": [{"partId": gid("Part", item), "quantity": 1}],
    }

    refused = await gql.mutate(ISSUE, issue)
    assert error_codes(refused) == ["INSUFFICIENT_STOCK"]
    assert published == []

    received = await gql.mutate(
        RECEIVE, {"locationId": issue["warehouseId"], "lines": issue["lines"]}
    )
    assert received["userErrors"] == []
    assert sorted(e.channel for e in published) == sorted(channels.for_change(main.id, item.id))  # type: ignore[arg-type]
    assert {e.data["on_hand"] for e in published} == {1}


async def test_a_technician_reads_only_their_own_vans_movements(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    main, item = await factories.warehouse(session), await factories.part(session)
    mine, other = (
        await factories.technician(session, "Me"),
        await factories.technician(session, "Other"),
    )
    part = gid("Part", item)
    await gql.mutate(
        RECEIVE,
        {"locationId": gid("StockLocation", main), "lines": [{"partId": part, "quantity": 4}]},
    )
    for who in (mine, other):
        await gql.mutate(
            ISSUE,
            {
                "warehouseId": gid("StockLocation", main),
                "technicianId": gid("Technician", who),
                "lines": [{"partId": part, "quantity": 1}],
            },
        )

    as_me = gql.as_role(Role.TECHNICIAN, technician_id=mine.id)
    seen = (await as_me(MOVEMENTS))["movements"]

    assert seen["totalCount"] == 1
    assert seen["edges"][0]["node"]["onHandDelta"] == 1


RECEIVE_KEYED = """
mutation($input: ReceiveStockInput!) {
  receiveStock(input: $input) {
    movements { id operationKey } levels { id onHand } userErrors { code }
  }
}
"""
NODE = "query($id: ID!) { node(id: $id) { id ... on StockLevel { onHand part { sku } } } }"


async def test_a_replayed_receipt_returns_the_first_result_and_counts_once(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    main, item = await factories.warehouse(session), await factories.part(session, "IDEM-1")
    receipt = {
        "locationId": gid("StockLocation", main),
        "lines": [{"partId": gid("Part", item), "quantity": 5}],
        "idempotencyKey": "grn-2024-001",
    }

    first = await gql.mutate(RECEIVE_KEYED, receipt)
    again = await gql.mutate(RECEIVE_KEYED, receipt)
    level = (await gql(NODE, {"id": first["levels"][0]["id"]}))["node"]

    assert again["movements"] == first["movements"]
    assert level == {"id": first["levels"][0]["id"], "onHand": 5, "part": {"sku": "IDEM-1"}}


PART_CATEGORY = """
mutation($input: CreatePartInput!) {
  createPart(input: $input) { part { id category } userErrors { field code } }
}
"""
UPDATE_CATEGORY = """
mutation($input: UpdatePartInput!) {
  updatePart(input: $input) { part { category version } userErrors { field code } }
}
"""


async def test_a_part_carries_the_category_contracts_exclude(gql: GraphQLClient) -> None:
    # given a refrigerant created with its category
    manager = gql.as_role(Role.MANAGER)
    made = await manager.mutate(
        PART_CATEGORY,
        {
            "sku": "GAS-R32",
            "name": "R32 gas",
            "unitCost": {"amount": "900", "currency": "INR"},
            "unitPrice": {"amount": "1400", "currency": "INR"},
            "category": "REFRIGERANT",
        },
    )
    assert made["userErrors"] == [] and made["part"]["category"] == "REFRIGERANT"
    # when the category is changed, then cleared, and a malformed one sent
    changed = await manager.mutate(
        UPDATE_CATEGORY, {"id": made["part"]["id"], "category": "CONSUMABLE"}
    )
    cleared = await manager.mutate(UPDATE_CATEGORY, {"id": made["part"]["id"], "category": None})
    bad = await manager.mutate(UPDATE_CATEGORY, {"id": made["part"]["id"], "category": "no spaces"})
    # then each is kept or refused on its field
    assert changed["part"]["category"] == "CONSUMABLE"
    assert cleared["part"]["category"] is None
    assert bad["userErrors"] == [{"field": ["category"], "code": "INVALID"}]
