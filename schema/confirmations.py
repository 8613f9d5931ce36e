"""GraphQL types of the confirmation ladder: the call queue, retention cases and the report."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import strawberry

from app.confirmations import models
from app.confirmations.service import ChannelCounts
from app.customers.models import Customer
from app.work_orders.models import Task
from schema.context import Info
from schema.customers import CustomerType
from schema.errors import Payload
from schema.node import Node
from schema.pagination import Connection
from schema.work_orders import TaskType

CallStatus = strawberry.enum(models.CallStatus, name="CallStatus")
CallMode = strawberry.enum(models.CallMode, name="CallMode")
CallPurpose = strawberry.enum(models.CallPurpose, name="CallPurpose")
ConfirmationStatus = strawberry.enum(models.ConfirmationStatus, name="ConfirmationStatus")
RetentionReason = strawberry.enum(models.RetentionReason, name="RetentionReason")
RetentionStatus = strawberry.enum(models.RetentionStatus, name="RetentionStatus")


class CallOutcomeValue(StrEnum):
    """What came of a confirmation call."""

    CONFIRM = "CONFIRM"
    """The customer confirmed."""
    REJECT = "REJECT"
    """The customer does not want the visit."""
    RESCHEDULE = "RESCHEDULE"
    """The customer wants another time."""
    NO_ANSWER = "NO_ANSWER"
    """Nobody answered."""


CallOutcome = strawberry.enum(CallOutcomeValue, name="CallOutcome")


async def _task(info: Info, task_id: int) -> TaskType | None:
    row = await info.context.loaders.by_id(Task).load(task_id)
    return None if row is None else TaskType.from_model(row)


async def _confirmation(info: Info, confirmation_id: int) -> models.Confirmation | None:
    return await info.context.loaders.by_id(models.Confirmation).load(confirmation_id)


@strawberry.type(
    name="ConfirmationCall",
    description="A call in the confirmation call queue, made by an agent or an AI voice provider.",
)
class ConfirmationCallType(Node):
    purpose: CallPurpose = strawberry.field(  # type: ignore[valid-type]
        description="Whether the call confirms the appointment or agrees a new time."
    )
    mode: CallMode = strawberry.field(  # type: ignore[valid-type]
        description="Who makes the call: an agent or the AI voice provider."
    )
    status: CallStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where the call stands; QUEUED and IN_PROGRESS are still open."
    )
    queued_at: datetime = strawberry.field(description="When the call was queued (UTC).")
    assignee: str | None = strawberry.field(
        description="User id of the agent who recorded the outcome; null until then."
    )
    outcome: str | None = strawberry.field(
        description="Result once closed: CONFIRM, REJECT, RESCHEDULE or NO_ANSWER; null while open."
    )
    notes: str | None = strawberry.field(description="The agent's notes on the call; null if none.")
    closed_at: datetime | None = strawberry.field(
        description="When the call was closed (UTC); null while it is open."
    )
    task_db_id: strawberry.Private[int]
    confirmation_db_id: strawberry.Private[int]

    @strawberry.field(description="The visit whose appointment the call is about.")
    async def task(self, info: Info) -> TaskType | None:
        return await _task(info, self.task_db_id)

    @strawberry.field(description="Where the ladder stands for this appointment.")
    async def confirmation_status(self, info: Info) -> ConfirmationStatus | None:  # type: ignore[valid-type]
        row = await _confirmation(info, self.confirmation_db_id)
        return None if row is None else row.status

    @classmethod
    def from_model(cls, row: models.ConfirmationCall) -> ConfirmationCallType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            purpose=row.purpose,
            mode=row.mode,
            status=row.status,
            queued_at=row.queued_at,
            assignee=row.assignee,
            outcome=row.outcome,
            notes=row.notes,
            closed_at=row.closed_at,
            task_db_id=row.task_id,
            confirmation_db_id=row.confirmation_id,
        )


ConfirmationCallConnection = Connection[ConfirmationCallType]


@strawberry.type(
    name="RetentionCase",
    description=(
        "A customer who refused a visit or never answered its confirmation, for the retention team."
    ),
)
class RetentionCaseType(Node):
    sales_channel: str = strawberry.field(
        description=(
            "Channel the request came in by (e.g. PHONE, WEB, API), or DIRECT for a task without a"
            " request."
        )
    )
    reason_kind: RetentionReason = strawberry.field(  # type: ignore[valid-type]
        description="Whether the customer refused or stayed silent."
    )
    reason: str = strawberry.field(description="The customer's reason as recorded; may be empty.")
    status: RetentionStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where the case stands."
    )
    assignee: str | None = strawberry.field(
        description="User id of the agent who resolved the case; null while open."
    )
    notes: str | None = strawberry.field(description="The resolving agent's notes; null if none.")
    created_at: datetime
    closed_at: datetime | None = strawberry.field(
        description="When the case was resolved (UTC); null while open."
    )
    task_db_id: strawberry.Private[int]
    customer_db_id: strawberry.Private[int]

    @strawberry.field(description="The visit the customer refused or did not confirm.")
    async def task(self, info: Info) -> TaskType | None:
        return await _task(info, self.task_db_id)

    @strawberry.field(description="The customer to win back.")
    async def customer(self, info: Info) -> CustomerType | None:
        row = await info.context.loaders.by_id(Customer).load(self.customer_db_id)
        return None if row is None else CustomerType.from_model(row)

    @classmethod
    def from_model(cls, row: models.RetentionCase) -> RetentionCaseType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            sales_channel=row.sales_channel,
            reason_kind=row.reason_kind,
            reason=row.reason,
            status=row.status,
            assignee=row.assignee,
            notes=row.notes,
            created_at=row.created_at,
            closed_at=row.closed_at,
            task_db_id=row.task_id,
            customer_db_id=row.customer_id,
        )


RetentionCaseConnection = Connection[RetentionCaseType]


@strawberry.type(
    description="Confirmations requested in the period, per sales channel of the order."
)
class ConfirmationChannelReport:
    """Confirmations requested in the period, per sales channel of the order."""

    sales_channel: str = strawberry.field(
        description=(
            "Channel the requests came in by (e.g. PHONE, WEB), or DIRECT for tasks without a "
            "request."
        )
    )
    requested: int = strawberry.field(
        description="Confirmations requested in the period, superseded ones excluded."
    )
    confirmed: int = strawberry.field(description="Confirmed by the customer at any step.")
    rejected: int = strawberry.field(description="Refused by the customer.")
    silent: int = strawberry.field(description="Reached the sales channel unanswered.")
    recovered: int = strawberry.field(description="Confirmed after the message went unanswered.")
    pending: int = strawberry.field(
        description="Still waiting for a reply to the message or for the call."
    )

    @classmethod
    def from_counts(cls, row: ChannelCounts) -> ConfirmationChannelReport:
        return cls(
            sales_channel=row.sales_channel,
            requested=row.requested,
            confirmed=row.confirmed,
            rejected=row.rejected,
            silent=row.silent,
            recovered=row.recovered,
            pending=row.pending,
        )


@strawberry.input(description="The result of an open call in the queue.")
class RecordCallOutcomeInput:
    call_id: strawberry.ID
    outcome: CallOutcome = strawberry.field(  # type: ignore[valid-type]
        description="What the customer said, or NO_ANSWER."
    )
    notes: str | None = strawberry.field(
        default=None, description="The agent's notes on the call (up to 1,000 characters)."
    )
    reason: str | None = strawberry.field(
        default=None, description="The customer's reason, for a rejection (up to 500 characters)."
    )


@strawberry.input(description="How an open retention case ended.")
class ResolveRetentionCaseInput:
    case_id: strawberry.ID
    status: RetentionStatus = strawberry.field(  # type: ignore[valid-type]
        description="WON_BACK or LOST; OPEN is refused."
    )
    notes: str | None = strawberry.field(
        default=None, description="The agent's notes (up to 1,000 characters)."
    )


@strawberry.type
class RecordCallOutcomePayload(Payload):
    call: ConfirmationCallType | None = strawberry.field(
        default=None, description="The call after the outcome; null if it failed."
    )


@strawberry.type
class RetentionCasePayload(Payload):
    retention_case: RetentionCaseType | None = strawberry.field(
        default=None, description="The case after the change; null if it failed."
    )
