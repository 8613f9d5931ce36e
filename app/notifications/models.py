"""Customer communication: the notification outbox, templates, preferences and providers."""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import field_validator
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field, timestamp
from app.customers.models import LanguageTag


class NotificationEvent(StrEnum):
    """What a customer notification is about."""

    REQUEST_RECEIVED = "REQUEST_RECEIVED"
    """A service request was received."""
    APPOINTMENT_SCHEDULED = "APPOINTMENT_SCHEDULED"
    """The visit has a time and a technician."""
    CONFIRMATION_REQUEST = "CONFIRMATION_REQUEST"
    """Please confirm the appointment (the confirmation ladder)."""
    REMINDER = "REMINDER"
    """The visit is coming up."""
    ON_THE_WAY = "ON_THE_WAY"
    """The technician has set off."""
    VICINITY = "VICINITY"
    """The technician is close."""
    RUNNING_LATE = "RUNNING_LATE"
    """The technician will arrive after the window."""
    TECHNICIAN_ARRIVED = "TECHNICIAN_ARRIVED"
    """The technician checked in on site."""
    ESTIMATE_TO_APPROVE = "ESTIMATE_TO_APPROVE"
    """An estimate waits for the customer's approval."""
    COMPLETED = "COMPLETED"
    """The work is done."""
    INVOICE_READY = "INVOICE_READY"
    """An invoice was issued."""
    PAYMENT_LINK = "PAYMENT_LINK"
    """A link to pay online."""
    SURVEY = "SURVEY"
    """How did we do? (a rating link)"""
    CONTRACT_OFFER = "CONTRACT_OFFER"
    """A contract or renewal offer, with a link to accept or decline it."""
    CONTRACT_OFFER_REMINDER = "CONTRACT_OFFER_REMINDER"
    """The contract ends soon and its renewal offer is still unanswered."""
    CONTRACT_OFFER_ANSWERED = "CONTRACT_OFFER_ANSWERED"
    """The customer's answer to a contract offer is recorded (or their order confirmed)."""
    REPLACEMENT_APPROVED = "REPLACEMENT_APPROVED"
    """A unit is replaced under warranty: the new serial and its warranty."""
    REPLACEMENT_REJECTED = "REPLACEMENT_REJECTED"
    """A replacement under warranty was refused, and why."""
    REPAIR_UPDATE = "REPAIR_UPDATE"
    """A depot repair order reached a step the customer hears about (received, estimate,
    ready, returned...)."""
    CONVERSATION_MESSAGE = "CONVERSATION_MESSAGE"
    """Someone from the service desk answered in the customer's conversation."""


URGENT_EVENTS = frozenset(
    {
        NotificationEvent.ON_THE_WAY,
        NotificationEvent.VICINITY,
        NotificationEvent.RUNNING_LATE,
        NotificationEvent.TECHNICIAN_ARRIVED,
    }
)
"""Time-critical news that is sent even in the customer's quiet hours."""


class Channel(StrEnum):
    """How a notification reaches its recipient."""

    IN_APP = "IN_APP"
    """In the customer or technician app (myNotifications)."""
    EMAIL = "EMAIL"
    """Email."""
    SMS = "SMS"
    """Text message."""
    WHATSAPP = "WHATSAPP"
    """WhatsApp message."""
    VOICE = "VOICE"
    """Automated voice call."""
    PUSH = "PUSH"
    """Push notification to the phone."""


MESSAGING_CHANNELS = (Channel.WHATSAPP, Channel.SMS, Channel.EMAIL, Channel.PUSH, Channel.IN_APP)
"""Channels a customer can answer a confirmation request on, in the default order."""


class NotificationStatus(StrEnum):
    """Where a notification stands on its way to the recipient."""

    PENDING = "PENDING"
    """Queued to be sent."""
    SENDING = "SENDING"
    """Handed to the provider now."""
    RETRYING = "RETRYING"
    """A send failed; it will be tried again."""
    SENT = "SENT"
    """Accepted by the provider."""
    DELIVERED = "DELIVERED"
    """The provider reports it delivered."""
    READ = "READ"
    """The recipient read it."""
    FAILED = "FAILED"
    """The provider refused it for good."""
    DEAD = "DEAD"
    """Gave up after every retry."""
    SKIPPED = "SKIPPED"
    """Not sent: the recipient opted out, or quiet hours and no later time."""


DUE_STATUSES = (NotificationStatus.PENDING, NotificationStatus.RETRYING)


