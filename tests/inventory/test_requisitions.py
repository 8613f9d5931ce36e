"""Requisitions: value-based approval, partial fulfilment from a warehouse, returns."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.inventory import stock
from app.inventory.ledger import Stamp
from app.inventory.models import MovementLine
from schema.ids import encode_id
from tests.inventory import factories
from tests.support import GraphQLClient, error_codes

REQUISITION = """
  id status version approverRole totalValue { amount currency } decidedBy decisionReason
  lines { quantityRequested quantityFulfilled quantityOutstanding part { sku } }
"""
CREATE = f"""
mutation($input: CreateRequisitionInput!) {{
  createRequisition(input: $input) {{ requisition {{ {REQUISITION} }} userErrors {{ field code }} }}
}}
"""
APPROVE = f"""
mutation($input: RequisitionDecisionInput!) {{
  approveRequisition(input: $input) {{
    requisition {{ {REQUISITION} }} userErrors {{ field code }}
  }}
}}
"""
REJECT = f"""
mutation($input: RejectRequisitionInput!) {{
  rejectRequisition(input: $input) {{ requisition {{ {REQUISITION} }} userErrors {{ field code }} }}
}}
"""
FULFIL = f"""
mutation($input: FulfilRequisitionInput!) {{
  fulfilRequisition(input: $input) {{
    requisition {{ {REQUISITION} }} movements {{ kind onHandDelta location {{ kind }} }}
    userErrors {{ field code message }}
  }}
}}
"""
RETURN = """
mutation($input: ReturnToWarehouseInput!) {
  returnToWarehouse(input: $input) {
    movements { kind onHandDelta location { kind } } userErrors { field code }
  }
}
"""
LIST = "query { requisitions(status: [APPROVED]) { totalCount edges { node { id } } } }"


def gid(type_name: str, row: Any) -> str:
    return encode_id(type_name, row.id)


async def _setup(session: AsyncSession, cost: str, stocked: int) -> tuple[Any, Any, Any]:
    main, item = await factories.warehouse(session), await factories.part(session, cost=cost)
    tech = await factories.technician(session, "Ravi")
    if stocked:
        lines = [MovementLine(part_id=item.id, quantity=stocked)]  # type: ignore[arg-type]
        await stock.receive(session, main.id, lines, Stamp(actor="t"))  # type: ignore[arg-type]
    return main, item, tech


def _request(main: Any, item: Any, tech: Any, quantity: int) -> dict[str, Any]:
    return {
        "technicianId": gid("Technician", tech),
        "warehouseId": gid("StockLocation", main),
        "lines": [{"partId": gid("Part", item), "quantity": quantity}],
    }


async def test_a_cheap_requisition_is_approved_by_a_dispatcher(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a technician asking for 4 parts worth 400 INR in all
    main, item, tech = await _setup(session, "100.00", 0)
    technician = gql.as_role(Role.TECHNICIAN, technician_id=tech.id)
    created = await technician.mutate(CREATE, _request(main, item, tech, 4))
    requisition = created["requisition"]

    # when a dispatcher approves it
    approved = await gql.as_role(Role.DISPATCHER).mutate(APPROVE, {"id": requisition["id"]})

    # then it is approved under the dispatcher tier
    assert requisition["status"] == "PENDING_APPROVAL"
    assert requisition["approverRole"] == "DISPATCHER"
    assert requisition["totalValue"] == {"amount": "400.00", "currency": "INR"}
    assert approved["requisition"]["status"] == "APPROVED"
    assert approved["requisition"]["decidedBy"] == "test:dispatcher"


async def test_an_expensive_requisition_needs_a_manager(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    main, item, tech = await _setup(session, "6000.00", 0)
    created = await gql.as_role(Role.DISPATCHER).mutate(CREATE, _request(main, item, tech, 2))
    requisition = created["requisition"]

    by_dispatcher = await gql.as_role(Role.DISPATCHER).mutate(APPROVE, {"id": requisition["id"]})
    by_manager = await gql.as_role(Role.MANAGER).mutate(APPROVE, {"id": requisition["id"]})
    again = await gql.as_role(Role.MANAGER).mutate(APPROVE, {"id": requisition["id"]})

    assert requisition["approverRole"] == "MANAGER"
    assert error_codes(by_dispatcher) == ["FORBIDDEN"]
    assert by_manager["requisition"]["status"] == "APPROVED"
    assert error_codes(again) == ["INVALID_TRANSITION"]


async def test_a_technician_requests_only_for_themselves(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    main, item, tech = await _setup(session, "10.00", 0)
    someone_else = gql.as_role(Role.TECHNICIAN, technician_id=tech.id + 1000)

    refused = await someone_else.mutate(CREATE, _request(main, item, tech, 1))

    assert refused["userErrors"] == [{"field": ["technicianId"], "code": "FORBIDDEN"}]


async def test_fulfilment_issues_what_is_available_and_shows_the_rest_outstanding(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given an approved request for 5 with only 3 in the warehouse
    main, item, tech = await _setup(session, "10.00", 3)
    created = await gql.mutate(CREATE, _request(main, item, tech, 5))
    requisition_id = created["requisition"]["id"]
    await gql.mutate(APPROVE, {"id": requisition_id})

    # when the warehouse fulfils it, then tries again with nothing left
    partial = await gql.as_role(Role.DISPATCHER).mutate(FULFIL, {"id": requisition_id})
    empty = await gql.as_role(Role.DISPATCHER).mutate(FULFIL, {"id": requisition_id})

    # then 3 went to the van, 2 are outstanding, and the empty attempt changes nothing
    assert partial["requisition"]["status"] == "PARTIALLY_FULFILLED"
    assert partial["requisition"]["lines"] == [
        {
            "quantityRequested": 5,
            "quantityFulfilled": 3,
            "quantityOutstanding": 2,
            "part": {"sku": item.sku},
        }
    ]
    assert [(m["location"]["kind"], m["onHandDelta"]) for m in partial["movements"]] == [
        ("WAREHOUSE", -3),
        ("VAN", 3),
    ]
    assert error_codes(empty) == ["INSUFFICIENT_STOCK"]

    # and when stock arrives the rest follows and the requisition is fulfilled
    await stock.receive(
        session, main.id, [MovementLine(part_id=item.id, quantity=2)], Stamp(actor="t")
    )
    rest = await gql.mutate(FULFIL, {"id": requisition_id})
    assert rest["requisition"]["status"] == "FULFILLED"


async def test_a_rejected_requisition_cannot_be_fulfilled(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    main, item, tech = await _setup(session, "10.00", 3)
    created = await gql.mutate(CREATE, _request(main, item, tech, 1))
    requisition_id = created["requisition"]["id"]

    no_reason = await gql.mutate(REJECT, {"id": requisition_id, "reason": ""})
    rejected = await gql.mutate(REJECT, {"id": requisition_id, "reason": "use the spare"})
    fulfil = await gql.mutate(FULFIL, {"id": requisition_id})

    assert no_reason["userErrors"] == [{"field": ["reason"], "code": "INVALID"}]
    assert rejected["requisition"]["decisionReason"] == "use the spare"
    assert error_codes(fulfil) == ["INVALID_TRANSITION"]
    assert (await gql(LIST))["requisitions"]["totalCount"] == 0


async def test_a_technician_returns_unused_parts_from_their_van(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    main, item, tech = await _setup(session, "10.00", 3)
    await stock.issue_to_van(
        session,
        main.id,
        tech.id,
        [MovementLine(part_id=item.id, quantity=3)],
        Stamp(actor="t"),
    )
    technician = gql.as_role(Role.TECHNICIAN, technician_id=tech.id)
    back = {
        "technicianId": gid("Technician", tech),
        "warehouseId": gid("StockLocation", main),
        "lines": [{"partId": gid("Part", item), "quantity": 2}],
    }

    returned = await technician.mutate(RETURN, back)
    too_many = await technician.mutate(RETURN, back)

    assert [
        (m["kind"], m["location"]["kind"], m["onHandDelta"]) for m in returned["movements"]
    ] == [
        ("RETURN", "VAN", -2),
        ("RETURN", "WAREHOUSE", 2),
    ]
    assert too_many["userErrors"] == [
        {"field": ["lines", "0", "quantity"], "code": "INSUFFICIENT_STOCK"}
    ]


LIST_DEEP = """
query($first: Int) {
  requisitions(first: $first) {
    edges { node { status technician { name } warehouse { code }
                   lines { quantityOutstanding part { sku } } } }
  }
}
"""


async def test_the_requisition_list_costs_the_same_statements_for_2_and_20_rows(
    gql: GraphQLClient, session: AsyncSession, statements: Any
) -> None:
    from app.core.auth import Principal
    from app.inventory import requisitions
    from app.inventory.models import RequisitionCreate

    main, item, tech = await _setup(session, "10.00", 0)
    other = await factories.part(session)
    staff = Principal(subject="test:admin", role=Role.ADMIN)
    for _ in range(20):
        lines = [MovementLine(part_id=p.id, quantity=1) for p in (item, other)]  # type: ignore[arg-type]
        data = RequisitionCreate(technician_id=tech.id, warehouse_id=main.id, lines=lines)
        await requisitions.create_requisition(session, staff, data)

    counts = []
    for first in (2, 20):
        statements.reset()
        edges = (await gql(LIST_DEEP, {"first": first}))["requisitions"]["edges"]
        assert len(edges) == first and len(edges[0]["node"]["lines"]) == 2
        counts.append(statements.total)

    assert counts[0] == counts[1]
