"""GraphQL types of travel and advance requests, travel policies and task release."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.dataloader import DataLoader

from app.travel_requests import models, policy, repository
from app.travel_requests.models import TravelPolicy, TravelRequest
from app.travel_requests.service import reference
from app.work_orders.models import Task
from schema.common import Money
from schema.context import Info
from schema.errors import Payload
from schema.node import Node
from schema.pagination import Connection
from schema.permissions import internal
from schema.work_orders import TaskKind, technician_of

if TYPE_CHECKING:
    from schema.technicians import TechnicianType
    from schema.work_orders import TaskType

TravelMode = strawberry.enum(models.TravelMode, name="TravelMode", description="How one travels.")
TravelStatus = strawberry.enum(
    models.TravelStatus, name="TravelStatus", description="Where a travel request stands."
)
SettlementStatus = strawberry.enum(
    models.SettlementStatus,
    name="AdvanceSettlementStatus",
    description="Where a travel request's cash advance stands.",
)


@strawberry.type(
    description="Whether a task may be started: its travel policy, the distance from the "
    "assigned technician's home base, and the approval that releases it."
)
class TaskRelease:
    required: bool = strawberry.field(
        description="The task needs an approved travel request before travel or check-in."
    )
    released: bool = strawberry.field(
        description="It may be started: no approval is required, or one is approved."
    )
    reason: str | None = strawberry.field(
        description="Why approval is required (the policy, or the distance); null when not."
    )
    distance_km: float | None = strawberry.field(
        description="Kilometres from the assigned technician's home base to the site; null "
        "without a technician or when no travel policy is set."
    )

    @classmethod
    def of(cls, release: policy.Release) -> TaskRelease:
        return cls(
            required=release.required,
            released=release.released,
            reason=release.reason,
            distance_km=release.distance_km,
        )


def release_loader(info: Info) -> DataLoader[int, TaskRelease]:
    """Every task of the operation in one batch: two queries however many tasks."""
    session = info.context.session

    async def load(task_ids: list[int]) -> list[TaskRelease]:
        return [TaskRelease.of(r) for r in await policy.releases(session, task_ids)]

    return info.context.loaders.custom("task.travel_release", load)


def request_loader(info: Info) -> DataLoader[int, TravelRequestType | None]:
    """Each task's newest travel request the caller may read, in one query."""
    session, principal = info.context.session, info.context.principal

    async def load(task_ids: list[int]) -> list[TravelRequestType | None]:
        rows = await repository.latest_for_tasks(session, principal, task_ids)
        return [TravelRequestType.from_model(r) if r else None for r in rows]

    return info.context.loaders.custom("task.travel_request", load)


