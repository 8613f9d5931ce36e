"""GraphQL types for depots, repair orders, the bench queue, the public tracking view and
the depot repair report."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlmodel import col, select

from app.assets.models import Asset
from app.attachments.models import Attachment
from app.billing.models import Invoice, InvoiceStatus
from app.core.models import utcnow
from app.customers.models import Customer
from app.depot_repair import models, reports, tracking
from app.depot_repair.models import Depot, DepotTechnician, RepairOrder, RepairOrderEvent
from app.depot_repair.service import part_uses
from app.inventory.models import Requisition, StockLocation
from app.technicians.models import Technician
from schema.assets import AssetType
from schema.attachments import AttachmentType
from schema.billing import InvoiceType, LineInput
from schema.common import GeoPoint, GeoPointInput, Money
from schema.context import Info
from schema.customers import CustomerType
from schema.errors import Payload
from schema.inventory import PartType, RequisitionType, StockLineInput, StockLocationType
from schema.node import Node
from schema.pagination import Connection, FirstItems
from schema.permissions import internal, staff

if TYPE_CHECKING:
    from schema.technicians import TechnicianType

TechnicianRef = Annotated["TechnicianType", strawberry.lazy("schema.technicians")]

RepairStatus = strawberry.enum(models.RepairStatus, name="RepairStatus")


# --- depots -------------------------------------------------------------------------------


@strawberry.type(description="When a depot's counter is open on one weekday.")
class OpeningHours:
    weekday: int = strawberry.field(description="Day of the week, 0 (Monday) to 6 (Sunday).")
    opens: str = strawberry.field(description="Opening time, HH:MM, in the depot's time zone.")
    closes: str = strawberry.field(description="Closing time, HH:MM, in the depot's time zone.")


@strawberry.type(
    name="Depot",
    description="A service centre: a warehouse stock location that repairs items in house, "
    "with its counter hours, bench technicians and repair policy.",
)
class DepotType(Node):
    phone: str | None = strawberry.field(description="Counter phone number.")
    time_zone: str = strawberry.field(description="IANA time zone of its opening hours.")
    opening_hours: list[OpeningHours] = strawberry.field(
        extensions=[FirstItems(21)], description="Counter hours, by weekday."
    )
    turnaround_hours: int = strawberry.field(
        description="Promised turnaround (received to ready): each order's due time."
    )
    diagnosis_fee: Money = strawberry.field(
        description="Charged when the customer declines the estimate (covered like any line)."
    )
    storage_free_days: int = strawberry.field(
        description="Days a ready item waits for collection free of charge."
    )
    storage_fee: Money = strawberry.field(
        description="Charged once an item waits longer than storageFreeDays (0: none)."
    )
    version: int
    location_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, depot: Depot) -> DepotType:
        assert depot.id is not None
        currency = "INR"
        return cls(
            db_id=depot.id,
            phone=depot.phone,
            time_zone=depot.time_zone,
            opening_hours=[OpeningHours(**h) for h in depot.opening_hours],
            turnaround_hours=depot.turnaround_hours,
            diagnosis_fee=Money(amount=depot.diagnosis_fee, currency=currency),
            storage_free_days=depot.storage_free_days,
            storage_fee=Money(amount=depot.storage_fee, currency=currency),
            version=depot.version,
            location_id=depot.stock_location_id,
        )

    async def _location(self, info: Info) -> StockLocation:
        row = await info.context.loaders.by_id(StockLocation).load(self.location_id)
        assert row is not None
        return row

    @strawberry.field(description="Code of its stock location.")
    async def code(self, info: Info) -> str:
        return (await self._location(info)).code

    @strawberry.field(description="Name shown to customers.")
    async def name(self, info: Info) -> str:
        return (await self._location(info)).name

    @strawberry.field(description="Postal address of the counter.")
    async def address(self, info: Info) -> str | None:
        return (await self._location(info)).address

    @strawberry.field(description="Where the depot is.")
    async def point(self, info: Info) -> GeoPoint | None:
        return GeoPoint.from_value((await self._location(info)).point)

    @strawberry.field(
        extensions=[internal()],
        description="Its stock location: parts are consumed from its stock.",
    )
    async def stock_location(self, info: Info) -> StockLocationType:
        return StockLocationType.from_model(await self._location(info))

    @strawberry.field(extensions=[internal(), FirstItems(50)], description="Its bench technicians.")
    async def bench_technicians(self, info: Info) -> list[TechnicianRef]:
        from schema.technicians import TechnicianType

        rows = await info.context.session.scalars(
            select(Technician)
            .join(DepotTechnician, col(DepotTechnician.technician_id) == col(Technician.id))
            .where(col(DepotTechnician.depot_id) == self.db_id)
            .order_by(col(Technician.name), col(Technician.id))
        )
        return [TechnicianType.from_model(r) for r in rows.all()]


async def depot_of(info: Info, depot_id: int) -> DepotType | None:
    depot = await info.context.loaders.by_id(Depot).load(depot_id)
    return DepotType.from_model(depot) if depot else None


DepotConnection = Connection[DepotType]


# --- repair orders ------------------------------------------------------------------------


@strawberry.type(description="An accessory on the intake checklist.")
class RepairAccessory:
    name: str = strawberry.field(description="What it is (charger, remote, stand...).")
    received: bool = strawberry.field(description="Whether it was handed in with the item.")


@strawberry.type(
    name="RepairOrderEvent", description="One step of a repair order (the audit trail)."
)
class RepairOrderEventType:
    action: str = strawberry.field(description="The step taken (RECEIVE, PASS_QC, ...).")
    from_status: RepairStatus | None = strawberry.field(  # type: ignore[valid-type]
        description="Status before; null for the intake."
    )
    to_status: RepairStatus = strawberry.field(  # type: ignore[valid-type]
        description="Status after."
    )
    at: datetime = strawberry.field(description="When.")
    actor_role: str = strawberry.field(description="Role of whoever took it (SYSTEM for jobs).")
    reason: str | None = strawberry.field(description="Why, when given (a QC failure, a cancel).")

    @classmethod
    def from_model(cls, row: RepairOrderEvent) -> RepairOrderEventType:
        return cls(
            action=row.action,
            from_status=row.from_status,
            to_status=row.to_status,
            at=row.at,
            actor_role=row.actor_role,
            reason=row.reason,
        )


@strawberry.type(description="Parts fitted on a repair order (taken from the depot's stock).")
class RepairPartUsed:
    part_sku: str = strawberry.field(description="SKU of the part.")
    part_name: str = strawberry.field(description="Name of the part.")
    quantity: int = strawberry.field(description="Units fitted.")
    used_at: datetime = strawberry.field(description="When they were recorded.")
    unit_cost: Money = strawberry.field(
        extensions=[internal()], description="Cost price per unit when fitted."
    )
    part_row: strawberry.Private[Any]

    @strawberry.field(extensions=[internal()], description="The part, with its catalogue details.")
    def part(self) -> PartType:
        return PartType.from_model(self.part_row)


@strawberry.type(
    name="RepairOrder",
    description="An item brought to a depot for in-house repair, from intake to handover.",
)
class RepairOrderType(Node):
    number: str = strawberry.field(description="Order number, e.g. RO-2026-000042.")
    tracking_code: str = strawberry.field(
        description="The code on the customer's receipt, for the public status lookup."
    )
    status: RepairStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where the order stands."
    )
    priority: int = strawberry.field(
        extensions=[internal()], description="Bench priority, 1 (most urgent) to 5."
    )
    reported_fault: str = strawberry.field(description="The fault as the customer reported it.")
    fault_code: str | None = strawberry.field(description="Fault category, for the reports.")
    accessories: list[RepairAccessory] = strawberry.field(
        extensions=[FirstItems(30)], description="The intake accessories checklist."
    )
    damage_notes: str | None = strawberry.field(
        description="Visible damage noted on receipt (condition photos: `photos`)."
    )
    coverage: str = strawberry.field(
        description="WARRANTY, CONTRACT or CHARGEABLE, decided at intake (`coverage_for`)."
    )
    diagnosis: str | None = strawberry.field(description="The bench technician's diagnosis.")
    received_at: datetime = strawberry.field(description="When it was booked in.")
    due_at: datetime = strawberry.field(
        description="The promised ready time: received plus the depot's turnaround."
    )
    ready_at: datetime | None = strawberry.field(description="When it passed QC.")
    closed_at: datetime | None = strawberry.field(description="When delivered or cancelled.")
    qc_failures: int = strawberry.field(
        extensions=[internal()], description="How many times QC sent it back."
    )
    handover_signer: str | None = strawberry.field(description="Who collected it.")
    on_account: bool = strawberry.field(
        description="Handed over with invoices unpaid, on the customer's account."
    )
    version: int
    created_at: datetime
    row: strawberry.Private[RepairOrder]

    @classmethod
    def from_model(cls, row: RepairOrder) -> RepairOrderType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            number=row.number,
            tracking_code=row.tracking_code,
            status=row.status,
            priority=row.priority,
            reported_fault=row.reported_fault,
            fault_code=row.fault_code,
            accessories=[RepairAccessory(**a) for a in row.accessories],
            damage_notes=row.damage_notes,
            coverage=row.coverage,
            diagnosis=row.diagnosis,
            received_at=row.received_at,
            due_at=row.due_at,
            ready_at=row.ready_at,
            closed_at=row.closed_at,
            qc_failures=row.qc_failures,
            handover_signer=row.handover_signer,
            on_account=row.on_account,
            version=row.version,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="Minutes since it was received (until it closed).")
    def age_minutes(self) -> int:
        end = self.row.closed_at or utcnow()
        return max(0, int((end - self.row.received_at).total_seconds() // 60))

    @strawberry.field(description="Open and past its promised ready time.")
    def overdue(self) -> bool:
        waiting = self.row.ready_at is None and self.row.status in models.OPEN_STATUSES
        return waiting and self.row.due_at < utcnow()

    @strawberry.field(description="The depot repairing it.")
    async def depot(self, info: Info) -> DepotType | None:
        return await depot_of(info, self.row.depot_id)

    @strawberry.field(description="The customer.")
    async def customer(self, info: Info) -> CustomerType | None:
        row = await info.context.loaders.by_id(Customer).load(self.row.customer_id)
        return CustomerType.from_model(row) if row else None

    @strawberry.field(description="The item (registered at intake when it was unknown).")
    async def asset(self, info: Info) -> AssetType | None:
        row = await info.context.loaders.by_id(Asset).load(self.row.asset_id)
        return AssetType.from_model(row) if row else None

    @strawberry.field(description="The bench technician; null until diagnosis starts.")
    async def technician(self, info: Info) -> TechnicianRef | None:
        from schema.technicians import TechnicianType

        if self.row.technician_id is None:
            return None
        row = await info.context.loaders.by_id(Technician).load(self.row.technician_id)
        return TechnicianType.from_model(row) if row else None

    @strawberry.field(
        description="The estimate, priced with coverage per line (a billing draft until the "
        "item is ready, then the issued invoice; void when declined or cancelled)."
    )
    async def estimate(self, info: Info) -> InvoiceType | None:
        if self.row.invoice_id is None:
            return None
        row = await info.context.loaders.by_id(Invoice).load(self.row.invoice_id)
        return InvoiceType.from_model(row) if row else None

    @strawberry.field(
        extensions=[FirstItems(5)],
        description="Its issued invoices: the repair, a diagnosis fee, a storage fee.",
    )
    async def invoices(self, info: Info) -> list[InvoiceType]:
        ids = [
            i
            for i in (self.row.invoice_id, self.row.fee_invoice_id, self.row.storage_invoice_id)
            if i is not None
        ]
        rows = await info.context.loaders.by_id(Invoice).load_many(ids)
        shown = (InvoiceStatus.DRAFT, InvoiceStatus.VOID)
        return [InvoiceType.from_model(r) for r in rows if r is not None and r.status not in shown]

    @strawberry.field(
        extensions=[internal()],
        description="The parts requisition it waits (or waited) for.",
    )
    async def requisition(self, info: Info) -> RequisitionType | None:
        if self.row.requisition_id is None:
            return None
        row = await info.context.loaders.by_id(Requisition).load(self.row.requisition_id)
        return RequisitionType.from_model(row) if row else None

    @strawberry.field(extensions=[FirstItems(50)], description="Parts fitted, in order.")
    async def parts_used(self, info: Info) -> list[RepairPartUsed]:
        rows = await part_uses(info.context.session, self.db_id)
        return [
            RepairPartUsed(
                part_sku=p.sku,
                part_name=p.name,
                quantity=u.quantity,
                used_at=u.used_at,
                unit_cost=Money(amount=u.unit_cost, currency=p.currency),
                part_row=p,
            )
            for u, p in rows
        ]

    @strawberry.field(extensions=[FirstItems(100)], description="Its steps, oldest first.")
    async def events(self, info: Info) -> list[RepairOrderEventType]:
        rows = await info.context.loaders.children(
            RepairOrderEvent, RepairOrderEvent.repair_order_id
        ).load(self.db_id)
        return [RepairOrderEventType.from_model(r) for r in rows]

    @strawberry.field(
        extensions=[FirstItems(20)],
        description="Condition photos and documents: those attached to the order "
        "(attachToRepairOrder), then those of the service request it was booked against.",
    )
    async def photos(self, info: Info) -> list[AttachmentType]:
        loaders = info.context.loaders
        rows = await loaders.children(Attachment, Attachment.repair_order_id).load(self.db_id)
        if self.row.service_request_id is not None:
            rows = rows + await loaders.children(Attachment, Attachment.service_request_id).load(
                self.row.service_request_id
            )
        return [AttachmentType.from_model(r) for r in rows]


RepairOrderConnection = Connection[RepairOrderType]


@strawberry.type(description="A repair order's change, as it commits.")
class RepairOrderUpdate:
    action: str = strawberry.field(description="The step taken.")
    from_status: RepairStatus | None = strawberry.field(  # type: ignore[valid-type]
        description="Status before; null for the intake."
    )
    to_status: RepairStatus = strawberry.field(  # type: ignore[valid-type]
        description="Status after."
    )
    at: datetime = strawberry.field(description="When.")
    actor_role: str = strawberry.field(description="Role of whoever took the step.")
    reason: str | None = strawberry.field(description="Why, when given.")
    repair_order: RepairOrderType | None = strawberry.field(
        description="The order as it is now (null if the caller may no longer read it)."
    )


@strawberry.type(
    description="A repair order's status as the public lookup shows it: no name, address, "
    "fault, price or item."
)
class RepairTracking:
    tracking_code: str = strawberry.field(description="The code looked up.")
    status: RepairStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where the order stands."
    )
    status_label: str = strawberry.field(description="The status in plain words.")
    received_at: datetime = strawberry.field(description="When it was booked in.")
    promised_by: datetime = strawberry.field(description="The promised ready time.")
    ready_at: datetime | None = strawberry.field(description="When it became ready.")
    delivered_at: datetime | None = strawberry.field(description="When it was collected.")
    depot_name: str = strawberry.field(description="The depot repairing it.")
    depot_phone: str | None = strawberry.field(description="The depot's counter phone.")

    @classmethod
    def of(cls, view: tracking.TrackingView) -> RepairTracking:
        return cls(
            tracking_code=view.tracking_code,
            status=view.status,
            status_label=view.status_label,
            received_at=view.received_at,
            promised_by=view.promised_by,
            ready_at=view.ready_at,
            delivered_at=view.delivered_at,
            depot_name=view.depot_name,
            depot_phone=view.depot_phone,
        )


# --- reports ------------------------------------------------------------------------------


@strawberry.type(description="Parts fitted on one product model for one fault category.")
class RepairPartsRow:
    product_model_code: str = strawberry.field(description="Product model code.")
    product_model_name: str = strawberry.field(description="Product model name.")
    fault_code: str | None = strawberry.field(description="Fault category; null: none given.")
    part_sku: str = strawberry.field(description="Part SKU.")
    part_name: str = strawberry.field(description="Part name.")
    quantity: int = strawberry.field(description="Units fitted.")
    orders: int = strawberry.field(description="Repair orders they were fitted on.")
    cost: Decimal = strawberry.field(description="Their cost price, in rupees.")


@strawberry.type(description="One depot's repair figures over a period [from, to).")
class DepotRepairReport:
    start: datetime = strawberry.field(description="Start of the period (inclusive).")
    end: datetime = strawberry.field(description="End of the period (exclusive).")
    received: int = strawberry.field(description="Orders booked in.")
    repaired: int = strawberry.field(description="Orders that passed QC (became ready).")
    declined: int = strawberry.field(description="Estimates declined.")
    cancelled: int = strawberry.field(description="Orders cancelled.")
    delivered: int = strawberry.field(description="Items handed back.")
    average_turnaround_hours: float | None = strawberry.field(
        description="Mean hours from received to ready, of the repairs ready in the period."
    )
    median_turnaround_hours: float | None = strawberry.field(
        description="Median hours from received to ready."
    )
    on_time: int = strawberry.field(description="Repairs ready by their promised time.")
    repair_yield: float | None = strawberry.field(
        description="Repaired over repaired + declined + cancelled (0 to 1)."
    )
    qc_checks: int = strawberry.field(description="Quality checks done.")
    qc_failures: int = strawberry.field(description="Quality checks failed.")
    qc_failure_rate: float | None = strawberry.field(description="Failed over checks (0 to 1).")
    replacement_count: int = strawberry.field(
        description="Units replaced under warranty instead of repaired: replacement requests "
        "approved in the period with the unit issued from this depot's stock."
    )
    replacement_value: Decimal = strawberry.field(description="Their value, in rupees.")
    replacement_rate: float | None = strawberry.field(
        description="Replacements over repairs plus replacements (0 to 1)."
    )
    parts: list[RepairPartsRow] = strawberry.field(
        extensions=[FirstItems(50)],
        description="Parts fitted per product model and fault, most used first.",
    )
    depot_id: strawberry.Private[int]

    @classmethod
    def of(cls, report: reports.DepotReport) -> DepotRepairReport:
        return cls(
            start=report.start,
            end=report.end,
            received=report.received,
            repaired=report.repaired,
            declined=report.declined,
            cancelled=report.cancelled,
            delivered=report.delivered,
            average_turnaround_hours=report.average_turnaround_hours,
            median_turnaround_hours=report.median_turnaround_hours,
            on_time=report.on_time,
            repair_yield=report.repair_yield,
            qc_checks=report.qc_checks,
            qc_failures=report.qc_failures,
            qc_failure_rate=report.qc_failure_rate,
            replacement_count=report.replacements.count,
            replacement_value=report.replacements.value,
            replacement_rate=report.replacement_rate,
            parts=[RepairPartsRow(**vars_of(p)) for p in report.parts],
            depot_id=report.depot_id,
        )

    @strawberry.field(description="The depot.")
    async def depot(self, info: Info) -> DepotType | None:
        return await depot_of(info, self.depot_id)


def vars_of(row: reports.PartsRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row.__dataclass_fields__}


# --- inputs -------------------------------------------------------------------------------


@strawberry.input(description="Counter hours of one weekday.")
class OpeningHoursInput:
    weekday: int = strawberry.field(description="0 (Monday) to 6 (Sunday).")
    opens: str = strawberry.field(description="Opening time, HH:MM.")
    closes: str = strawberry.field(description="Closing time, HH:MM, after opening.")


@strawberry.input(description="A new depot: a warehouse stock location that repairs in house.")
class CreateDepotInput:
    code: str = strawberry.field(description="Unique code of its stock location.")
    name: str = strawberry.field(description="Name shown to customers.")
    address: str = strawberry.field(description="Postal address of the counter.")
    point: GeoPointInput = strawberry.field(description="Where it is.")
    phone: str | None = strawberry.field(default=None, description="Counter phone.")
    time_zone: str = strawberry.field(default="Asia/Kolkata", description="IANA time zone.")
    opening_hours: list[OpeningHoursInput] = strawberry.field(
        default_factory=list, description="Counter hours (at most 21 rows)."
    )
    turnaround_hours: int = strawberry.field(default=72, description="Promised turnaround.")
    diagnosis_fee: Decimal = strawberry.field(
        default=Decimal(0), description="Fee when an estimate is declined, in rupees."
    )
    storage_free_days: int = strawberry.field(
        default=30, description="Free days before the storage fee."
    )
    storage_fee: Decimal = strawberry.field(
        default=Decimal(0), description="Storage fee, in rupees (0: none)."
    )


@strawberry.input(description="Change a depot's contact, hours or repair policy.")
class UpdateDepotInput:
    depot_id: strawberry.ID
    expected_version: int | None = None
    phone: str | None = strawberry.field(default=strawberry.UNSET, description="Counter phone.")
    opening_hours: list[OpeningHoursInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces all counter hours."
    )
    turnaround_hours: int | None = strawberry.field(
        default=strawberry.UNSET, description="Turnaround."
    )
    diagnosis_fee: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="Diagnosis fee."
    )
    storage_free_days: int | None = strawberry.field(
        default=strawberry.UNSET, description="Free days."
    )
    storage_fee: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="Storage fee."
    )


@strawberry.input(description="Add a technician to a depot's bench (or remove them).")
class SetBenchTechnicianInput:
    depot_id: strawberry.ID
    technician_id: strawberry.ID
    member: bool = strawberry.field(
        default=True, description="True: belongs to this depot (leaving any other); false: leaves."
    )


@strawberry.input(description="A customer met at the counter for the first time.")
class NewRepairCustomerInput:
    name: str = strawberry.field(description="Full name.")
    phone: str = strawberry.field(description="Mobile number (used for the status lookup).")
    email: str | None = strawberry.field(default=None, description="Email address.")
    address_line: str | None = strawberry.field(default=None, description="Home address.")
    city: str | None = strawberry.field(default=None, description="City.")


@strawberry.input(description="An item not registered yet: registered at intake.")
class NewRepairAssetInput:
    product_model_id: strawberry.ID
    serial_number: str = strawberry.field(
        description="Serial number; one registered to another customer is refused (CONFLICT)."
    )
    sold_on: date | None = strawberry.field(
        default=None, description="Purchase date (starts the warranty)."
    )


@strawberry.input(description="An accessory on the intake checklist.")
class RepairAccessoryInput:
    name: str = strawberry.field(description="What it is.")
    received: bool = strawberry.field(default=True, description="Handed in with the item.")


@strawberry.input(description="Book an item in at a depot counter.")
class ReceiveRepairOrderInput:
    depot_id: strawberry.ID
    reported_fault: str = strawberry.field(description="The fault as the customer reports it.")
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="An existing customer (or newCustomer)."
    )
    new_customer: NewRepairCustomerInput | None = strawberry.field(
        default=None, description="A new customer (or customerId)."
    )
    asset_id: strawberry.ID | None = strawberry.field(
        default=None, description="A registered item of the customer (or newAsset)."
    )
    new_asset: NewRepairAssetInput | None = strawberry.field(
        default=None, description="An unregistered item (or assetId)."
    )
    fault_code: str | None = strawberry.field(default=None, description="Fault category code.")
    accessories: list[RepairAccessoryInput] = strawberry.field(
        default_factory=list, description="The accessories checklist (at most 30)."
    )
    damage_notes: str | None = strawberry.field(default=None, description="Visible damage.")
    priority: int = strawberry.field(default=3, description="1 (most urgent) to 5.")
    service_request_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The customer's service request it answers; its attachments are the "
        "condition photos.",
    )
    idempotency_key: str | None = None


@strawberry.input(description="A step of a repair order that needs nothing more.")
class RepairStepInput:
    repair_order_id: strawberry.ID
    expected_version: int | None = None
    reason: str | None = strawberry.field(
        default=None, description="Why (required to cancel; kept on the audit event)."
    )
    idempotency_key: str | None = None


@strawberry.input(description="Assign the bench technician and start diagnosis.")
class StartRepairDiagnosisInput:
    repair_order_id: strawberry.ID
    technician_id: strawberry.ID | None = strawberry.field(
        default=None, description="A bench technician of the depot; a technician: themselves."
    )
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input(description="Price the repair and send it to the customer for approval.")
class SendRepairEstimateInput:
    repair_order_id: strawberry.ID
    diagnosis: str = strawberry.field(description="What was found.")
    lines: list[LineInput] = strawberry.field(description="Labour, parts and fees (1 to 50).")
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input(description="Requisition parts the depot lacks; the order waits for them.")
class RequestRepairPartsInput:
    repair_order_id: strawberry.ID
    warehouse_id: strawberry.ID = strawberry.field(
        description="The supplying warehouse (not the depot itself)."
    )
    lines: list[StockLineInput] = strawberry.field(description="Parts wanted (1 to 100).")
    notes: str | None = strawberry.field(default=None, description="For the warehouse.")
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input(description="Parts fitted on the bench, taken from the depot's stock.")
class ConsumeRepairPartsInput:
    repair_order_id: strawberry.ID
    lines: list[StockLineInput] = strawberry.field(description="Parts fitted (1 to 100).")
    idempotency_key: str | None = None


@strawberry.input(description="The quality check of a repaired item.")
class CheckRepairQualityInput:
    repair_order_id: strawberry.ID
    passed: bool = strawberry.field(
        description="True: ready for collection; false: back to repair."
    )
    reason: str | None = strawberry.field(default=None, description="What failed (required).")
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input(description="Hand the item back to the customer.")
class DeliverRepairOrderInput:
    repair_order_id: strawberry.ID
    signer_name: str = strawberry.field(description="Who collected it.")
    signature_ref: str | None = strawberry.field(
        default=None, description="Reference of the handover signature image."
    )
    on_account: bool = strawberry.field(
        default=False,
        description="Hand over with invoices unpaid, on account (managers and admins).",
    )
    notes: str | None = strawberry.field(default=None, description="Handover notes.")
    expected_version: int | None = None
    idempotency_key: str | None = None


# --- payloads -----------------------------------------------------------------------------


@strawberry.type(description="Result of a depot mutation.")
class DepotPayload(Payload):
    depot: DepotType | None = strawberry.field(default=None, description="The depot.")


@strawberry.type(description="Result of a repair order mutation.")
class RepairOrderPayload(Payload):
    repair_order: RepairOrderType | None = strawberry.field(
        default=None, description="The repair order as it is now."
    )


__all__ = ["staff"]
