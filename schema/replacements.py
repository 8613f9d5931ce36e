"""GraphQL types of warranty replacement requests, their policies and the replacement report."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.assets.models import Asset, ProductModel
from app.customers.models import Customer
from app.depot_repair import repository as repair_orders
from app.inventory.models import Part
from app.replacements import models, repository
from app.replacements.models import ReplacementPolicy, ReplacementRequest
from app.replacements.service import reference
from app.work_orders.models import Task
from schema.assets import AssetType, ProductCategory, ProductModelType
from schema.attachments import AttachmentType
from schema.common import Money
from schema.context import Info
from schema.customers import CustomerType
from schema.errors import Payload
from schema.inventory import PartType, StockLocationType, load_location
from schema.node import Node
from schema.pagination import Connection, FirstItems
from schema.permissions import internal
from schema.users import Role

if TYPE_CHECKING:
    from schema.depot_repair import RepairOrderType
    from schema.work_orders import TaskType

ReplacementSource = strawberry.enum(
    models.ReplacementSource,
    name="ReplacementSource",
    description="Where a replacement request comes from.",
)
ReplacementStatus = strawberry.enum(
    models.ReplacementStatus,
    name="ReplacementStatus",
    description="Where a replacement request stands.",
)
WarrantyMode = strawberry.enum(
    models.WarrantyMode, name="ReplacementWarrantyMode", description="A replacement's warranty."
)
ReportPeriod = strawberry.enum(
    repository.Period, name="ReplacementReportPeriod", description="Length of a report period."
)


@strawberry.type(
    name="ReplacementRequest",
    description=(
        "A request to replace a faulty asset under warranty with a unit from a depot's stock, "
        "with its evidence, the approver its value and category require, and its outcome."
    ),
)
class ReplacementRequestType(Node):
    reference: str = strawberry.field(description="Reference shown to the customer: RR-42.")
    source: ReplacementSource = strawberry.field(  # type: ignore[valid-type]
        description="Where it was raised: a field task (repair orders later)."
    )
    status: ReplacementStatus = strawberry.field(  # type: ignore[valid-type]
        description="Pending approval, approved (carried out), rejected or withdrawn."
    )
    product_category: ProductCategory = strawberry.field(  # type: ignore[valid-type]
        description="The faulty unit's product category (it picks the policy)."
    )
    diagnosis: str = strawberry.field(description="Why the unit cannot be repaired.")
    value: Money = strawberry.field(
        extensions=[internal()],
        description="The replacement unit's cost when requested; sets the approver.",
    )
    approver_role: Role = strawberry.field(  # type: ignore[valid-type]
        extensions=[internal()],
        description="The least role that may approve it under the replacement policy.",
    )
    requested_by: str = strawberry.field(
        extensions=[internal()], description="Who raised it (user subject)."
    )
    decided_by: str | None = strawberry.field(
        extensions=[internal()], description="Who approved or rejected it; null while pending."
    )
    decided_at: datetime | None = strawberry.field(
        description="When it was approved or rejected; null while pending or withdrawn."
    )
    decision_reason: str | None = strawberry.field(
        description="Why it was rejected; null otherwise."
    )
    new_serial_number: str | None = strawberry.field(
        description="Serial of the unit fitted; null until approved."
    )
    warranty_mode: WarrantyMode | None = strawberry.field(  # type: ignore[valid-type]
        description="Whether the new unit's warranty continued or restarted; null until approved."
    )
    new_warranty_expires_on: date | None = strawberry.field(
        description="Last day of the new unit's warranty; null until approved (or none)."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[ReplacementRequest]

    @classmethod
    def from_model(cls, row: ReplacementRequest) -> ReplacementRequestType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            reference=reference(row),
            source=row.source,
            status=row.status,
            product_category=row.product_category,
            diagnosis=row.diagnosis,
            value=Money(amount=row.value, currency=row.currency),
            approver_role=row.approver_role,
            requested_by=row.requested_by,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            decision_reason=row.decision_reason,
            new_serial_number=row.new_serial_number,
            warranty_mode=row.warranty_mode,
            new_warranty_expires_on=row.new_warranty_expires_on,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            row=row,
        )

    @strawberry.field(description="The field task it was raised from; null for other sources.")
    async def task(
        self, info: Info
    ) -> Annotated[TaskType, strawberry.lazy("schema.work_orders")] | None:
        from schema.work_orders import TaskType

        if self.row.task_id is None:
            return None
        row = await info.context.loaders.by_id(Task).load(self.row.task_id)
        return TaskType.from_model(row) if row else None

    @strawberry.field(
        description="The depot repair order it was raised from, as the caller may read it; "
        "null for other sources."
    )
    async def repair_order(
        self, info: Info
    ) -> Annotated[RepairOrderType, strawberry.lazy("schema.depot_repair")] | None:
        from schema.depot_repair import RepairOrderType

        if self.row.repair_order_id is None:
            return None
        row = await repair_orders.get_readable(
            info.context.session, info.context.principal, self.row.repair_order_id
        )
        return RepairOrderType.from_model(row) if row else None

    @strawberry.field(description="The customer whose unit it is.")
    async def customer(self, info: Info) -> CustomerType:
        row = await info.context.loaders.by_id(Customer).load(self.row.customer_id)
        assert row is not None
        return CustomerType.from_model(row)

    @strawberry.field(description="The faulty asset (retired once the request is approved).")
    async def asset(self, info: Info) -> AssetType:
        row = await info.context.loaders.by_id(Asset).load(self.row.asset_id)
        assert row is not None
        return AssetType.from_model(row)

    @strawberry.field(description="The asset registered for the new unit; null until approved.")
    async def new_asset(self, info: Info) -> AssetType | None:
        if self.row.new_asset_id is None:
            return None
        row = await info.context.loaders.by_id(Asset).load(self.row.new_asset_id)
        return AssetType.from_model(row) if row else None

    @strawberry.field(description="The product model of the new unit.")
    async def replacement_model(self, info: Info) -> ProductModelType:
        row = await info.context.loaders.by_id(ProductModel).load(self.row.replacement_model_id)
        assert row is not None
        return ProductModelType.from_model(row)

    @strawberry.field(extensions=[internal()], description="The stock item issued as the new unit.")
    async def replacement_part(self, info: Info) -> PartType:
        row = await info.context.loaders.by_id(Part).load(self.row.replacement_part_id)
        assert row is not None
        return PartType.from_model(row)

    @strawberry.field(
        extensions=[internal()], description="The depot (warehouse) the unit is issued from."
    )
    async def stock_location(self, info: Info) -> StockLocationType:
        return await load_location(info, self.row.stock_location_id)

    @strawberry.field(
        extensions=[FirstItems(20)],
        description="Photos and documents of the source offered as evidence, in order.",
    )
    async def evidence(self, info: Info) -> list[AttachmentType]:
        session = info.context.session

        async def load(ids: list[int]) -> list[list[object]]:
            return await repository.evidence_of(session, ids)  # type: ignore[return-value]

        loader = info.context.loaders.custom("replacement.evidence", load)
        return [AttachmentType.from_model(a) for a in await loader.load(self.db_id)]


ReplacementRequestConnection = Connection[ReplacementRequestType]


@strawberry.type(
    name="ReplacementPolicy",
    description=(
        "Who approves a warranty replacement of a given value, and the new unit's warranty, "
        "for one product category (or, without one, for every other category)."
    ),
)
class ReplacementPolicyType:
    product_category: ProductCategory | None = strawberry.field(  # type: ignore[valid-type]
        description="The category; null for the default row."
    )
    dispatcher_limit: Money = strawberry.field(
        description="Up to this value (inclusive) a dispatcher may approve."
    )
    manager_limit: Money | None = strawberry.field(
        description="Up to this value a manager may, above it only an admin; null: no limit."
    )
    warranty_mode: WarrantyMode = strawberry.field(  # type: ignore[valid-type]
        description="Whether the new unit continues the old warranty or restarts it."
    )
    version: int
    updated_at: datetime
    archived_at: datetime | None

    @classmethod
    def from_model(cls, row: ReplacementPolicy) -> ReplacementPolicyType:
        return cls(
            product_category=row.product_category,
            dispatcher_limit=Money(amount=row.dispatcher_limit, currency=row.currency),
            manager_limit=Money.of(row.manager_limit, row.currency),
            warranty_mode=row.warranty_mode,
            version=row.version,
            updated_at=row.updated_at,
            archived_at=row.archived_at,
        )


@strawberry.type(description="Warranty replacements at one depot in one period.")
class ReplacementReportRow:
    period_start: date = strawberry.field(description="First day of the period (UTC).")
    requested: int = strawberry.field(description="Requests raised in the period.")
    approved: int = strawberry.field(description="Approved (units replaced) in the period.")
    rejected: int = strawberry.field(description="Rejected in the period.")
    withdrawn: int = strawberry.field(description="Withdrawn in the period.")
    replacement_rate: float | None = strawberry.field(
        description="Approved over decided (approved + rejected) in the period; null if none."
    )
    value: Money = strawberry.field(description="Cost of the units issued for approvals.")
    location_db_id: strawberry.Private[int]

    @strawberry.field(description="The depot (stock location) the units are issued from.")
    async def depot(self, info: Info) -> StockLocationType:
        return await load_location(info, self.location_db_id)

    @classmethod
    def from_value(cls, row: repository.ReportRow) -> ReplacementReportRow:
        return cls(
            period_start=row.period_start,
            requested=row.requested,
            approved=row.approved,
            rejected=row.rejected,
            withdrawn=row.withdrawn,
            replacement_rate=row.rate,
            value=Money(amount=row.value, currency=row.currency),
            location_db_id=row.stock_location_id,
        )


@strawberry.input(description="A warranty replacement requested from a field task.")
class RequestReplacementInput:
    task_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The field task the unit was diagnosed on (a technician: their own); "
        "give this or repairOrderId, not both.",
    )
    repair_order_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The depot repair order the unit was diagnosed on (a technician: an order "
        "of their depot or assigned to them); give this or taskId, not both.",
    )
    asset_id: strawberry.ID | None = strawberry.field(
        default=None, description="The faulty asset; null: the source's asset."
    )
    replacement_part_id: strawberry.ID = strawberry.field(
        description="The stock item to issue as the new unit."
    )
    replacement_model_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Product model of the new unit (same category); null: the old unit's.",
    )
    stock_location_id: strawberry.ID = strawberry.field(
        description="The depot (warehouse) to issue the unit from."
    )
    diagnosis: str = strawberry.field(
        description="Why the unit cannot be repaired, 1 to 4,000 characters."
    )
    evidence_attachment_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Up to 20 photos or documents already attached to the task, or to the "
        "repair order's service request.",
    )
    idempotency_key: str | None = None


@strawberry.input(description="Approve a replacement request and carry it out.")
class ApproveReplacementInput:
    request_id: strawberry.ID = strawberry.field(description="The pending request.")
    new_serial_number: str = strawberry.field(
        description="Serial of the unit taken from stock (registered as the new asset)."
    )
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input(description="Reject a replacement request, saying why.")
class RejectReplacementInput:
    request_id: strawberry.ID = strawberry.field(description="The pending request.")
    reason: str = strawberry.field(description="Why it is refused; the customer is told.")
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input(description="Take a pending replacement request back.")
class WithdrawReplacementInput:
    request_id: strawberry.ID = strawberry.field(description="The pending request.")
    expected_version: int | None = None


@strawberry.input(description="Create or replace the replacement policy of one category.")
class SetReplacementPolicyInput:
    product_category: ProductCategory | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The category; null: the default row."
    )
    currency: str = strawberry.field(default="INR", description="Currency of the limits.")
    dispatcher_limit: Decimal = strawberry.field(
        description="Up to this value a dispatcher may approve, e.g. 5000.00."
    )
    manager_limit: Decimal | None = strawberry.field(
        default=None, description="Up to this value a manager may; null: no upper limit."
    )
    warranty_mode: WarrantyMode = strawberry.field(  # type: ignore[valid-type]
        default=models.WarrantyMode.CONTINUE, description="The new unit's warranty."
    )
    expected_version: int | None = None


@strawberry.input(description="Remove a category's own replacement policy.")
class RemoveReplacementPolicyInput:
    product_category: ProductCategory = strawberry.field(  # type: ignore[valid-type]
        description="The category; its requests then follow the default row."
    )
    expected_version: int | None = None


@strawberry.type
class ReplacementRequestPayload(Payload):
    request: ReplacementRequestType | None = strawberry.field(
        default=None, description="The request as saved; null when the change failed."
    )


@strawberry.type
class ReplacementPolicyPayload(Payload):
    policy: ReplacementPolicyType | None = strawberry.field(
        default=None, description="The policy as saved; null when the change failed."
    )
