"""A depot world for repair tests: a depot with stock and two bench technicians, a central
warehouse, a price list, a product model, a customer with a phone; GraphQL documents."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.assets.models import ProductCategory, ProductModel
from app.core.auth import Role
from app.customers.models import Customer
from app.depot_repair import service
from app.depot_repair.models import Depot
from app.inventory.ledger import Stamp
from app.inventory.models import MovementLine, Part, Position, StockLevel, WarehouseCreate
from app.inventory.stock import receive
from app.technicians.models import Technician
from schema.ids import encode_id
from tests.billing.factories import price_list
from tests.inventory import factories as inv
from tests.support import GraphQLClient

_serial = itertools.count(1)

ORDER_FIELDS = """
id number trackingCode status version coverage onAccount handoverSigner
readyAt closedAt dueAt ageMinutes overdue
depot { id name }
technician { id }
estimate { id status number totals { total { amount } }
  lines { kind description total { amount } } }
invoices { id number status balance { amount } }
partsUsed { quantity partSku }
events { action fromStatus toStatus actorRole reason }
"""

RECEIVE = (
    "mutation($input: ReceiveRepairOrderInput!) { receiveRepairOrder(input: $input) {"
    f" repairOrder {{ {ORDER_FIELDS} asset {{ id serialNumber }} customer {{ id phone }} }}"
    " userErrors { field message code } } }"
)


BENCH_FIELDS = "priority qcFailures"
"""What the bench reads and the customer does not."""


def step(name: str, input_type: str, *, customer: bool = False) -> str:
    fields = ORDER_FIELDS if customer else f"{ORDER_FIELDS} {BENCH_FIELDS}"
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{"
        f" repairOrder {{ {fields} }} userErrors {{ field message code }} }} }}"
    )


START_DIAGNOSIS = step("startRepairDiagnosis", "StartRepairDiagnosisInput")
SEND_ESTIMATE = step("sendRepairEstimate", "SendRepairEstimateInput")
APPROVE = step("approveRepairEstimate", "RepairStepInput", customer=True)
DECLINE = step("declineRepairEstimate", "RepairStepInput", customer=True)
START_REPAIR = step("startRepair", "RepairStepInput")
REQUEST_PARTS = step("requestRepairParts", "RequestRepairPartsInput")
RESUME = step("resumeRepair", "RepairStepInput")
CONSUME = step("consumeRepairParts", "ConsumeRepairPartsInput")
SUBMIT_QC = step("submitRepairForQc", "RepairStepInput")
CHECK_QC = step("checkRepairQuality", "CheckRepairQualityInput")
DELIVER = step("deliverRepairOrder", "DeliverRepairOrderInput")
CANCEL = step("cancelRepairOrder", "RepairStepInput")

ORDER = f"query($id: ID!) {{ repairOrder(id: $id) {{ {ORDER_FIELDS} {BENCH_FIELDS} }} }}"
CUSTOMER_ORDER = f"query($id: ID!) {{ repairOrder(id: $id) {{ {ORDER_FIELDS} }} }}"

PAY = """
mutation($input: RecordPaymentInput!) { recordPayment(input: $input) {
  userErrors { code message } } }
