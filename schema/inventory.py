"""GraphQL types for parts, stock locations, levels, the movement ledger and requisitions."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.file_uploads import Upload

from app.core.models import utcnow
from app.inventory import repository
from app.inventory.imports import ImportReport
from app.inventory.imports import SheetFormat as DomainSheetFormat
from app.inventory.models import MovementKind as DomainMovementKind
from app.inventory.models import (
    Part,
    Requisition,
    RequisitionApprovalThreshold,
    RequisitionLine,
    StockLevel,
    StockLocation,
    StockMovement,
)
from app.inventory.models import RequisitionStatus as DomainRequisitionStatus
from app.inventory.models import StockLocationKind as DomainStockLocationKind
from app.technicians.models import Technician
from schema.common import GeoPoint, GeoPointInput, Money, MoneyInput
from schema.context import Info
from schema.errors import Payload
from schema.ids import encode_id
from schema.node import Node
from schema.pagination import Connection, FirstItems
from schema.permissions import internal
from schema.users import Role

if TYPE_CHECKING:
    from schema.assets import ProductModelType
    from schema.technicians import TechnicianType

StockLocationKind = strawberry.enum(DomainStockLocationKind, name="StockLocationKind")
MovementKind = strawberry.enum(DomainMovementKind, name="MovementKind")
RequisitionStatus = strawberry.enum(DomainRequisitionStatus, name="RequisitionStatus")
SheetFormat = strawberry.enum(DomainSheetFormat, name="SheetFormat")

LIVE_POSITION_MAX_AGE = timedelta(minutes=30)
"""A van is where its technician last reported from, if that was this recent; else at base."""


def task_gid(task_id: int | None) -> strawberry.ID | None:
    return None if task_id is None else strawberry.ID(encode_id("Task", task_id))


def _batch(info: Info, name: str, fetch: Any) -> Any:
    session = info.context.session

    async def load(ids: list[int]) -> Any:
        return await fetch(session, ids)

    return info.context.loaders.custom(name, load)


async def load_part(info: Info, part_id: int) -> PartType:
    row = await info.context.loaders.by_id(Part).load(part_id)
    assert row is not None
    return PartType.from_model(row)


async def load_location(info: Info, location_id: int) -> StockLocationType:
    row = await info.context.loaders.by_id(StockLocation).load(location_id)
    assert row is not None
    return StockLocationType.from_model(row)


# --- parts --------------------------------------------------------------------------------


@strawberry.type(name="Part", description="A spare part or consumable in the catalogue.")
class PartType(Node):
    sku: str = strawberry.field(description="Stock-keeping unit, unique across the catalogue.")
    name: str = strawberry.field(description="Display name of the part.")
    description: str | None = strawberry.field(description="Free-text details; null when none.")
    unit: str = strawberry.field(
        description=(
            "The unit a quantity counts (EA for each, metre, litre...); quantities are whole units."
        )
    )
    unit_cost: Money = strawberry.field(
        extensions=[internal()], description="What one unit costs us (purchase cost)."
    )
    unit_price: Money = strawberry.field(description="What one unit is sold to customers for.")
    is_accessory: bool = strawberry.field(description="Offered to customers as an upsell.")
    reorder_level: int | None = strawberry.field(
        description="Stock level at which to reorder the part; null: not set."
    )
    category: str | None = strawberry.field(
        description="What contracts may exclude from coverage (refrigerant gas, consumables...)."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None

    @strawberry.field(
        extensions=[FirstItems(20)], description="Product models this part fits, by code."
    )
    async def compatible_models(
        self, info: Info
    ) -> list[Annotated[ProductModelType, strawberry.lazy("schema.assets")]]:
        from schema.assets import ProductModelType

        loader = _batch(info, "part.compatible_models", repository.compatible_models)
        return [ProductModelType.from_model(m) for m in await loader.load(self.db_id)]

    @classmethod
    def from_model(cls, row: Part) -> PartType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            sku=row.sku,
            name=row.name,
            description=row.description,
            unit=row.unit,
            unit_cost=Money(amount=row.unit_cost, currency=row.currency),
            unit_price=Money(amount=row.unit_price, currency=row.currency),
            is_accessory=row.is_accessory,
            reorder_level=row.reorder_level,
            category=row.category,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            archived_at=row.archived_at,
        )


PartConnection = Connection[PartType]


# --- locations ----------------------------------------------------------------------------


@strawberry.type(
    name="StockLocation",
    description="A place that holds stock: a warehouse or a technician's van.",
)
class StockLocationType(Node):
    kind: StockLocationKind = strawberry.field(description="Warehouse or van.")  # type: ignore[valid-type]
    code: str = strawberry.field(description="Short unique code of the location.")
    name: str = strawberry.field(description="Display name of the location.")
    address: str | None = strawberry.field(
        description="Postal address; null when none is recorded."
    )
    version: int
    created_at: datetime
    archived_at: datetime | None
    fixed_point: strawberry.Private[Any]
    technician_db_id: strawberry.Private[int | None]

    @strawberry.field(
        description=(
            "A warehouse's point; a van's technician's last known location when reported in "
            "the last 30 minutes, else the technician's home base."
        )
    )
    async def point(self, info: Info) -> GeoPoint | None:
        if self.technician_db_id is None:
            return GeoPoint.from_value(self.fixed_point)
        tech = await info.context.loaders.by_id(Technician).load(self.technician_db_id)
        if tech is None:
            return None
        live = tech.last_seen_at and tech.last_seen_at >= utcnow() - LIVE_POSITION_MAX_AGE
        return GeoPoint.from_value(tech.last_location if live else tech.home_base)

    @strawberry.field(description="The technician whose van this is.")
    async def technician(
        self, info: Info
    ) -> Annotated[TechnicianType, strawberry.lazy("schema.technicians")] | None:
        from schema.technicians import TechnicianType

        if self.technician_db_id is None:
            return None
        row = await info.context.loaders.by_id(Technician).load(self.technician_db_id)
        return TechnicianType.from_model(row) if row else None

    @classmethod
    def from_model(cls, row: StockLocation) -> StockLocationType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            kind=row.kind,
            code=row.code,
            name=row.name,
            address=row.address,
            version=row.version,
            created_at=row.created_at,
            archived_at=row.archived_at,
            fixed_point=row.point,
            technician_db_id=row.technician_id,
        )


StockLocationConnection = Connection[StockLocationType]


@strawberry.type(
    name="StockLevel",
    description="How many units of one part one location holds, and how many are promised.",
)
class StockLevelType(Node):
    on_hand: int = strawberry.field(
        description="Units physically at the location, reserved ones included."
    )
    reserved: int = strawberry.field(
        description="Units on hand promised to a task, so not available."
    )
    available: int = strawberry.field(description="On hand minus reserved.")
    updated_at: datetime
    part_db_id: strawberry.Private[int]
    location_db_id: strawberry.Private[int]

    @strawberry.field(description="The part counted.")
    async def part(self, info: Info) -> PartType:
        return await load_part(info, self.part_db_id)

    @strawberry.field(description="Where the units are.")
    async def location(self, info: Info) -> StockLocationType:
        return await load_location(info, self.location_db_id)

    @classmethod
    def from_model(cls, row: StockLevel) -> StockLevelType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            on_hand=row.on_hand,
            reserved=row.reserved,
            available=row.available,
            updated_at=row.updated_at,
            part_db_id=row.part_id,
            location_db_id=row.location_id,
        )


StockLevelConnection = Connection[StockLevelType]


@strawberry.type(
    name="StockMovement",
    description=(
        "One leg of a stock change at one location, in the append-only ledger; a transfer "
        "has two legs sharing operationKey."
    ),
)
class StockMovementType(Node):
    kind: MovementKind = strawberry.field(description="What the movement does.")  # type: ignore[valid-type]
    quantity: int = strawberry.field(
        description="Units moved, always positive; the deltas give the direction."
    )
    on_hand_delta: int = strawberry.field(
        description="Change of on-hand units at this location (negative: units left)."
    )
    reserved_delta: int = strawberry.field(
        description="Change of reserved units at this location (negative: released or used)."
    )
    actor: str = strawberry.field(
        extensions=[internal()], description="Who made the change (user subject)."
    )
    at: datetime = strawberry.field(description="When it was recorded (UTC).")
    reason: str | None = strawberry.field(description="Why, as given; null when none.")
    reference: str | None = strawberry.field(
        description="Outside document: purchase order, delivery note, count sheet; null when none."
    )
    operation_key: str = strawberry.field(description="Shared by the legs of one operation.")
    task_id: strawberry.ID | None
    part_db_id: strawberry.Private[int]
    location_db_id: strawberry.Private[int]
    counterpart_db_id: strawberry.Private[int | None]
    requisition_db_id: strawberry.Private[int | None]

    @strawberry.field(description="The part moved.")
    async def part(self, info: Info) -> PartType:
        return await load_part(info, self.part_db_id)

    @strawberry.field(description="The location whose stock this leg changed.")
    async def location(self, info: Info) -> StockLocationType:
        return await load_location(info, self.location_db_id)

    @strawberry.field(description="Where the units came from or went to, for two-legged moves.")
    async def counterpart(self, info: Info) -> StockLocationType | None:
        if self.counterpart_db_id is None:
            return None
        return await load_location(info, self.counterpart_db_id)

    @strawberry.field(description="The requisition it fulfilled or returned against; null if none.")
    async def requisition(self, info: Info) -> RequisitionType | None:
        if self.requisition_db_id is None:
            return None
        row = await info.context.loaders.by_id(Requisition).load(self.requisition_db_id)
        return RequisitionType.from_model(row) if row else None

    @classmethod
    def from_model(cls, row: StockMovement) -> StockMovementType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            kind=row.kind,
            quantity=row.quantity,
            on_hand_delta=row.on_hand_delta,
            reserved_delta=row.reserved_delta,
            actor=row.actor,
            at=row.at,
            reason=row.reason,
            reference=row.reference,
            operation_key=row.operation_key,
            task_id=task_gid(row.task_id),
            part_db_id=row.part_id,
            location_db_id=row.location_id,
            counterpart_db_id=row.counterpart_location_id,
            requisition_db_id=row.requisition_id,
        )


StockMovementConnection = Connection[StockMovementType]


@strawberry.type(description="A location that has the part available, and how far it is.")
class StockAvailability:
    location: StockLocationType = strawberry.field(description="The warehouse or van.")
    quantity: int = strawberry.field(description="Units available (on hand minus reserved).")
    on_hand: int = strawberry.field(description="Units on hand there, reserved ones included.")
    reserved: int = strawberry.field(description="Units there promised to a task.")
    distance_meters: float = strawberry.field(
        description="Straight-line distance from the given point, in metres."
    )

    @classmethod
    def from_found(cls, found: repository.Availability) -> StockAvailability:
        return cls(
            location=StockLocationType.from_model(found.location),
            quantity=found.level.available,
            on_hand=found.level.on_hand,
            reserved=found.level.reserved,
            distance_meters=found.distance_meters,
        )


# --- requisitions -------------------------------------------------------------------------


@strawberry.type(name="RequisitionLine", description="One part asked for in a requisition.")
class RequisitionLineType:
    quantity_requested: int = strawberry.field(description="Units asked for.")
    quantity_fulfilled: int = strawberry.field(description="Units issued to the van so far.")
    quantity_outstanding: int = strawberry.field(description="Units still to issue.")
    unit_cost: Money = strawberry.field(
        extensions=[internal()], description="The part's unit cost when the requisition was made."
    )
    part_db_id: strawberry.Private[int]

    @strawberry.field(description="The part asked for.")
    async def part(self, info: Info) -> PartType:
        return await load_part(info, self.part_db_id)

    @classmethod
    def from_model(cls, row: RequisitionLine, currency: str) -> RequisitionLineType:
        return cls(
            quantity_requested=row.quantity_requested,
            quantity_fulfilled=row.quantity_fulfilled,
            quantity_outstanding=row.outstanding,
            unit_cost=Money(amount=row.unit_cost, currency=currency),
            part_db_id=row.part_id,
        )


@strawberry.type(
    name="Requisition",
    description=(
        "A technician's request for parts, to be issued from a warehouse to their van once "
        "approved."
    ),
)
class RequisitionType(Node):
    status: RequisitionStatus = strawberry.field(description="Where the request stands.")  # type: ignore[valid-type]
    task_id: strawberry.ID | None
    requested_by: str = strawberry.field(description="Who created it (user subject).")
    needed_by: datetime | None = strawberry.field(
        description="When the parts are needed (UTC); null when not said."
    )
    notes: str | None = strawberry.field(description="Requester's notes; null when none.")
    total_value: Money = strawberry.field(
        extensions=[internal()],
        description="Sum of requested units times unit cost, fixed at creation; sets the approver.",
    )
    approver_role: Role = strawberry.field(  # type: ignore[valid-type]
        description="The least role that may approve it under the value policy."
    )
    decided_by: str | None = strawberry.field(
        extensions=[internal()], description="Who approved or rejected it; null while pending."
    )
    decided_at: datetime | None = strawberry.field(
        description="When it was approved or rejected (UTC); null while pending."
    )
    decision_reason: str | None = strawberry.field(
        description="Why it was rejected; null otherwise."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    technician_db_id: strawberry.Private[int]
    warehouse_db_id: strawberry.Private[int]

    @strawberry.field(description="The technician whose van receives the parts.")
    async def technician(
        self, info: Info
    ) -> Annotated[TechnicianType, strawberry.lazy("schema.technicians")] | None:
        from schema.technicians import TechnicianType

        row = await info.context.loaders.by_id(Technician).load(self.technician_db_id)
        return TechnicianType.from_model(row) if row else None

    @strawberry.field(description="The warehouse the parts are issued from.")
    async def warehouse(self, info: Info) -> StockLocationType:
        return await load_location(info, self.warehouse_db_id)

    @strawberry.field(
        extensions=[FirstItems(50)], description="The parts asked for, one line each."
    )
    async def lines(self, info: Info) -> list[RequisitionLineType]:
        loader = _batch(info, "requisition.lines", repository.requisition_lines)
        currency = self.total_value.currency
        return [RequisitionLineType.from_model(r, currency) for r in await loader.load(self.db_id)]

    @classmethod
    def from_model(cls, row: Requisition) -> RequisitionType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            status=row.status,
            task_id=task_gid(row.task_id),
            requested_by=row.requested_by,
            needed_by=row.needed_by,
            notes=row.notes,
            total_value=Money(amount=row.total_value, currency=row.currency),
            approver_role=row.approver_role,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            decision_reason=row.decision_reason,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            technician_db_id=row.technician_id,
            warehouse_db_id=row.warehouse_id,
        )


RequisitionConnection = Connection[RequisitionType]


# --- realtime -----------------------------------------------------------------------------


@strawberry.type(
    description="One stock level changed: the level after the change and what changed it."
)
class StockChange:
    part: PartType | None = strawberry.field(description="The part; null if since deleted.")
    location: StockLocationType | None = strawberry.field(
        description="The location; null if since deleted."
    )
    on_hand: int = strawberry.field(description="Units on hand after the change.")
    reserved: int = strawberry.field(description="Units reserved after the change.")
    delta: int = strawberry.field(description="Change of on-hand units.")
    reserved_delta: int = strawberry.field(description="Change of reserved units.")
    kind: MovementKind = strawberry.field(description="What kind of movement made it.")  # type: ignore[valid-type]
    movement_id: strawberry.ID
    task_id: strawberry.ID | None
    at: datetime = strawberry.field(description="When the movement was recorded (UTC).")

    @classmethod
    def from_event(
        cls,
        event: dict[str, Any],
        *,
        part: PartType | None,
        location: StockLocationType | None,
    ) -> StockChange:
        data = event["data"]
        return cls(
            part=part,
            location=location,
            on_hand=int(data["on_hand"]),
            reserved=int(data["reserved"]),
            delta=int(data["delta"]),
            reserved_delta=int(data["reserved_delta"]),
            kind=DomainMovementKind(data["kind"]),
            movement_id=strawberry.ID(encode_id("StockMovement", int(data["movement_id"]))),
            task_id=task_gid(data.get("task_id")),
            at=datetime.fromisoformat(event["at"]),
        )


@strawberry.type(
    name="RequisitionApprovalThreshold",
    description=(
        "Who approves a requisition, by value, in one currency: up to dispatcherLimit a "
        "dispatcher, up to managerLimit a manager, above it an admin."
    ),
)
class RequisitionApprovalThresholdType:
    currency: str = strawberry.field(description="ISO 4217 code these limits apply to.")
    dispatcher_limit: Money = strawberry.field(
        description="Up to this value (inclusive) a dispatcher may approve."
    )
    manager_limit: Money | None = strawberry.field(
        description=(
            "Up to this value a manager may approve, above it only an admin; null: no limit."
        )
    )
    version: int
    updated_at: datetime

    @classmethod
    def from_model(cls, row: RequisitionApprovalThreshold) -> RequisitionApprovalThresholdType:
        return cls(
            currency=row.currency,
            dispatcher_limit=Money(amount=row.dispatcher_limit, currency=row.currency),
            manager_limit=(
                Money(amount=row.manager_limit, currency=row.currency)
                if row.manager_limit is not None
                else None
            ),
            version=row.version,
            updated_at=row.updated_at,
        )


# --- inputs -------------------------------------------------------------------------------


@strawberry.input(description="Create or replace the approval limits of one currency.")
class SetRequisitionApprovalThresholdInput:
    currency: str = strawberry.field(description="ISO 4217 code, e.g. INR.")
    dispatcher_limit: Decimal = strawberry.field(
        description="Up to this value (inclusive, main currency unit) a dispatcher approves."
    )
    manager_limit: Decimal | None = strawberry.field(
        default=None, description="Above it only an admin approves; omitted: no upper limit."
    )
    expected_version: int | None = None


@strawberry.input(
    description="Remove a currency's limits; its requisitions then need a manager to approve."
)
class RemoveRequisitionApprovalThresholdInput:
    currency: str = strawberry.field(description="ISO 4217 code whose limits to remove.")
    expected_version: int | None = None


@strawberry.input(description="A new catalogue part.")
class CreatePartInput:
    sku: str = strawberry.field(description="Stock-keeping unit; must be unique.")
    name: str = strawberry.field(description="Display name, 1 to 200 characters.")
    unit_cost: MoneyInput = strawberry.field(description="What one unit costs us.")
    unit_price: MoneyInput = strawberry.field(description="What one unit is sold for.")
    description: str | None = strawberry.field(default=None, description="Free-text details.")
    unit: str = strawberry.field(
        default="EA", description="Unit of count (EA for each, metre, litre...)."
    )
    is_accessory: bool = strawberry.field(
        default=False, description="Offer it to customers as an upsell."
    )
    reorder_level: int | None = strawberry.field(
        default=None, description="Stock level at which to reorder; null: not set."
    )
    category: str | None = strawberry.field(
        default=None,
        description="Coverage category (letters, digits, _ . -, up to 40); null: none.",
    )
    compatible_model_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    idempotency_key: str | None = None


@strawberry.input(description="Changes to a part; omitted fields are left as they are.")
class UpdatePartInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.field(default=strawberry.UNSET, description="New display name.")
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="New details; null clears them."
    )
    unit: str | None = strawberry.field(default=strawberry.UNSET, description="New unit of count.")
    unit_cost: MoneyInput | None = strawberry.field(
        default=strawberry.UNSET, description="New unit cost."
    )
    unit_price: MoneyInput | None = strawberry.field(
        default=strawberry.UNSET, description="New unit selling price."
    )
    is_accessory: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Whether to offer it as an upsell."
    )
    reorder_level: int | None = strawberry.field(
        default=strawberry.UNSET, description="New reorder level; null clears it."
    )
    category: str | None = strawberry.field(
        default=strawberry.UNSET, description="New coverage category; null clears it."
    )
    compatible_model_ids: list[strawberry.ID] | None = strawberry.UNSET


@strawberry.input(description="A new warehouse.")
class CreateWarehouseInput:
    code: str = strawberry.field(description="Short unique code.")
    name: str = strawberry.field(description="Display name, 1 to 200 characters.")
    point: GeoPointInput = strawberry.field(description="Where it is, for nearestStock.")
    address: str | None = strawberry.field(default=None, description="Postal address.")
    idempotency_key: str | None = None


@strawberry.input(description="Changes to a warehouse; omitted fields are left as they are.")
class UpdateWarehouseInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="New display name; may not be null."
    )
    address: str | None = strawberry.field(
        default=strawberry.UNSET, description="New postal address; null clears it."
    )
    point: GeoPointInput | None = strawberry.field(
        default=strawberry.UNSET, description="New position; may not be null."
    )


@strawberry.input(description="The technician whose van to get or create.")
class EnsureVanInput:
    technician_id: strawberry.ID


@strawberry.input(description="Units of one part.")
class StockLineInput:
    part_id: strawberry.ID
    quantity: int = strawberry.field(description="Whole units, 1 to 1,000,000.")


@strawberry.input(description="Goods arriving at a warehouse.")
class ReceiveStockInput:
    location_id: strawberry.ID
    lines: list[StockLineInput] = strawberry.field(description="Parts received, one line each.")
    reason: str | None = strawberry.field(
        default=None, description="Free-text note for the ledger."
    )
    reference: str | None = strawberry.field(
        default=None, description="Purchase order or delivery note."
    )
    idempotency_key: str | None = None


@strawberry.input(description="Parts going from a warehouse to a technician's van.")
class IssueToVanInput:
    warehouse_id: strawberry.ID
    technician_id: strawberry.ID
    lines: list[StockLineInput] = strawberry.field(description="Parts issued, one line each.")
    task_id: strawberry.ID | None = None
    reason: str | None = strawberry.field(
        default=None, description="Free-text note for the ledger."
    )
    idempotency_key: str | None = None


@strawberry.input(description="Parts moving between two locations.")
class TransferStockInput:
    from_location_id: strawberry.ID
    to_location_id: strawberry.ID
    lines: list[StockLineInput] = strawberry.field(description="Parts moved, one line each.")
    reason: str | None = strawberry.field(
        default=None, description="Free-text note for the ledger."
    )
    idempotency_key: str | None = None


@strawberry.input(description="A count correction at one location.")
class AdjustStockInput:
    location_id: strawberry.ID
    part_id: strawberry.ID
    delta: int = strawberry.field(
        description="Units to add (found) or, negative, to remove (lost); not 0."
    )
    reason: str = strawberry.field(description="Why the count changed; required, not blank.")
    idempotency_key: str | None = None


@strawberry.input(description="Units of one part to reserve or release at one location.")
class ReserveStockInput:
    location_id: strawberry.ID
    part_id: strawberry.ID
    quantity: int = strawberry.field(description="Whole units, 1 or more.")
    task_id: strawberry.ID | None = None
    reason: str | None = strawberry.field(
        default=None, description="Free-text note for the ledger."
    )
    idempotency_key: str | None = None


@strawberry.input(description="Unused parts going from a technician's van back to a warehouse.")
class ReturnToWarehouseInput:
    technician_id: strawberry.ID
    warehouse_id: strawberry.ID
    lines: list[StockLineInput] = strawberry.field(description="Parts returned, one line each.")
    task_id: strawberry.ID | None = None
    requisition_id: strawberry.ID | None = None
    reason: str | None = strawberry.field(
        default=None, description="Free-text note for the ledger."
    )
    idempotency_key: str | None = None


@strawberry.input(description="A technician's request for parts from a warehouse.")
class CreateRequisitionInput:
    technician_id: strawberry.ID
    warehouse_id: strawberry.ID
    lines: list[StockLineInput] = strawberry.field(
        description="1 to 100 lines, one per part; all parts must share one currency."
    )
    task_id: strawberry.ID | None = None
    needed_by: datetime | None = strawberry.field(
        default=None, description="When the parts are needed (UTC)."
    )
    notes: str | None = strawberry.field(
        default=None, description="Notes for the approver, up to 2000 characters."
    )
    idempotency_key: str | None = None


@strawberry.input(description="The requisition to approve or cancel.")
class RequisitionDecisionInput:
    id: strawberry.ID
    expected_version: int | None = None


@strawberry.input(description="The requisition to reject, and why.")
class RejectRequisitionInput:
    id: strawberry.ID
    reason: str = strawberry.field(description="Why it is rejected; required, not blank.")
    expected_version: int | None = None


@strawberry.input(description="Issue an approved requisition's parts to the technician's van.")
class FulfilRequisitionInput:
    id: strawberry.ID
    lines: list[StockLineInput] | None = strawberry.field(
        default=None,
        description="Units to issue per part; omitted: every outstanding unit available now.",
    )
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input(
    description="A CSV or XLSX sheet to import: send exactly one of file and contentBase64."
)
class ImportSheetInput:
    file: Upload | None = strawberry.field(
        default=None, description="The spreadsheet as a GraphQL multipart upload."
    )
    content_base64: str | None = strawberry.field(
        default=None, description="Or its bytes in base64, for clients without multipart."
    )
    filename: str | None = strawberry.field(
        default=None, description="The file's name, used to detect its format."
    )
    format: SheetFormat | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Detected from the file name or content when omitted."
    )
    reference: str | None = strawberry.field(
        default=None, description="Stock imports: outside document recorded on the movements."
    )


# --- payloads -----------------------------------------------------------------------------


@strawberry.type
class PartPayload(Payload):
    part: PartType | None = strawberry.field(
        default=None, description="The part as saved; null on error."
    )


@strawberry.type
class StockLocationPayload(Payload):
    location: StockLocationType | None = strawberry.field(
        default=None, description="The location as saved; null on error."
    )


@strawberry.type
class StockMovementPayload(Payload):
    movements: list[StockMovementType] | None = strawberry.field(
        default=None, description="The ledger entries posted; null on error."
    )
    levels: list[StockLevelType] | None = strawberry.field(
        default=None, description="The stock levels they changed, after the change; null on error."
    )


@strawberry.type
class RequisitionPayload(Payload):
    requisition: RequisitionType | None = strawberry.field(
        default=None, description="The requisition as saved; null on error."
    )
    movements: list[StockMovementType] | None = strawberry.field(
        default=None, description="fulfilRequisition: the issue movements posted; else null."
    )


@strawberry.type
class RequisitionApprovalThresholdPayload(Payload):
    threshold: RequisitionApprovalThresholdType | None = strawberry.field(
        default=None,
        description="The limits as set, or as they were before removal; null on error.",
    )


@strawberry.type(description="A problem with one cell or row of an imported sheet.")
class ImportRowError:
    row: int = strawberry.field(description="As the spreadsheet numbers it; the header is row 1.")
    column: str | None = strawberry.field(
        description="The bad column by header, lower case with underscores; null: not one column."
    )
    message: str = strawberry.field(description="What is wrong, in English.")


@strawberry.type
class ImportPayload(Payload):
    rows: int | None = strawberry.field(
        default=None, description="Data rows read (header excluded)."
    )
    created: int | None = strawberry.field(default=None, description="Records created.")
    updated: int | None = strawberry.field(default=None, description="Records changed.")
    unchanged: int | None = strawberry.field(
        default=None, description="Rows that matched what was already there."
    )
    movements: int | None = strawberry.field(
        default=None, description="Stock movements posted (stock imports)."
    )
    row_errors: list[ImportRowError] | None = strawberry.field(
        default=None, description="Every bad cell; when not empty nothing was imported."
    )

    @classmethod
    def from_report(cls, report: ImportReport, **extra: Any) -> ImportPayload:
        return cls(
            rows=report.rows,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            movements=report.movements,
            row_errors=[
                ImportRowError(row=e.row, column=e.column, message=e.message) for e in report.errors
            ],
            **extra,
        )
