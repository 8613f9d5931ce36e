"""The confirmation ladder: a message with reply options, then a call, then the sales channel;
rejections and silence open retention cases."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.models import enum_type, fk, id_field, timestamp


class ConfirmationStatus(StrEnum):
    """Where the appointment-confirmation ladder stands for a visit."""

    AWAITING_REPLY = "AWAITING_REPLY"
    """A confirmation message was sent; waiting for the customer's reply."""
    CALL_QUEUED = "CALL_QUEUED"
    """No reply in time: a call to the customer is queued."""
    CONFIRMED = "CONFIRMED"
    """The customer confirmed the appointment."""
    REJECTED = "REJECTED"
    """The customer said they do not want the visit."""
    RESCHEDULE_REQUESTED = "RESCHEDULE_REQUESTED"
    """The customer asked for another time."""
    RETURNED_TO_SALES = "RETURNED_TO_SALES"
    """No answer after every step of the ladder: handed to the retention team."""
    SUPERSEDED = "SUPERSEDED"
    """The appointment moved on (confirmed elsewhere, rescheduled, started or cancelled)."""


OPEN_CONFIRMATION = (
    ConfirmationStatus.AWAITING_REPLY,
    ConfirmationStatus.CALL_QUEUED,
    ConfirmationStatus.RETURNED_TO_SALES,
    ConfirmationStatus.RESCHEDULE_REQUESTED,
)
"""Still answerable: a late reply or a sales agent's call recovers the appointment."""


class ConfirmationStage(StrEnum):
    MESSAGE = "MESSAGE"
    CALL = "CALL"
    SALES = "SALES"


class Answer(StrEnum):
    CONFIRM = "CONFIRM"
    REJECT = "REJECT"
    RESCHEDULE = "RESCHEDULE"


class Confirmation(SQLModel, table=True):
    """One appointment put to the customer for confirmation."""

    __tablename__ = "confirmations"
    __table_args__ = (sa.Index("ix_confirmations_open", "status", "requested_at"),)

    id: int | None = id_field()
    task_id: int = fk("tasks.id")
    status: ConfirmationStatus = Field(
        default=ConfirmationStatus.AWAITING_REPLY, sa_type=enum_type(ConfirmationStatus, 24)
    )
    stage: ConfirmationStage = Field(
        default=ConfirmationStage.MESSAGE, sa_type=enum_type(ConfirmationStage, 16)
    )
    message_key: str = Field(max_length=120, index=True)
    """The idempotency key of the confirmation request message (replies refer to it)."""
    requested_at: datetime = timestamp()
    stage_at: datetime = timestamp()
    answer: Answer | None = Field(default=None, sa_type=enum_type(Answer, 16))
    answered_at: datetime | None = timestamp(nullable=True, default_now=False)
    answered_via: str | None = Field(default=None, max_length=40)
    reply_text: str | None = Field(default=None, max_length=1000)
    reason: str | None = Field(default=None, max_length=500)
    recovered: bool = False
    """Confirmed only after the message went unanswered (by the call or the sales channel)."""


class CallStatus(StrEnum):
    """Where a call in the call queue stands."""

    QUEUED = "QUEUED"
    """Waiting for an agent or the voice provider."""
    IN_PROGRESS = "IN_PROGRESS"
    """Being made now."""
    ANSWERED = "ANSWERED"
    """The customer answered; the outcome is recorded."""
    NO_ANSWER = "NO_ANSWER"
    """Nobody answered."""
    CANCELLED = "CANCELLED"
    """No longer needed (the appointment moved on)."""


class CallMode(StrEnum):
    """Who makes a confirmation call."""

    AGENT = "AGENT"
    """A person in the call centre."""
    AI_VOICE = "AI_VOICE"
    """An AI voice provider."""


class CallPurpose(StrEnum):
    """What a confirmation call is for."""

    CONFIRM = "CONFIRM"
    """Confirm the appointment."""
    RESCHEDULE = "RESCHEDULE"
    """Agree a new time the customer asked for."""


class ConfirmationCall(SQLModel, table=True):
    """A voice-call task in the call queue: an agent's or an AI voice provider's."""

    __tablename__ = "confirmation_calls"
    __table_args__ = (sa.Index("ix_confirmation_calls_queue", "status", "queued_at"),)

    id: int | None = id_field()
    confirmation_id: int = fk("confirmations.id")
    task_id: int = fk("tasks.id")
    purpose: CallPurpose = Field(default=CallPurpose.CONFIRM, sa_type=enum_type(CallPurpose, 16))
    mode: CallMode = Field(default=CallMode.AGENT, sa_type=enum_type(CallMode, 16))
    status: CallStatus = Field(default=CallStatus.QUEUED, sa_type=enum_type(CallStatus, 16))
    queued_at: datetime = timestamp()
    assignee: str | None = Field(default=None, max_length=200)
    claimed_at: datetime | None = timestamp(nullable=True, default_now=False)
    closed_at: datetime | None = timestamp(nullable=True, default_now=False)
    outcome: str | None = Field(default=None, max_length=40)
    notes: str | None = Field(default=None, max_length=1000)


class RetentionReason(StrEnum):
    """Why a customer went to the retention team."""

    REJECTED = "REJECTED"
    """They refused the visit."""
    SILENT = "SILENT"
    """They never answered the confirmation ladder."""


class RetentionStatus(StrEnum):
    """Where a retention case stands."""

    OPEN = "OPEN"
    """The retention team is on it."""
    WON_BACK = "WON_BACK"
    """The customer agreed to a visit after all."""
    LOST = "LOST"
    """The customer is not coming back for this job."""


class RetentionCase(SQLModel, table=True):
    """A customer who refused or never answered, for the retention team."""

    __tablename__ = "retention_cases"

    id: int | None = id_field()
    confirmation_id: int = fk("confirmations.id")
    task_id: int = fk("tasks.id")
    customer_id: int = fk("customers.id")
    sales_channel: str = Field(max_length=24, index=True)
    reason_kind: RetentionReason = Field(sa_type=enum_type(RetentionReason, 16))
    reason: str = Field(default="", max_length=500)
    status: RetentionStatus = Field(
        default=RetentionStatus.OPEN, sa_type=enum_type(RetentionStatus, 16), index=True
    )
    assignee: str | None = Field(default=None, max_length=200)
    created_at: datetime = timestamp()
    closed_at: datetime | None = timestamp(nullable=True, default_now=False)
    notes: str | None = Field(default=None, max_length=1000)
