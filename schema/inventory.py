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


@strawberry.type(name="Part")
class PartType(Node):
    sku: str
    name: str
    description: str | None
    unit: str
    unit_cost: Money = strawberry.field(extensions=[internal()])
    unit_price: Money
    is_accessory: bool = strawberry.field(description="Offered to customers as an upsell.")
    reorder_level: int | None
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


@strawberry.type(name="StockLocation")
class StockLocationType(Node):
    kind: StockLocationKind  # type: ignore[valid-type]
    code: str
    name: str
    address: str | None
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


@strawberry.type(name="StockLevel")
class StockLevelType(Node):
    on_hand: int
    reserved: int
    available: int = strawberry.field(description="On hand minus reserved.")
    updated_at: datetime
    part_db_id: strawberry.Private[int]
    location_db_id: strawberry.Private[int]

    @strawberry.field
    async def part(self, info: Info) -> PartType:
        return await load_part(info, self.part_db_id)

    @strawberry.field
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


@strawberry.type(name="StockMovement")
class StockMovementType(Node):
    kind: MovementKind  # type: ignore[valid-type]
    quantity: int
    on_hand_delta: int
    reserved_delta: int
    actor: str = strawberry.field(extensions=[internal()])
    at: datetime
    reason: str | None
    reference: str | None
    operation_key: str = strawberry.field(description="Shared by the legs of one operation.")
    task_id: strawberry.ID | None
    part_db_id: strawberry.Private[int]
    location_db_id: strawberry.Private[int]
    counterpart_db_id: strawberry.Private[int | None]
    requisition_db_id: strawberry.Private[int | None]

    @strawberry.field
    async def part(self, info: Info) -> PartType:
        return await load_part(info, self.part_db_id)

    @strawberry.field
    async def location(self, info: Info) -> StockLocationType:
        return await load_location(info, self.location_db_id)

    @strawberry.field(description="Where the units came from or went to, for two-legged moves.")
    async def counterpart(self, info: Info) -> StockLocationType | None:
        if self.counterpart_db_id is None:
            return None
        return await load_location(info, self.counterpart_db_id)

    @strawberry.field
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


@strawberry.type
class StockAvailability:
    location: StockLocationType
    quantity: int = strawberry.field(description="Units available (on hand minus reserved).")
    on_hand: int
    reserved: int
    distance_meters: float

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


@strawberry.type(name="RequisitionLine")
class RequisitionLineType:
    quantity_requested: int
    quantity_fulfilled: int
    quantity_outstanding: int
    unit_cost: Money = strawberry.field(extensions=[internal()])
    part_db_id: strawberry.Private[int]

    @strawberry.field
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


@strawberry.type(name="Requisition")
class RequisitionType(Node):
    status: RequisitionStatus  # type: ignore[valid-type]
    task_id: strawberry.ID | None
    requested_by: str
    needed_by: datetime | None
    notes: str | None
    total_value: Money = strawberry.field(extensions=[internal()])
    approver_role: Role = strawberry.field(  # type: ignore[valid-type]
        description="The least role that may approve it under the value policy."
    )
    decided_by: str | None = strawberry.field(extensions=[internal()])
    decided_at: datetime | None
    decision_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    technician_db_id: strawberry.Private[int]
    warehouse_db_id: strawberry.Private[int]

    @strawberry.field
    async def technician(
        self, info: Info
    ) -> Annotated[TechnicianType, strawberry.lazy("schema.technicians")] | None:
        from schema.technicians import TechnicianType

        row = await info.context.loaders.by_id(Technician).load(self.technician_db_id)
        return TechnicianType.from_model(row) if row else None

    @strawberry.field
    async def warehouse(self, info: Info) -> StockLocationType:
        return await load_location(info, self.warehouse_db_id)

    @strawberry.field(extensions=[FirstItems(50)])
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


@strawberry.type
class StockChange:
    """One stock level changed: the level after the change and what changed it."""

    part: PartType | None
    location: StockLocationType | None
    on_hand: int
    reserved: int
    delta: int = strawberry.field(description="Change of on-hand units.")
    reserved_delta: int
    kind: MovementKind  # type: ignore[valid-type]
    movement_id: strawberry.ID
    task_id: strawberry.ID | None
    at: datetime

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
    currency: str
    dispatcher_limit: Money
    manager_limit: Money | None
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


@strawberry.input
class SetRequisitionApprovalThresholdInput:
    currency: str
    dispatcher_limit: Decimal
    manager_limit: Decimal | None = strawberry.field(
        default=None, description="Above it only an admin approves; omitted: no upper limit."
    )
    expected_version: int | None = None


