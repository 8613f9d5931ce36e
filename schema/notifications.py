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


@strawberry.type(
    name="Notification",
    description=(
        "One message to a customer or technician about an event, on one channel, with its delivery"
        " state."
    ),
)
class NotificationType(Node):
    event: NotificationEvent = strawberry.field(  # type: ignore[valid-type]
        description="What the notification is about."
    )
    channel: NotificationChannel | None = strawberry.field(  # type: ignore[valid-type]
        description=(
            "Channel it goes out on; null until chosen at delivery from the customer's preferences."
        )
    )
    status: NotificationStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where it stands on its way to the recipient."
    )
    subject: str | None = strawberry.field(
        description=(
            "Rendered subject line (email-style channels); null if the template has none or it is "
            "not rendered yet."
        )
    )
    body: str | None = strawberry.field(
        description="Rendered message text; null until rendered at delivery."
    )
    language: str | None = strawberry.field(
        description="Language tag of the template used (e.g. `en`, `hi`); null until rendered."
    )
    address: str | None = strawberry.field(
        description=(
            "Where it was sent on its channel: email address, phone number, or an app inbox; null "
            "until chosen."
        )
    )
    attempts: int = strawberry.field(description="Send attempts made so far.")
    last_error: str | None = strawberry.field(
        extensions=[not_for_customers()],
        description=(
            "Why the last attempt failed, or why it was skipped or given up; null when "
            "there is no error."
        ),
    )
    next_attempt_at: datetime = strawberry.field(
        description=(
            "When the next send is due (after a retry backoff or the customer's quiet hours)."
        )
    )
    created_at: datetime
    sent_at: datetime | None = strawberry.field(
        description="When the provider accepted it; null if not sent yet."
    )
    delivered_at: datetime | None = strawberry.field(
        description="When the provider reported it delivered; null if not reported."
    )
    read_at: datetime | None = strawberry.field(
        description=(
            "When the recipient read it (in the app or per the provider); null while unread."
        )
    )
    task_db_id: strawberry.Private[int | None]
    customer_db_id: strawberry.Private[int | None]

    @strawberry.field(description="Whether the recipient has read it (`readAt` is set).")
    def read(self) -> bool:
        return self.read_at is not None

    @strawberry.field(description="The task it is about; null if it concerns no task.")
    async def task(self, info: Info) -> TaskType | None:
        if self.task_db_id is None:
            return None
        row = await info.context.loaders.by_id(Task).load(self.task_db_id)
        return None if row is None else TaskType.from_model(row)

    @strawberry.field(description="The customer it concerns; null when none is known (yet).")
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


@strawberry.type(
    name="NotificationTemplate",
    description=(
        "Message text for one event, channel and language, with `${name}` placeholders filled at "
        "delivery."
    ),
)
class NotificationTemplateType(Node):
    event: NotificationEvent = strawberry.field(  # type: ignore[valid-type]
        description="Event this text is for."
    )
    channel: NotificationChannel | None = strawberry.field(  # type: ignore[valid-type]
        description=(
            "Channel this text is for; null: used for every channel without a template of its own."
        )
    )
    language: str = strawberry.field(
        description=(
            "Lower-case language tag (e.g. `en`, `hi`); English is the fallback when no template "
            "matches the customer's language."
        )
    )
    subject: str | None = strawberry.field(
        description="Subject line with `${name}` placeholders; null when the channel needs none."
    )
    body: str = strawberry.field(
        description="Message text with `${name}` placeholders (up to 4000 characters)."
    )
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


@strawberry.type(
    name="NotificationProvider",
    description=(
        "How one channel reaches people: SMTP settings for email, an HTTP provider for SMS, "
        "WhatsApp, voice and push."
    ),
)
class NotificationProviderType(Node):
    channel: NotificationChannel = strawberry.field(  # type: ignore[valid-type]
        description="Channel this provider serves (one provider per channel)."
    )
    active: bool = strawberry.field(
        description="Whether notifications are sent through it; an inactive channel is passed over."
    )
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