"""


@dataclass
class DepotWorld:
    depot: Depot
    depot_gid: str
    central_id: int
    tech_a: Technician
    tech_b: Technician
    other_tech: Technician
    part: Part
    model: ProductModel
    customer: Customer

    @property
    def location_id(self) -> int:
        return self.depot.stock_location_id

    def gid(self, kind: str, db_id: int | None) -> str:
        assert db_id is not None
        return encode_id(kind, db_id)


async def depot_world(session: AsyncSession, *, diagnosis_fee: str = "350.00") -> DepotWorld:
    n = next(_serial)
    await price_list(session)
    depot = await service.create_depot(
        session,
        service.DepotCreate(
            warehouse=WarehouseCreate(
                code=f"DEPOT-{n}",
                name=f"Indiranagar Service Centre {n}",
                address="100 Feet Road, Indiranagar",
                point=Position(lat=12.97, lng=77.64),
            ),
            phone="+91 80 4000 1234",
            diagnosis_fee=Decimal(diagnosis_fee),
            storage_free_days=30,
            storage_fee=Decimal("500.00"),
        ),
    )
    other = await service.create_depot(
        session,
        service.DepotCreate(
            warehouse=WarehouseCreate(
                code=f"DEPOT-X{n}", name=f"Other {n}", point=Position(lat=12.9, lng=77.5)
            )
        ),
    )
    central = await inv.warehouse(session)
    part = await inv.part(session, f"BOARD-{n}", cost="800.00", price="1200.00")
    await receive(
        session,
        depot.stock_location_id,
        [MovementLine(part_id=part.id, quantity=5)],
        Stamp(actor="test"),
    )  # type: ignore[arg-type]
    await receive(
        session, central.id, [MovementLine(part_id=part.id, quantity=20)], Stamp(actor="test")
    )  # type: ignore[arg-type]
    techs = [await inv.technician(session, name) for name in ("Asha", "Bala", "Chetan")]
    assert depot.id is not None and other.id is not None
    for tech, at in zip(techs, (depot.id, depot.id, other.id), strict=True):
        await service.set_bench_technician(session, at, tech.id or 0, True)
    model = ProductModel(
        code=f"TV-{n}", name="55in LED TV", category=ProductCategory.ELECTRONICS, warranty_months=12
    )
    customer = Customer(name=f"Meera {n}", phone=f"+91 98450 {n:05d}")
    session.add_all([model, customer])
    await session.flush()
    return DepotWorld(
        depot=depot,
        depot_gid=encode_id("Depot", depot.id),
        central_id=central.id or 0,
        tech_a=techs[0],
        tech_b=techs[1],
        other_tech=techs[2],
        part=part,
        model=model,
        customer=customer,
    )


def as_tech(gql: GraphQLClient, tech: Technician) -> GraphQLClient:
    return gql.as_role(Role.TECHNICIAN, technician_id=tech.id)


def as_customer(gql: GraphQLClient, customer: Customer) -> GraphQLClient:
    return gql.as_role(Role.CUSTOMER, customer_id=customer.id)


def intake(world: DepotWorld, **extra: Any) -> dict[str, Any]:
    return {
        "depotId": world.depot_gid,
        "customerId": world.gid("Customer", world.customer.id),
        "newAsset": {
            "productModelId": world.gid("ProductModel", world.model.id),
            "serialNumber": f"TV{next(_serial):06d}",
        },
        "reportedFault": "No picture, sound works",
        "faultCode": "NO_PICTURE",
        "accessories": [{"name": "Remote", "received": True}, {"name": "Stand", "received": False}],
        "damageNotes": "Scratch on the bezel, lower left",
        **extra,
    }


def estimate_lines(world: DepotWorld) -> list[dict[str, Any]]:
    return [
        {"kind": "LABOUR", "quantity": "1.5"},
        {"kind": "PART", "quantity": "1", "partId": world.gid("Part", world.part.id)},
    ]


async def ok(client: GraphQLClient, document: str, input: dict[str, Any]) -> dict[str, Any]:
    payload = await client.mutate(document, input)
    assert payload["userErrors"] == [], payload["userErrors"]
    order: dict[str, Any] = payload["repairOrder"]
    return order


async def level(session: AsyncSession, location_id: int, part_id: int | None) -> int:
    row = await session.scalar(
        StockLevel.__table__.select()  # type: ignore[attr-defined]
        .with_only_columns(StockLevel.__table__.c.on_hand)  # type: ignore[attr-defined]
        .where(
            StockLevel.__table__.c.location_id == location_id,  # type: ignore[attr-defined]
            StockLevel.__table__.c.part_id == part_id,  # type: ignore[attr-defined]
        )
    )
    return int(row or 0)


async def diagnosed(gql: GraphQLClient, world: DepotWorld, **extra: Any) -> dict[str, Any]:
    """An order received, diagnosed by technician A and estimated: ESTIMATE_SENT."""
    order = await ok(gql, RECEIVE, intake(world, **extra))
    order = await ok(
        gql,
        START_DIAGNOSIS,
        {"repairOrderId": order["id"], "technicianId": world.gid("Technician", world.tech_a.id)},
    )
    return await ok(
        as_tech(gql, world.tech_a),
        SEND_ESTIMATE,
        {
            "repairOrderId": order["id"],
            "diagnosis": "Backlight driver board failed",
            "lines": estimate_lines(world),
            "expectedVersion": order["version"],
        },
    )