@strawberry.type(
    name="TravelRequest",
    description=(
        "A technician's request for travel and a cash advance for one task: the trip, its "
        "estimated cost and the approver it requires, the decision, and the advance's payout "
        "and settlement against the technician's approved expense claims for the task."
    ),
)
class TravelRequestType(Node):
    reference: str = strawberry.field(description="Reference shown to people: TR-42.")
    status: TravelStatus = strawberry.field(  # type: ignore[valid-type]
        description="Pending approval, approved (the task is released), rejected or cancelled."
    )
    mode: TravelMode = strawberry.field(  # type: ignore[valid-type]
        description="How the technician travels."
    )
    origin: str = strawberry.field(description="Where the trip starts.")
    destination: str = strawberry.field(description="Where the trip goes.")
    departs_on: date = strawberry.field(description="Day of departure.")
    returns_on: date = strawberry.field(description="Day of return.")
    lodging_nights: int = strawberry.field(description="Nights of lodging needed (0: none).")
    estimated_cost: Money = strawberry.field(
        description="Travel and lodging together; it sets the approver."
    )
    advance: Money = strawberry.field(description="Cash advance asked for (0: none).")
    notes: str | None = strawberry.field(description="The requester's note; null if none.")
    approver_role: str | None = strawberry.field(
        description="Least role that may approve it (DISPATCHER, MANAGER or ADMIN); null when "
        "it was approved on its own under the policy's floor."
    )
    requested_by: str = strawberry.field(
        extensions=[internal()], description="Who raised it (user subject)."
    )
    decided_by: str | None = strawberry.field(
        extensions=[internal()],
        description="Who approved or rejected it (`system` under the floor); null while pending.",
    )
    decided_at: datetime | None = strawberry.field(
        description="When it was approved or rejected; null while pending."
    )
    decision_reason: str | None = strawberry.field(
        description="Why it was rejected or cancelled; null otherwise."
    )
    settlement_status: SettlementStatus = strawberry.field(  # type: ignore[valid-type]
        description="No advance, not paid out, paid out (awaiting claims) or settled."
    )
    advance_paid_at: datetime | None = strawberry.field(
        description="When a manager or admin recorded the advance paid out; null before."
    )
    advance_paid_by: str | None = strawberry.field(
        extensions=[internal()], description="Who recorded the payout; null before."
    )
    settled_at: datetime | None = strawberry.field(
        description="When the advance was settled; null before."
    )
    claimed: Money | None = strawberry.field(
        description="Approved expense claims for the task in the request's currency, when "
        "settled; null before."
    )
    balance: Money | None = strawberry.field(
        description="Claimed minus advanced, when settled: positive is owed to the technician, "
        "negative is recovered from them; null before."
    )
    version: int = strawberry.field(description="Optimistic-concurrency version.")
    created_at: datetime = strawberry.field(description="When it was raised.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    row: strawberry.Private[TravelRequest]

    @classmethod
    def from_model(cls, row: TravelRequest) -> TravelRequestType:
        assert row.id is not None
        currency = row.currency
        return cls(
            db_id=row.id,
            reference=reference(row),
            status=row.status,
            mode=row.mode,
            origin=row.origin,
            destination=row.destination,
            departs_on=row.departs_on,
            returns_on=row.returns_on,
            lodging_nights=row.lodging_nights,
            estimated_cost=Money(amount=row.estimated_cost, currency=currency),
            advance=Money(amount=row.advance_amount, currency=currency),
            notes=row.notes,
            approver_role=row.approver_role,
            requested_by=row.requested_by,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            decision_reason=row.decision_reason,
            settlement_status=row.settlement_status,
            advance_paid_at=row.advance_paid_at,
            advance_paid_by=row.advance_paid_by,
            settled_at=row.settled_at,
            claimed=Money.of(row.claimed_amount, currency),
            balance=Money.of(row.balance, currency),
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            row=row,
        )

    @strawberry.field(description="The task the travel is for.")
    async def task(
        self, info: Info
    ) -> Annotated[TaskType, strawberry.lazy("schema.work_orders")] | None:
        from schema.work_orders import TaskType

        row = await info.context.loaders.by_id(Task).load(self.row.task_id)
        return TaskType.from_model(row) if row else None

    @strawberry.field(description="The technician who travels.")
    async def technician(
        self, info: Info
    ) -> Annotated[TechnicianType, strawberry.lazy("schema.technicians")] | None:
        result: TechnicianType | None = await technician_of(info, self.row.technician_id)
        return result

    @strawberry.field(description="Whether the task is released for execution now.")
    async def release(self, info: Info) -> TaskRelease:
        return await release_loader(info).load(self.row.task_id)


TravelRequestConnection = Connection[TravelRequestType]


@strawberry.type(
    name="TravelPolicy",
    description=(
        "For one task type (or, without one, every other type): when its tasks need an "
        "approved travel request before they are released, and who approves one of a cost."
    ),
)
class TravelPolicyType:
    task_type: TaskKind | None = strawberry.field(  # type: ignore[valid-type]
        description="The task type; null for the default row."
    )
    requires_approval: bool = strawberry.field(
        description="Every task of the type needs an approved travel request."
    )
    approval_beyond_km: Decimal | None = strawberry.field(
        description="A task whose site lies farther than this many km from the technician's "
        "home base needs one; null: no distance rule."
    )
    auto_approve_below: Money = strawberry.field(
        description="Requests costing less are approved on their own."
    )
    dispatcher_limit: Money = strawberry.field(
        description="Up to this cost (inclusive) a dispatcher may approve."
    )
    manager_limit: Money | None = strawberry.field(
        description="Up to this cost a manager may, above it only an admin; null: no limit."
    )
    version: int = strawberry.field(description="Optimistic-concurrency version.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_model(cls, row: TravelPolicy) -> TravelPolicyType:
        return cls(
            task_type=row.task_type,
            requires_approval=row.requires_approval,
            approval_beyond_km=row.approval_beyond_km,
            auto_approve_below=Money(amount=row.auto_approve_below, currency=row.currency),
            dispatcher_limit=Money(amount=row.dispatcher_limit, currency=row.currency),
            manager_limit=Money.of(row.manager_limit, row.currency),
            version=row.version,
            updated_at=row.updated_at,
        )


@strawberry.input(description="Which travel requests to list.")
class TravelRequestFilter:
    status: list[TravelStatus] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only these statuses (at most 10); null or empty: all."
    )
    settlement_status: list[SettlementStatus] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only these advance states (at most 10); null or empty: all."
    )
    task_id: strawberry.ID | None = strawberry.field(default=None, description="Only this task.")
    technician_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this technician."
    )
    departs_from: date | None = strawberry.field(
        default=None, description="Departing on or after this day."
    )
    departs_to: date | None = strawberry.field(
        default=None, description="Departing on or before this day."
    )


