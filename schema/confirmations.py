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


@strawberry.type(name="ConfirmationCall")
class ConfirmationCallType(Node):
    purpose: CallPurpose  # type: ignore[valid-type]
    mode: CallMode  # type: ignore[valid-type]
    status: CallStatus  # type: ignore[valid-type]
    queued_at: datetime
    assignee: str | None
    outcome: str | None
    notes: str | None
    closed_at: datetime | None
    task_db_id: strawberry.Private[int]
    confirmation_db_id: strawberry.Private[int]

    @strawberry.field
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


@strawberry.type(name="RetentionCase")
class RetentionCaseType(Node):
    sales_channel: str
    reason_kind: RetentionReason  # type: ignore[valid-type]
    reason: str
    status: RetentionStatus  # type: ignore[valid-type]
    assignee: str | None
    notes: str | None
    created_at: datetime
    closed_at: datetime | None
    task_db_id: strawberry.Private[int]
    customer_db_id: strawberry.Private[int]

    @strawberry.field
    async def task(self, info: Info) -> TaskType | None:
        return await _task(info, self.task_db_id)

    @strawberry.field
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


@strawberry.type
class ConfirmationChannelReport:
    """Confirmations requested in the period, per sales channel of the order."""

    sales_channel: str
    requested: int
    confirmed: int
    rejected: int
    silent: int = strawberry.field(description="Reached the sales channel unanswered.")
    recovered: int = strawberry.field(description="Confirmed after the message went unanswered.")
    pending: int

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


@strawberry.input
class RecordCallOutcomeInput:
    call_id: strawberry.ID
    outcome: CallOutcome  # type: ignore[valid-type]
    notes: str | None = None
    reason: str | None = None


@strawberry.input
class ResolveRetentionCaseInput:
    case_id: strawberry.ID
    status: RetentionStatus  # type: ignore[valid-type]
    notes: str | None = None


@strawberry.type
class RecordCallOutcomePayload(Payload):
    call: ConfirmationCallType | None = None


@strawberry.type
class RetentionCasePayload(Payload):
    retention_case: RetentionCaseType | None = None