class Notification(SQLModel, table=True):
    """One notification intent, written in the transaction of the change that causes it and
    delivered by a worker at least once; `idempotency_key` travels to the provider."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index(
            "ix_notifications_due",
            "next_attempt_at",
            postgresql_where="status IN ('PENDING', 'RETRYING', 'SENDING')",
        ),
        sa.Index("ix_notifications_customer_inbox", "customer_id", "id"),
        sa.Index("ix_notifications_technician_inbox", "technician_id", "id"),
    )

    id: int | None = id_field()
    event: NotificationEvent = Field(sa_type=enum_type(NotificationEvent, 32))
    idempotency_key: str = Field(max_length=120, sa_column_kwargs={"unique": True})
    customer_id: int | None = fk("customers.id", nullable=True)
    technician_id: int | None = fk("technicians.id", nullable=True)
    task_id: int | None = fk("tasks.id", nullable=True)
    data: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(JSONB, nullable=False, server_default="{}")
    )
    channel: Channel | None = Field(default=None, sa_type=enum_type(Channel, 16))
    """Set by the intent to force a channel; otherwise chosen from preferences on delivery."""
    address: str | None = Field(default=None, max_length=320)
    language: str | None = Field(default=None, max_length=16)
    subject: str | None = Field(default=None, max_length=300)
    body: str | None = Field(default=None, sa_type=sa.Text)
    status: NotificationStatus = Field(
        default=NotificationStatus.PENDING, sa_type=enum_type(NotificationStatus, 16)
    )
    attempts: int = 0
    next_attempt_at: datetime = timestamp()
    lease_until: datetime | None = timestamp(nullable=True, default_now=False)
    last_error: str | None = Field(default=None, max_length=1000)
    provider_message_id: str | None = Field(default=None, max_length=200, index=True)
    created_at: datetime = timestamp()
    sent_at: datetime | None = timestamp(nullable=True, default_now=False)
    delivered_at: datetime | None = timestamp(nullable=True, default_now=False)
    read_at: datetime | None = timestamp(nullable=True, default_now=False)


class TemplateBase(SQLModel):
    event: NotificationEvent = Field(sa_type=enum_type(NotificationEvent, 32))
    channel: Channel | None = Field(default=None, sa_type=enum_type(Channel, 16))
    """None: the template for every channel without one of its own."""
    language: str = Field(default="en", min_length=2, max_length=16)
    subject: str | None = Field(default=None, max_length=300)
    body: str = Field(min_length=1, max_length=4000, sa_type=sa.Text)


class NotificationTemplate(TemplateBase, Audited, table=True):
    """Text per event, channel and language; `${name}` placeholders, nothing executable."""

    __tablename__ = "notification_templates"
    __table_args__ = (
        sa.Index(
            "uq_notification_templates_key",
            "event",
            sa.text("coalesce(channel, '')"),
            "language",
            unique=True,
        ),
    )

    id: int | None = id_field()


class TemplateCreate(TemplateBase):
    @field_validator("language")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()


class TemplateUpdate(SQLModel):
    subject: str | None = Field(default=None, max_length=300)
    body: str | None = Field(default=None, min_length=1, max_length=4000)


class PreferenceBase(SQLModel):
    channel_order: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(ARRAY(sa.String(16)), nullable=False, server_default="{}"),
    )
    language: str | None = Field(default=None, max_length=16)
    quiet_start: time | None = None
    quiet_end: time | None = None
    muted_events: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(ARRAY(sa.String(32)), nullable=False, server_default="{}"),
    )


class NotificationPreference(PreferenceBase, Audited, table=True):
    """How one customer wants to hear from us; absent means the customer's own defaults."""

    __tablename__ = "notification_preferences"

    id: int | None = id_field()
    customer_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="customers.id", sa_column_kwargs={"unique": True}
    )


class PreferenceUpdate(SQLModel):
    channel_order: list[Channel] | None = None
    language: LanguageTag | None = None
    quiet_start: time | None = None
    quiet_end: time | None = None
    muted_events: list[NotificationEvent] | None = None


class NotificationProvider(Audited, table=True):
    """How one channel reaches people: SMTP settings for email, an HTTP provider (URL, auth
    header, JSON payload template) for SMS, WhatsApp, voice and push."""

    __tablename__ = "notification_providers"

    id: int | None = id_field()
    channel: Channel = Field(sa_type=enum_type(Channel, 16), sa_column_kwargs={"unique": True})
    active: bool = True
    config: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(JSONB, nullable=False, server_default="{}")
    )


class CommunicationPolicy(SQLModel, table=True):
    """A threshold of customer communication (retries, backoff, reminder lead, confirmation
    waits...), stored as data."""

    __tablename__ = "communication_policies"

    key: str = Field(primary_key=True, max_length=60)
    value: Any = Field(sa_column=sa.Column(JSONB, nullable=False))
    description: str = Field(default="", max_length=300)


class InboundReceipt(SQLModel, table=True):
    """A signed inbound call already accepted: a replay of it is refused."""

    __tablename__ = "inbound_receipts"
    __table_args__ = (sa.UniqueConstraint("source", "receipt_key"),)

    id: int | None = id_field()
    source: str = Field(max_length=40)
    receipt_key: str = Field(max_length=200)
    received_at: datetime = timestamp(index=True)