@strawberry.type(
    name="NotificationPreferences",
    description=(
        "How one customer wants to hear from us; empty values fall back to the customer's profile "
        "defaults."
    ),
)
class NotificationPreferencesType:
    customer_id: strawberry.ID
    channel_order: list[NotificationChannel] = strawberry.field(  # type: ignore[valid-type]
        description=(
            "Channels to try, first choice first; each notification goes out on the first with an "
            "address and an active provider. Empty: the customer's preferred contact channels, "
            "then the default order."
        )
    )
    language: str | None = strawberry.field(
        description="Language tag for messages; null: the customer's profile language."
    )
    quiet_start: time | None = strawberry.field(
        description=(
            "Start of quiet hours, local time of the customer's territory; null: no quiet hours."
        )
    )
    quiet_end: time | None = strawberry.field(
        description=(
            "End of quiet hours (may be earlier than the start, spanning midnight); non-urgent "
            "messages wait until then."
        )
    )
    muted_events: list[NotificationEvent] = strawberry.field(  # type: ignore[valid-type]
        description="Events the customer does not want to hear about; these are skipped."
    )
    version: int | None = strawberry.field(
        description="Null until the preferences are first saved."
    )

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


@strawberry.input(description="Notifications of the caller's inbox to mark read.")
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] = strawberry.field(
        description=(
            "Notifications to mark read; all must be the caller's own, or nothing is changed."
        )
    )


@strawberry.input(
    description=(
        "Changes to a customer's notification preferences; omitted fields stay as they are, null "
        "clears."
    )
)
class UpdateNotificationPreferencesInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Agents name the customer; a customer edits their own."
    )
    expected_version: int | None = None
    channel_order: list[NotificationChannel] | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET,
        description=(
            "Channels to try, first choice first; null or empty: the customer's profile defaults."
        ),
    )
    language: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Language tag for messages (e.g. `en`, `hi-IN`); null: the customer's profile language."
        ),
    )
    quiet_start: time | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Start of quiet hours in the territory's local time; quiet hours apply only when both "
            "ends are set."
        ),
    )
    quiet_end: time | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "End of quiet hours in the territory's local time; may be before the start to span "
            "midnight."
        ),
    )
    muted_events: list[NotificationEvent] | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET,
        description="Events not to notify about; null or empty: none muted.",
    )


@strawberry.input(description="A new template; one per event, channel and language.")
class CreateNotificationTemplateInput:
    event: NotificationEvent = strawberry.field(  # type: ignore[valid-type]
        description="Event the text is for."
    )
    body: str = strawberry.field(
        description="Message text, 1 to 4000 characters, with `${name}` placeholders."
    )
    channel: NotificationChannel | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="Channel the text is for; null: every channel without its own template.",
    )
    language: str = strawberry.field(default="en", description="Language tag, stored lower-case.")
    subject: str | None = strawberry.field(
        default=None,
        description="Subject line (up to 300 characters) with `${name}` placeholders; null: none.",
    )


@strawberry.input(
    description=(
        "New text for a template; omitted fields stay as they are. Event, channel and language "
        "cannot change."
    )
)
class UpdateNotificationTemplateInput:
    id: strawberry.ID
    expected_version: int | None = None
    subject: str | None = strawberry.field(
        default=strawberry.UNSET, description="New subject line; null removes it."
    )
    body: str | None = strawberry.field(
        default=strawberry.UNSET, description="New message text, 1 to 4000 characters."
    )


@strawberry.input(
    description="Settings of the provider of one channel, replacing any earlier ones."
)
class ConfigureNotificationProviderInput:
    channel: NotificationChannel = strawberry.field(  # type: ignore[valid-type]
        description="Channel to configure; IN_APP needs no provider and is refused."
    )
    config: JSON = strawberry.field(
        description=(
            "A JSON object: for EMAIL SMTP settings (`host` required); for others an HTTP provider"
            " (`url` required, `payload` a JSON object with `${name}` placeholders). Replaces the "
            "whole config."
        )
    )
    active: bool = strawberry.field(
        default=True, description="Whether to send through it; false takes the channel out of use."
    )


@strawberry.input(description="A DEAD or FAILED notification to send again.")
class RequeueNotificationInput:
    id: strawberry.ID


@strawberry.type
class MarkNotificationsReadPayload(Payload):
    notifications: list[NotificationType] | None = strawberry.field(
        default=None, description="The notifications now marked read; null on error."
    )


@strawberry.type
class NotificationPayload(Payload):
    notification: NotificationType | None = strawberry.field(
        default=None, description="The requeued notification, now PENDING; null on error."
    )


@strawberry.type
class NotificationPreferencesPayload(Payload):
    preferences: NotificationPreferencesType | None = strawberry.field(
        default=None, description="The preferences as saved; null on error."
    )


@strawberry.type
class NotificationTemplatePayload(Payload):
    template: NotificationTemplateType | None = strawberry.field(
        default=None, description="The template as saved; null on error."
    )


@strawberry.type
class NotificationProviderPayload(Payload):
    provider: NotificationProviderType | None = strawberry.field(
        default=None, description="The provider as saved, secrets masked; null on error."
    )