@strawberry.input
class RemoveRequisitionApprovalThresholdInput:
    currency: str
    expected_version: int | None = None


@strawberry.input
class CreatePartInput:
    sku: str
    name: str
    unit_cost: MoneyInput
    unit_price: MoneyInput
    description: str | None = None
    unit: str = "EA"
    is_accessory: bool = False
    reorder_level: int | None = None
    category: str | None = None
    compatible_model_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    idempotency_key: str | None = None


@strawberry.input
class UpdatePartInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    unit: str | None = strawberry.UNSET
    unit_cost: MoneyInput | None = strawberry.UNSET
    unit_price: MoneyInput | None = strawberry.UNSET
    is_accessory: bool | None = strawberry.UNSET
    reorder_level: int | None = strawberry.UNSET
    category: str | None = strawberry.UNSET
    compatible_model_ids: list[strawberry.ID] | None = strawberry.UNSET


@strawberry.input
class CreateWarehouseInput:
    code: str
    name: str
    point: GeoPointInput
    address: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class UpdateWarehouseInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    point: GeoPointInput | None = strawberry.UNSET


@strawberry.input
class EnsureVanInput:
    technician_id: strawberry.ID


@strawberry.input
class StockLineInput:
    part_id: strawberry.ID
    quantity: int


@strawberry.input
class ReceiveStockInput:
    location_id: strawberry.ID
    lines: list[StockLineInput]
    reason: str | None = None
    reference: str | None = strawberry.field(
        default=None, description="Purchase order or delivery note."
    )
    idempotency_key: str | None = None


@strawberry.input
class IssueToVanInput:
    warehouse_id: strawberry.ID
    technician_id: strawberry.ID
    lines: list[StockLineInput]
    task_id: strawberry.ID | None = None
    reason: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class TransferStockInput:
    from_location_id: strawberry.ID
    to_location_id: strawberry.ID
    lines: list[StockLineInput]
    reason: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class AdjustStockInput:
    location_id: strawberry.ID
    part_id: strawberry.ID
    delta: int
    reason: str
    idempotency_key: str | None = None


@strawberry.input
class ReserveStockInput:
    location_id: strawberry.ID
    part_id: strawberry.ID
    quantity: int
    task_id: strawberry.ID | None = None
    reason: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class ReturnToWarehouseInput:
    technician_id: strawberry.ID
    warehouse_id: strawberry.ID
    lines: list[StockLineInput]
    task_id: strawberry.ID | None = None
    requisition_id: strawberry.ID | None = None
    reason: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class CreateRequisitionInput:
    technician_id: strawberry.ID
    warehouse_id: strawberry.ID
    lines: list[StockLineInput]
    task_id: strawberry.ID | None = None
    needed_by: datetime | None = None
    notes: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class RequisitionDecisionInput:
    id: strawberry.ID
    expected_version: int | None = None


@strawberry.input
class RejectRequisitionInput:
    id: strawberry.ID
    reason: str
    expected_version: int | None = None


@strawberry.input
class FulfilRequisitionInput:
    id: strawberry.ID
    lines: list[StockLineInput] | None = strawberry.field(
        default=None,
        description="Units to issue per part; omitted: every outstanding unit available now.",
    )
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input
class ImportSheetInput:
    file: Upload | None = strawberry.field(
        default=None, description="The spreadsheet as a GraphQL multipart upload."
    )
    content_base64: str | None = strawberry.field(
        default=None, description="Or its bytes in base64, for clients without multipart."
    )
    filename: str | None = None
    format: SheetFormat | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Detected from the file name or content when omitted."
    )
    reference: str | None = None


# --- payloads -----------------------------------------------------------------------------


@strawberry.type
class PartPayload(Payload):
    part: PartType | None = None


@strawberry.type
class StockLocationPayload(Payload):
    location: StockLocationType | None = None


@strawberry.type
class StockMovementPayload(Payload):
    movements: list[StockMovementType] | None = None
    levels: list[StockLevelType] | None = None


@strawberry.type
class RequisitionPayload(Payload):
    requisition: RequisitionType | None = None
    movements: list[StockMovementType] | None = None


@strawberry.type
class RequisitionApprovalThresholdPayload(Payload):
    threshold: RequisitionApprovalThresholdType | None = None


@strawberry.type
class ImportRowError:
    row: int = strawberry.field(description="As the spreadsheet numbers it; the header is row 1.")
    column: str | None
    message: str


@strawberry.type
class ImportPayload(Payload):
    rows: int | None = None
    created: int | None = None
    updated: int | None = None
    unchanged: int | None = None
    movements: int | None = None
    row_errors: list[ImportRowError] | None = None

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
