"""GraphQL types for service requests: intake, eligibility, priority, SLA and the timeline."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlmodel import col

from app.assets.models import Asset
from app.contracts.models import Contract
from app.core.auth import Role as DomainRole
from app.customers.models import Customer, Site
from app.service_requests import models
from app.service_requests.models import ServiceRequest
from app.work_orders.models import Task, TaskEvent
from schema.context import Info
from schema.errors import Payload
from schema.node import Node
from schema.pagination import Connection, FirstItems
from schema.permissions import internal, not_for_customers
from schema.users import Role

if TYPE_CHECKING:
    from schema.assets import AssetType
    from schema.contracts import ContractType
    from schema.customers import CustomerType, SiteType
    from schema.work_orders import TaskStatus, TaskType

RequestChannel = strawberry.enum(models.RequestChannel, name="RequestChannel")
RequestCategory = strawberry.enum(models.RequestCategory, name="RequestCategory")
ServiceRequestStatus = strawberry.enum(models.ServiceRequestStatus, name="ServiceRequestStatus")


@strawberry.enum(description="The order a list of requests comes in (by when they were made).")
class RequestOrder(Enum):
    NEWEST_FIRST = "NEWEST_FIRST"
    """The latest request first."""
    OLDEST_FIRST = "OLDEST_FIRST"
    """The earliest request first."""


EligibilityStatus = strawberry.enum(models.EligibilityStatus, name="EligibilityStatus")
CoverageKind = strawberry.enum(models.CoverageKind, name="CoverageKind")
SlaState = strawberry.enum(models.SlaState, name="SlaState")

CustomerRef = Annotated["CustomerType", strawberry.lazy("schema.customers")]
SiteRef = Annotated["SiteType", strawberry.lazy("schema.customers")]
AssetRef = Annotated["AssetType", strawberry.lazy("schema.assets")]
ContractRef = Annotated["ContractType", strawberry.lazy("schema.contracts")]
TaskRef = Annotated["TaskType", strawberry.lazy("schema.work_orders")]
TaskStatusRef = Annotated["TaskStatus", strawberry.lazy("schema.work_orders")]  # type: ignore[valid-type]


@strawberry.type(description="Who pays for the visit: what the warranty or contract covers.")
class RequestCoverage:
    kind: CoverageKind  # type: ignore[valid-type]
    labour: bool
    parts: bool
    valid_until: date | None
    contract_db_id: strawberry.Private[int | None]

    @strawberry.field
    async def contract(self, info: Info) -> ContractRef | None:
        from schema.contracts import ContractType

        if self.contract_db_id is None:
            return None
        row = await info.context.loaders.by_id(Contract).load(self.contract_db_id)
        return ContractType.from_model(row) if row else None


@strawberry.type
class Eligibility:
    status: EligibilityStatus  # type: ignore[valid-type]
    coverage: RequestCoverage


@strawberry.type(description="One step of a request's history, as its customer follows it.")
class TimelineEntry:
    at: datetime
    kind: str
    status: TaskStatusRef | None
    reason: str | None
    actor_role: Role | None = strawberry.field(  # type: ignore[valid-type]
        description="The role of who took the step."
    )
    task_db_id: strawberry.Private[int | None]

    @strawberry.field
    async def task(self, info: Info) -> TaskRef | None:
        from schema.work_orders import TaskType

        if self.task_db_id is None:
            return None
        row = await info.context.loaders.by_id(Task).load(self.task_db_id)
        return TaskType.from_model(row) if row else None


@strawberry.type(name="ServiceRequest")
class ServiceRequestType(Node):
    number: str
    channel: RequestChannel  # type: ignore[valid-type]
    category: RequestCategory  # type: ignore[valid-type]
    description: str
    contact_name: str | None
    contact_phone: str | None
    external_ref: str | None
    status: ServiceRequestStatus  # type: ignore[valid-type]
    priority: int
    priority_reason: str = strawberry.field(extensions=[not_for_customers()])
    priority_overridden: bool = strawberry.field(extensions=[not_for_customers()])
    eligibility: Eligibility
    is_duplicate: bool
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    sla_state: SlaState  # type: ignore[valid-type]
    resolved_at: datetime | None
    version: int
    created_at: datetime
    row: strawberry.Private[ServiceRequest]

    @classmethod
    def from_model(cls, row: ServiceRequest) -> ServiceRequestType:
        assert row.id is not None
        coverage = RequestCoverage(
            kind=row.coverage_kind,
            labour=row.covers_labour,
            parts=row.covers_parts,
            valid_until=row.coverage_valid_until,
            contract_db_id=row.contract_id,
        )
        return cls(
            db_id=row.id,
            row=row,
            number=f"SR-{row.id:06d}",
            eligibility=Eligibility(status=row.eligibility_status, coverage=coverage),
            is_duplicate=row.duplicate_of_id is not None,
            **{name: getattr(row, name) for name in _PLAIN},
        )

    @strawberry.field
    async def customer(self, info: Info) -> CustomerRef | None:
        from schema.customers import CustomerType

        row = await info.context.loaders.by_id(Customer).load(self.row.customer_id)
        return CustomerType.from_model(row) if row else None

    @strawberry.field
    async def site(self, info: Info) -> SiteRef | None:
        from schema.customers import SiteType

        row = await info.context.loaders.by_id(Site).load(self.row.site_id)
        return SiteType.from_model(row) if row else None

    @strawberry.field
    async def asset(self, info: Info) -> AssetRef | None:
        from schema.assets import AssetType

        if self.row.asset_id is None:
            return None
        row = await info.context.loaders.by_id(Asset).load(self.row.asset_id)
        return AssetType.from_model(row) if row else None

    @strawberry.field(
        description="The open request for the same asset this one duplicates.",
        extensions=[internal()],
    )
    async def duplicate_of(self, info: Info) -> ServiceRequestType | None:
        if self.row.duplicate_of_id is None:
            return None
        row = await info.context.loaders.by_id(ServiceRequest).load(self.row.duplicate_of_id)
        return ServiceRequestType.from_model(row) if row else None

    @strawberry.field(extensions=[FirstItems(20)])
    async def tasks(self, info: Info) -> list[TaskRef]:
        from schema.work_orders import TaskType

        loader = info.context.loaders.children(Task, col(Task.service_request_id))
        return [TaskType.from_model(row) for row in await loader.load(self.db_id)]

    @strawberry.field(
        extensions=[FirstItems(50)],
        description="What happened, oldest first: the request, then its tasks.",
    )
    async def timeline(self, info: Info) -> list[TimelineEntry]:
        loader = info.context.loaders.children(TaskEvent, col(TaskEvent.service_request_id))
        created = TimelineEntry(
            at=self.created_at,
            kind="REQUESTED",
            status=None,
            reason=self.description,
            actor_role=None,
            task_db_id=None,
        )
        return [created, *(_entry(event) for event in await loader.load(self.db_id))]


def _entry(event: TaskEvent) -> TimelineEntry:
    return TimelineEntry(
        at=event.at,
        kind=event.action,
        status=event.to_status,
        reason=event.reason,
        actor_role=DomainRole(event.actor_role) if event.actor_role else None,
        task_db_id=event.task_id,
    )


_PLAIN = (
    "channel", "category", "description", "contact_name", "contact_phone", "external_ref",
    "status", "priority", "priority_reason", "priority_overridden", "response_due_at",
    "resolution_due_at", "sla_state", "resolved_at", "version", "created_at",
)  # fmt: skip

ServiceRequestConnection = Connection[ServiceRequestType]


@strawberry.input
class CreateServiceRequestInput:
    site_id: strawberry.ID
    channel: RequestChannel  # type: ignore[valid-type]
    category: RequestCategory  # type: ignore[valid-type]
    description: str
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required from staff; a customer asks for itself."
    )
    asset_id: strawberry.ID | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    external_ref: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class OverrideRequestPriorityInput:
    id: strawberry.ID
    priority: int
    reason: str
    expected_version: int | None = None


@strawberry.type
class ServiceRequestPayload(Payload):
    service_request: ServiceRequestType | None = None


@strawberry.input(
    description=(
        "A request and its visit in a slot held with holdSlot: the customer app's booking. "
        "The visit takes the hold's duration and skills, and the held slot as its agreed "
        "appointment."
    )
)
class BookVisitInput:
    hold_id: strawberry.ID = strawberry.field(description="The hold from holdSlot.")
    site_id: strawberry.ID = strawberry.field(description="Where the visit is; the hold's site.")
    category: RequestCategory = strawberry.field(  # type: ignore[valid-type]
        description="What kind of work the customer asks for."
    )
    description: str = strawberry.field(description="What is wrong, in the customer's words.")
    asset_id: strawberry.ID | None = strawberry.field(
        default=None, description="The appliance or equipment, for warranty and contract."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required from staff booking for a customer; else the caller."
    )
    channel: RequestChannel = strawberry.field(  # type: ignore[valid-type]
        default=models.RequestChannel.WEB, description="Where the booking came from."
    )
    contact_name: str | None = strawberry.field(default=None, description="Who to ask for on site.")
    contact_phone: str | None = strawberry.field(default=None, description="Their phone number.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key returns the first booking."
    )


@strawberry.type(description="The booked request and its visit.")
class BookVisitPayload(Payload):
    service_request: ServiceRequestType | None = None
    task: TaskRef | None = strawberry.field(
        default=None,
        description=(
            "The visit: offered to a technician (DISPATCHED) or, when none can take it any "
            "more, waiting for dispatch (UNSCHEDULED); its window is the booked slot."
        ),
    )