@strawberry.input(description="Travel and a cash advance requested for a task.")
class RequestTravelInput:
    task_id: strawberry.ID = strawberry.field(
        description="The open task (a technician: one assigned to them)."
    )
    technician_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Staff: who travels; null: the task's technician. A technician: themselves.",
    )
    mode: TravelMode = strawberry.field(  # type: ignore[valid-type]
        description="How the technician travels."
    )
    origin: str = strawberry.field(description="Where the trip starts, 1 to 200 characters.")
    destination: str = strawberry.field(description="Where it goes, 1 to 200 characters.")
    departs_on: date = strawberry.field(description="Day of departure.")
    returns_on: date = strawberry.field(description="Day of return, at most 60 days later.")
    estimated_cost: Decimal = strawberry.field(
        description="Travel and lodging together, above 0 and at most 10,000,000, 2 decimals."
    )
    lodging_nights: int = strawberry.field(default=0, description="Nights of lodging, 0 to 60.")
    advance_amount: Decimal = strawberry.field(
        default=Decimal(0), description="Cash advance asked for, 0 up to the estimated cost."
    )
    currency: str = strawberry.field(
        default="INR", description="ISO 4217 code of both amounts (INR, USD, EUR, ...)."
    )
    notes: str | None = strawberry.field(default=None, description="At most 1,000 characters.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key returns the first result."
    )


@strawberry.input(description="Approve a pending travel request.")
class ApproveTravelRequestInput:
    request_id: strawberry.ID = strawberry.field(description="The pending request.")
    expected_version: int | None = strawberry.field(
        default=None, description="Refused with STALE_VERSION when the request moved on."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key returns the first result."
    )


@strawberry.input(description="Reject a pending travel request, or cancel an open one.")
class DecideTravelRequestInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    reason: str = strawberry.field(description="Why, 1 to 1,000 characters.")
    expected_version: int | None = strawberry.field(
        default=None, description="Refused with STALE_VERSION when the request moved on."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key returns the first result."
    )


@strawberry.input(description="A manager's or admin's step on a request's cash advance.")
class TravelAdvanceInput:
    request_id: strawberry.ID = strawberry.field(description="The approved request.")
    expected_version: int | None = strawberry.field(
        default=None, description="Refused with STALE_VERSION when the request moved on."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key returns the first result."
    )


@strawberry.input(description="Create or replace the travel policy of one task type.")
class SetTravelPolicyInput:
    task_type: TaskKind | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The task type; null: the default row."
    )
    requires_approval: bool = strawberry.field(
        default=False, description="Every task of the type needs an approved travel request."
    )
    approval_beyond_km: Decimal | None = strawberry.field(
        default=None,
        description="Or only beyond this many km from the technician's home base (0 to 20,000).",
    )
    currency: str = strawberry.field(default="INR", description="Currency of the amounts.")
    auto_approve_below: Decimal = strawberry.field(
        default=Decimal(0), description="Requests costing less are approved on their own."
    )
    dispatcher_limit: Decimal = strawberry.field(
        description="Up to this cost a dispatcher may approve."
    )
    manager_limit: Decimal | None = strawberry.field(
        default=None, description="Up to this cost a manager may; null: no upper limit."
    )
    expected_version: int | None = strawberry.field(
        default=None, description="Refused with STALE_VERSION when the policy moved on."
    )


@strawberry.type
class TravelRequestPayload(Payload):
    request: TravelRequestType | None = strawberry.field(
        default=None, description="The request as saved; null when the change failed."
    )


@strawberry.type
class TravelPolicyPayload(Payload):
    policy: TravelPolicyType | None = strawberry.field(
        default=None, description="The policy as saved; null when the change failed."
    )
