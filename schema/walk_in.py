"""GraphQL types of walk-in orders: one-time service sold at the counter."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.assets.models import Asset
from app.billing.models import Invoice, Payment
from app.customers.models import Customer, Site
from app.walk_in import models
from app.walk_in.models import WalkInOrder
from app.work_orders.models import Task
from app.work_orders.models import TaskType as DomainTaskType
from schema.assets import AssetType
from schema.billing import InvoiceType, LineInput, PaymentMethod, PaymentType
from schema.context import Info
from schema.customers import CustomerType, SiteType
from schema.errors import Payload
from schema.inventory import StockLocationType, load_location
from schema.node import Node
from schema.pagination import Connection
from schema.permissions import internal
from schema.tasks import SkillRequirementInput
from schema.work_orders import TaskKind

if TYPE_CHECKING:
    from schema.work_orders import TaskType

Settlement = strawberry.enum(
    models.Settlement, name="WalkInSettlement", description="How a walk-in order is paid."
)


@strawberry.type(
    name="WalkInOrder",
    description=(
        "A one-time service order taken at the counter for a customer without a contract: its "
        "lines are billed on an invoice issued at once, paid there or left on the customer's "
        "account; a field visit may be planned from it."
    ),
)
class WalkInOrderType(Node):
    number: str = strawberry.field(description="Order number, e.g. WI-2026-000042.")
    settlement: Settlement = strawberry.field(  # type: ignore[valid-type]
        description="Paid at the counter, or on the customer's account."
    )
    description: str | None = strawberry.field(
        description="What the customer came for; null when not said."
    )
    created_by: str = strawberry.field(
        extensions=[internal()], description="Who took the order (user subject)."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[WalkInOrder]

    @classmethod
    def from_model(cls, row: WalkInOrder) -> WalkInOrderType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            number=row.number,
            settlement=row.settlement,
            description=row.description,
            created_by=row.created_by,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            row=row,
        )

    @strawberry.field(description="The customer served.")
    async def customer(self, info: Info) -> CustomerType:
        row = await info.context.loaders.by_id(Customer).load(self.row.customer_id)
        assert row is not None
        return CustomerType.from_model(row)

    @strawberry.field(description="The customer's site the order concerns; null when none.")
    async def site(self, info: Info) -> SiteType | None:
        if self.row.site_id is None:
            return None
        row = await info.context.loaders.by_id(Site).load(self.row.site_id)
        return SiteType.from_model(row) if row else None

    @strawberry.field(description="The customer's asset the order concerns; null when none.")
    async def asset(self, info: Info) -> AssetType | None:
        if self.row.asset_id is None:
            return None
        row = await info.context.loaders.by_id(Asset).load(self.row.asset_id)
        return AssetType.from_model(row) if row else None

    @strawberry.field(
        description="The invoice billing the order (issued when the order is taken): its "
        "status and balance say whether it is paid."
    )
    async def invoice(self, info: Info) -> InvoiceType:
        row = await info.context.loaders.by_id(Invoice).load(self.row.invoice_id)
        assert row is not None
        return InvoiceType.from_model(row)

    @strawberry.field(
        description="The payment taken at the counter; null on account or when nothing was due."
    )
    async def payment(self, info: Info) -> PaymentType | None:
        if self.row.payment_id is None:
            return None
        row = await info.context.loaders.by_id(Payment).load(self.row.payment_id)
        return PaymentType.from_model(row) if row else None

    @strawberry.field(
        extensions=[internal()],
        description="The warehouse the parts sold left; null when not taken from stock.",
    )
    async def stock_location(self, info: Info) -> StockLocationType | None:
        if self.row.stock_location_id is None:
            return None
        return await load_location(info, self.row.stock_location_id)

    @strawberry.field(description="The field visit planned from the order; null when none.")
    async def field_visit(
        self, info: Info
    ) -> Annotated[TaskType, strawberry.lazy("schema.work_orders")] | None:
        from schema.work_orders import TaskType

        if self.row.task_id is None:
            return None
        row = await info.context.loaders.by_id(Task).load(self.row.task_id)
        return TaskType.from_model(row) if row else None


WalkInOrderConnection = Connection[WalkInOrderType]


@strawberry.input(description="How the customer pays at the counter.")
class CounterPaymentInput:
    method: PaymentMethod = strawberry.field(  # type: ignore[valid-type]
        description="CASH or CARD; the whole invoice total is taken."
    )
    reference: str | None = strawberry.field(
        default=None, description="Card slip number or other reference; null if none."
    )


@strawberry.input(description="A field visit planned from a walk-in order.")
class FieldVisitInput:
    site_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer's site to visit; null: the order's site."
    )
    type: TaskKind = strawberry.field(  # type: ignore[valid-type]
        default=DomainTaskType.REPAIR, description="Kind of work; REPAIR by default."
    )
    description: str | None = strawberry.field(
        default=None, description="What is to be done; null: the order's description."
    )
    priority: int = strawberry.field(default=3, description="1 (most urgent) to 5; 3 by default.")
    duration_minutes: int = strawberry.field(
        default=60, description="Expected time on site in minutes, 5 to 1440."
    )
    window_start: datetime | None = strawberry.field(
        default=None, description="Start of the appointment window agreed at the counter."
    )
    window_end: datetime | None = strawberry.field(
        default=None, description="End of the appointment window (with windowStart)."
    )
    required_skills: list[SkillRequirementInput] = strawberry.field(
        default_factory=list, description="Skills a technician needs, at most 20."
    )


@strawberry.input(description="A walk-in order taken at the counter.")
class CreateWalkInOrderInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer served.")
    site_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer's site it concerns, if any."
    )
    asset_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer's asset it concerns, if any."
    )
    description: str | None = strawberry.field(
        default=None, description="What the customer came for, up to 2,000 characters."
    )
    lines: list[LineInput] = strawberry.field(
        description="1 to 100 lines, priced from the price list in force (chargeable)."
    )
    settlement: Settlement = strawberry.field(  # type: ignore[valid-type]
        description="PAY_NOW (give payment) or ON_ACCOUNT (refused with overdue invoices)."
    )
    payment: CounterPaymentInput | None = strawberry.field(
        default=None, description="How the customer pays now; required with PAY_NOW."
    )
    field_visit: FieldVisitInput | None = strawberry.field(
        default=None, description="A field visit to plan from the order, if one is needed."
    )
    stock_location_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The counter's warehouse: the part lines leave its stock through the "
        "ledger (whole units; a short line refuses the order). Null: not taken from stock.",
    )
    idempotency_key: str | None = None


@strawberry.input(description="Plan a field visit from a walk-in order taken earlier.")
class PlanWalkInFieldVisitInput:
    order_id: strawberry.ID = strawberry.field(description="The walk-in order.")
    expected_version: int | None = None
    visit: FieldVisitInput = strawberry.field(description="The visit to plan.")
    idempotency_key: str | None = None


@strawberry.type
class WalkInOrderPayload(Payload):
    order: WalkInOrderType | None = strawberry.field(
        default=None, description="The order as saved; null when the change failed."
    )
