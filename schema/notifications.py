"""GraphQL types of customer communication: the inbox, the outbox, templates, preferences
and providers."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import strawberry
from strawberry.scalars import JSON

from app.customers.models import Customer
from app.notifications import models
from app.work_orders.models import Task
from schema.context import Info
from schema.customers import CustomerType
from schema.errors import Payload
from schema.node import Node
from schema.pagination import Connection
from schema.permissions import not_for_customers
from schema.work_orders import TaskType

NotificationEvent = strawberry.enum(models.NotificationEvent, name="NotificationEvent")
NotificationChannel = strawberry.enum(models.Channel, name="NotificationChannel")
NotificationStatus = strawberry.enum(models.NotificationStatus, name="NotificationStatus")

SECRET_KEYS = frozenset({"password", "auth_value", "secret", "token", "api_key"})


@strawberry.type(name="Notification")
class NotificationType(Node):
    event: NotificationEvent  # type: ignore[valid-type]
    channel: NotificationChannel | None  # type: ignore[valid-type]
    status: NotificationStatus  # type: ignore[valid-type]
    subject: str | None
    body: str | None
    language: str | None
    address: str | None
    attempts: int
    last_error: str | None = strawberry.field(extensions=[not_for_customers()])
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    task_db_id: strawberry.Private[int | None]
    customer_db_id: strawberry.Private[int | None]

    @strawberry.field
    def read(self) -> bool:
        return self.read_at is not None

    @strawberry.field
    async def task(self, info: Info) -> TaskType | None:
        if self.task_db_id is None:
            return None
        row = await info.context.loaders.by_id(Task).load(self.task_db_id)
        return None if row is None else TaskType.from_model(row)

    @strawberry.field
    async def customer(self, info: Info) -> CustomerType | None:
        if self.customer_db_id is None:
            return None
        row = await info.context.loaders.by_id(Customer).load(self.customer_db_id)
        return None if row is None else CustomerType.from_model(row)

    @classmethod
    def from_model(cls, row: models.Notification) -> NotificationType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            event=row.event,
            channel=row.channel,
            status=row.status,
            subject=row.subject,
            body=row.body,
            language=row.language,
            address=row.address,
            attempts=row.attempts,
            last_error=row.last_error,
            next_attempt_at=row.next_attempt_at,
            created_at=row.created_at,
            sent_at=row.sent_at,
            delivered_at=row.delivered_at,
            read_at=row.read_at,
            task_db_id=row.task_id,
            customer_db_id=row.customer_id,
        )


NotificationConnection = Connection[NotificationType]


@strawberry.type(name="NotificationTemplate")
class NotificationTemplateType(Node):
    event: NotificationEvent  # type: ignore[valid-type]
    channel: NotificationChannel | None  # type: ignore[valid-type]
    language: str
    subject: str | None
    body: str
    version: int
    updated_at: datetime

    @classmethod
    def from_model(cls, row: models.NotificationTemplate) -> NotificationTemplateType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            event=row.event,
            channel=row.channel,
            language=row.language,
            subject=row.subject,
            body=row.body,
            version=row.version,
            updated_at=row.updated_at,
        )


NotificationTemplateConnection = Connection[NotificationTemplateType]


def masked(config: dict[str, Any]) -> dict[str, Any]:
    """Provider settings as shown back: secrets are never returned."""
    return {key: "********" if key in SECRET_KEYS else value for key, value in config.items()}


@strawberry.type(name="NotificationProvider")
class NotificationProviderType(Node):
    channel: NotificationChannel  # type: ignore[valid-type]
    active: bool
    config: JSON = strawberry.field(description="Settings with secrets masked.")
    version: int
    updated_at: datetime

    @classmethod
    def from_model(cls, row: models.NotificationProvider) -> NotificationProviderType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            channel=row.channel,
            active=row.active,
            config=JSON(masked(row.config)),
            version=row.version,
            updated_at=row.updated_at,
        )


@strawberry.type(name="NotificationPreferences")
class NotificationPreferencesType:
    customer_id: strawberry.ID
    channel_order: list[NotificationChannel]  # type: ignore[valid-type]
    language: str | None
    quiet_start: time | None
    quiet_end: time | None
    muted_events: list[NotificationEvent]  # type: ignore[valid-type]
    version: int | None = strawberry.field(description="None until first saved.")

    @classmethod
    def from_model(
        cls, global_customer_id: str, row: models.NotificationPreference | None
    ) -> NotificationPreferencesType:
        if row is None:
            return cls(
                customer_id=strawberry.ID(global_customer_id),
                channel_order=[],
                language=None,
                quiet_start=None,
                quiet_end=None,
                muted_events=[],
                version=None,
            )
        return cls(
            customer_id=strawberry.ID(global_customer_id),
            channel_order=[models.Channel(c) for c in row.channel_order],
            language=row.language,
            quiet_start=row.quiet_start,
            quiet_end=row.quiet_end,
            muted_events=[models.NotificationEvent(e) for e in row.muted_events],
            version=row.version,
        )


@strawberry.input
class MarkNotificationsReadInput:
    ids: list[strawberry.ID]


@strawberry.input
class UpdateNotificationPreferencesInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Agents name the customer; a customer edits their own."
    )
    expected_version: int | None = None
    channel_order: list[NotificationChannel] | None = strawberry.UNSET  # type: ignore[valid-type]
    language: str | None = strawberry.UNSET
    quiet_start: time | None = strawberry.UNSET
    quiet_end: time | None = strawberry.UNSET
    muted_events: list[NotificationEvent] | None = strawberry.UNSET  # type: ignore[valid-type]


@strawberry.input
class CreateNotificationTemplateInput:
    event: NotificationEvent  # type: ignore[valid-type]
    body: str
    channel: NotificationChannel | None = None  # type: ignore[valid-type]
    language: str = "en"
    subject: str | None = None


@strawberry.input
class UpdateNotificationTemplateInput:
    id: strawberry.ID
    expected_version: int | None = None
    subject: str | None = strawberry.UNSET
    body: str | None = strawberry.UNSET


@strawberry.input
class ConfigureNotificationProviderInput:
    channel: NotificationChannel  # type: ignore[valid-type]
    config: JSON
    active: bool = True


@strawberry.input
class RequeueNotificationInput:
    id: strawberry.ID


@strawberry.type
class MarkNotificationsReadPayload(Payload):
    notifications: list[NotificationType] | None = None


@strawberry.type
class NotificationPayload(Payload):
    notification: NotificationType | None = None


@strawberry.type
class NotificationPreferencesPayload(Payload):
    preferences: NotificationPreferencesType | None = None


@strawberry.type
class NotificationTemplatePayload(Payload):
    template: NotificationTemplateType | None = None


@strawberry.type
class NotificationProviderPayload(Payload):
    provider: NotificationProviderType | None = None
