"""Outbound webhooks for partners and CRMs: subscriptions, the event outbox and deliveries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import field_validator
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field, timestamp

EVENT_TYPES = frozenset(
    {
        "task.created",
        "task.scheduled",
        "task.dispatched",
        "task.accepted",
        "task.en_route",
        "task.on_site",
        "task.in_progress",
        "task.completed",
        "task.incomplete",
        "task.cancelled",
        "task.status_changed",
        "confirmation.answered",
        "service_request.created",
        "ping",
    }
)


class SubscriptionBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=8, max_length=2000)
    event_types: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(ARRAY(sa.String(60)), nullable=False, server_default="{}"),
    )
    active: bool = True


class WebhookSubscription(SubscriptionBase, Audited, table=True):
    __tablename__ = "webhook_subscriptions"

    id: int | None = id_field()
    partner_id: int | None = fk("partners.id", nullable=True)
    """None: the organisation's own integration (a CRM); else a partner's, scoped to its work."""
    secret: str = Field(max_length=100)


def _check_types(types: list[str]) -> list[str]:
    unknown = sorted(set(types) - EVENT_TYPES)
    if unknown:
        raise ValueError(f"unknown event types: {', '.join(unknown)}")
    if not types:
        raise ValueError("subscribe to at least one event type")
    return sorted(set(types))


def _check_url(url: str) -> str:
    if not url.startswith(("https://", "http://")):
        raise ValueError("the URL must be http(s)")
    return url


class SubscriptionCreate(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=8, max_length=2000)
    event_types: list[str]
    partner_id: int | None = None

    _types = field_validator("event_types")(_check_types)
    _url = field_validator("url")(_check_url)


class SubscriptionUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    url: str | None = Field(default=None, min_length=8, max_length=2000)
    event_types: list[str] | None = None
    active: bool | None = None

    @field_validator("event_types")
    @classmethod
    def _types(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _check_types(value)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value)


class WebhookEvent(SQLModel, table=True):
    """A domain event recorded for partners in the transaction that caused it; a job fans it
    out to the subscriptions that want it."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        sa.Index("ix_webhook_events_pending", "id", postgresql_where="fanned_out_at IS NULL"),
    )

    id: int | None = id_field()
    event_type: str = Field(max_length=60)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(JSONB, nullable=False))
    occurred_at: datetime = timestamp()
    fanned_out_at: datetime | None = timestamp(nullable=True, default_now=False)


class DeliveryStatus(StrEnum):
    """Where a webhook delivery stands."""

    PENDING = "PENDING"
    """Queued to be sent."""
    SENDING = "SENDING"
    """Being posted now."""
    RETRYING = "RETRYING"
    """The receiver failed; it will be posted again with backoff."""
    DELIVERED = "DELIVERED"
    """The receiver answered 2xx."""
    DEAD = "DEAD"
    """Gave up after every retry."""


class WebhookDelivery(SQLModel, table=True):
    """One event sent to one subscription: the delivery log a subscriber can read."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where="status IN ('PENDING', 'RETRYING', 'SENDING')",
        ),
        sa.UniqueConstraint("subscription_id", "event_id"),
    )

    id: int | None = id_field()
    subscription_id: int = fk("webhook_subscriptions.id")
    event_id: int | None = fk("webhook_events.id", nullable=True)
    delivery_id: str = Field(max_length=60, sa_column_kwargs={"unique": True})
    event_type: str = Field(max_length=60)
    payload: dict[str, Any] = Field(sa_column=sa.Column(JSONB, nullable=False))
    status: DeliveryStatus = Field(
        default=DeliveryStatus.PENDING, sa_type=enum_type(DeliveryStatus, 16)
    )
    attempts: int = 0
    next_attempt_at: datetime = timestamp()
    lease_until: datetime | None = timestamp(nullable=True, default_now=False)
    response_status: int | None = None
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = timestamp()
    delivered_at: datetime | None = timestamp(nullable=True, default_now=False)
