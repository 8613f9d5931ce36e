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
from schema.task_access import request_events, task_by_id, tasks_by
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
    kind: CoverageKind = strawberry.field(  # type: ignore[valid-type]
        description="What covers the work: the warranty, a contract kind, or NONE."
    )
    labour: bool = strawberry.field(description="Whether labour is free for the customer.")
    parts: bool = strawberry.field(description="Whether parts are free for the customer.")
    valid_until: date | None = strawberry.field(
        description=(
            "Last day of the warranty or contract cover; null when chargeable or the end is "
            "unknown."
        )
    )
    contract_db_id: strawberry.Private[int | None]

    @strawberry.field(
        description=(
            "The contract that covers the work or sets its SLA; null when none (a warranty may "
            "have one)."
        )
    )
    async def contract(self, info: Info) -> ContractRef | None:
        from schema.contracts import ContractType

        if self.contract_db_id is None:
            return None
        row = await info.context.loaders.by_id(Contract).load(self.contract_db_id)
        return ContractType.from_model(row) if row else None


@strawberry.type(description="What the request is entitled to, decided once at intake.")
class Eligibility:
    status: EligibilityStatus = strawberry.field(  # type: ignore[valid-type]
        description="Who pays: the warranty, a contract or the customer."
    )
    coverage: RequestCoverage = strawberry.field(
        description="What exactly is covered, and until when."
    )


@strawberry.type(description="One step of a request's history, as its customer follows it.")
class TimelineEntry:
    at: datetime = strawberry.field(description="When the step happened (UTC).")
    kind: str = strawberry.field(
        description=(
            "REQUESTED for the request itself, else the task action, e.g. ASSIGN or CHECK_IN."
        )
    )
    status: TaskStatusRef | None = strawberry.field(
        description="The task's status after the step; null for the REQUESTED entry."
    )
    reason: str | None = strawberry.field(
        description="Why, when given; for REQUESTED, the customer's description of the problem."
    )
    actor_role: Role | None = strawberry.field(  # type: ignore[valid-type]
        description="The role of who took the step."
    )
    task_db_id: strawberry.Private[int | None]

    @strawberry.field(description="The task (visit) the step belongs to; null for REQUESTED.")
    async def task(self, info: Info) -> TaskRef | None:
        from schema.work_orders import TaskType

        if self.task_db_id is None:
            return None
        row = await task_by_id(info).load(self.task_db_id)
        return TaskType.from_model(row) if row else None


@strawberry.type(
    name="ServiceRequest",
    description=(
        "A customer's request for service at a site, with its entitlement, priority, SLA due "
        "times and the tasks (visits) that carry it out."
    ),
)
class ServiceRequestType(Node):
    number: str = strawberry.field(
        description="Reference to quote to the customer, e.g. SR-000042."
    )
    channel: RequestChannel = strawberry.field(  # type: ignore[valid-type]
        description="Where the request came from."
    )
    category: RequestCategory = strawberry.field(  # type: ignore[valid-type]
        description="Kind of work asked for."
    )
    description: str = strawberry.field(
        description="The problem in the reporter's words, up to 4,000 characters."
    )
    contact_name: str | None = strawberry.field(
        description="Who to ask for about this request; null when not given."
    )
    contact_phone: str | None = strawberry.field(
        description="Phone to call about this request; null when not given."
    )
    external_ref: str | None = strawberry.field(
        description="The request's reference in the system it came from (CRM, partner, retailer)."
    )
    status: ServiceRequestStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where the request stands, derived from its tasks' statuses."
    )
    priority: int = strawberry.field(
        description="Urgency from 1 (most urgent) to 5, set by priority rules or a staff override."
    )
    priority_reason: str = strawberry.field(
        extensions=[not_for_customers()],
        description="Why it has this priority: the matched rules or the override reason.",
    )
    priority_overridden: bool = strawberry.field(
        extensions=[not_for_customers()],
        description="Whether staff set the priority by hand instead of the rules.",
    )
    eligibility: Eligibility = strawberry.field(
        description="Who pays for the work (warranty, contract or customer), decided at intake."
    )
    is_duplicate: bool = strawberry.field(
        description="Whether another open request for the same asset existed when it was made."
    )
    response_due_at: datetime | None = strawberry.field(
        description=(
            "When a response is due (UTC), from the priority's SLA, shortened by a contract's."
        )
    )
    resolution_due_at: datetime | None = strawberry.field(
        description=(
            "When the work should be resolved (UTC), from the priority's SLA, shortened by a "
            "contract's."
        )
    )
    sla_state: SlaState = strawberry.field(  # type: ignore[valid-type]
        description="How the request stands against its due times; refreshed periodically."
    )
    resolved_at: datetime | None = strawberry.field(
        description="When it became RESOLVED (UTC); null while not resolved."
    )
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

    @strawberry.field(description="The customer who asked for the service.")
    async def customer(self, info: Info) -> CustomerRef | None:
        from schema.customers import CustomerType

        row = await info.context.loaders.by_id(Customer).load(self.row.customer_id)
        return CustomerType.from_model(row) if row else None

    @strawberry.field(description="Where the work is to be done.")
    async def site(self, info: Info) -> SiteRef | None:
        from schema.customers import SiteType

        row = await info.context.loaders.by_id(Site).load(self.row.site_id)
        return SiteType.from_model(row) if row else None

    @strawberry.field(description="The equipment concerned; null when not named.")
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

    @strawberry.field(
        extensions=[FirstItems(20)], description="The visits made or planned for this request."
    )
    async def tasks(self, info: Info) -> list[TaskRef]:
        from schema.work_orders import TaskType

        loader = tasks_by(info, col(Task.service_request_id))
        return [TaskType.from_model(row) for row in await loader.load(self.db_id)]

    @strawberry.field(
        extensions=[FirstItems(50)],
        description="What happened, oldest first: the request, then its tasks.",
    )
    async def timeline(self, info: Info) -> list[TimelineEntry]:
        loader = request_events(info)
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


@strawberry.input(description="A new service request, from any channel.")
class CreateServiceRequestInput:
    site_id: strawberry.ID
    channel: RequestChannel = strawberry.field(  # type: ignore[valid-type]
        description="Where the request came from."
    )
    category: RequestCategory = strawberry.field(  # type: ignore[valid-type]
        description="Kind of work asked for; priority rules can use it."
    )
    description: str = strawberry.field(
        description="What is wrong, 1 to 4,000 characters; priority rules look for keywords in it."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required from staff; a customer asks for itself."
    )
    asset_id: strawberry.ID | None = None
    contact_name: str | None = strawberry.field(
        default=None,
        description="Who to ask for about this request, if not the customer's contact.",
    )
    contact_phone: str | None = strawberry.field(
        default=None, description="Phone for this request, up to 40 characters."
    )
    external_ref: str | None = strawberry.field(
        default=None, description="The request's reference in the system it came from."
    )
    idempotency_key: str | None = None


@strawberry.input(description="A staff member's priority for a request, replacing the rules' one.")
class OverrideRequestPriorityInput:
    id: strawberry.ID
    priority: int = strawberry.field(description="New priority, 1 (most urgent) to 5.")
    reason: str = strawberry.field(
        description="Why, 3 to 500 characters; becomes priorityReason, hidden from customers."
    )
    expected_version: int | None = None


@strawberry.type
class ServiceRequestPayload(Payload):
    service_request: ServiceRequestType | None = strawberry.field(
        default=None, description="The request as saved; null when the change failed."
    )


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
    service_request: ServiceRequestType | None = strawberry.field(
        default=None, description="The new request; null when the booking failed."
    )
    task: TaskRef | None = strawberry.field(
        default=None,
        description=(
            "The visit: offered to a technician (DISPATCHED) or, when none can take it any "
            "more, waiting for dispatch (UNSCHEDULED); its window is the booked slot."
        ),
    )
