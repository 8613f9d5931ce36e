"""GraphQL types of outbound webhooks: subscriptions and their delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from app.partners.models import Partner
from app.webhooks import models
from schema.context import Info
from schema.errors import Payload
from schema.node import Node
from schema.pagination import Connection
from schema.partners import PartnerType

WebhookDeliveryStatus = strawberry.enum(models.DeliveryStatus, name="WebhookDeliveryStatus")


@strawberry.type(
    name="WebhookSubscription",
    description=(
        "An endpoint that receives signed HTTP POSTs for chosen events, a partner's or the "
        "organisation's own."
    ),
)
class WebhookSubscriptionType(Node):
    name: str = strawberry.field(description="Label chosen by the subscriber.")
    url: str = strawberry.field(description="The http(s) URL events are posted to.")
    event_types: list[str] = strawberry.field(
        description=(
            "Events sent, e.g. task.completed or confirmation.answered; sorted, no duplicates."
        )
    )
    active: bool = strawberry.field(
        description="false while paused: events meanwhile are not sent, queued deliveries retry."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    partner_db_id: strawberry.Private[int | None]

    @strawberry.field(
        description=(
            "The partner that owns it; null for the organisation's own integration (e.g. a CRM)."
        )
    )
    async def partner(self, info: Info) -> PartnerType | None:
        if self.partner_db_id is None:
            return None
        row = await info.context.loaders.by_id(Partner).load(self.partner_db_id)
        return None if row is None else PartnerType.from_model(row)

    @classmethod
    def from_model(cls, row: models.WebhookSubscription) -> WebhookSubscriptionType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            name=row.name,
            url=row.url,
            event_types=list(row.event_types),
            active=row.active,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            partner_db_id=row.partner_id,
        )


WebhookSubscriptionConnection = Connection[WebhookSubscriptionType]


@strawberry.type(
    name="WebhookDelivery",
    description="One event sent to one subscription, with its attempts: the delivery log.",
)
class WebhookDeliveryType(Node):
    delivery_id: str = strawberry.field(description="Sent as the Fieldgraph-Delivery header.")
    event_type: str = strawberry.field(
        description="The event, e.g. task.completed; also sent as the Fieldgraph-Event header."
    )
    payload: strawberry.scalars.JSON = strawberry.field(
        description="The JSON body sent, apart from its id (the deliveryId)."
    )
    status: WebhookDeliveryStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where the delivery stands."
    )
    attempts: int = strawberry.field(description="Number of POSTs made so far.")
    next_attempt_at: datetime = strawberry.field(
        description="When it is (or was last) due to be posted (UTC)."
    )
    response_status: int | None = strawberry.field(
        description="HTTP status of the last attempt; null if none answered (e.g. a timeout)."
    )
    last_error: str | None = strawberry.field(
        description="Why the last attempt failed; null if it succeeded or none was made."
    )
    created_at: datetime
    delivered_at: datetime | None = strawberry.field(
        description="When the receiver answered 2xx (UTC); null until delivered."
    )
    subscription_db_id: strawberry.Private[int]

    @strawberry.field(description="The subscription it was sent to.")
    async def subscription(self, info: Info) -> WebhookSubscriptionType | None:
        row = await info.context.loaders.by_id(models.WebhookSubscription).load(
            self.subscription_db_id
        )
        return None if row is None else WebhookSubscriptionType.from_model(row)

    @classmethod
    def from_model(cls, row: models.WebhookDelivery) -> WebhookDeliveryType:
        assert row.id is not None
        payload: Any = row.payload
        return cls(
            db_id=row.id,
            delivery_id=row.delivery_id,
            event_type=row.event_type,
            payload=payload,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            response_status=row.response_status,
            last_error=row.last_error,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            subscription_db_id=row.subscription_id,
        )


WebhookDeliveryConnection = Connection[WebhookDeliveryType]


@strawberry.input(description="A new webhook subscription.")
class CreateWebhookSubscriptionInput:
    name: str = strawberry.field(description="Label for the subscription (up to 200 characters).")
    url: str = strawberry.field(description="http(s) URL to post events to.")
    event_types: list[str] = strawberry.field(
        description=(
            "At least one known event, e.g. task.created, task.completed, confirmation.answered, "
            "service_request.created."
        )
    )
    partner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Admins only; a partner always subscribes for itself."
    )
    idempotency_key: str | None = None


@strawberry.input(description="Changes to a subscription; omitted fields are left as they are.")
class UpdateWebhookSubscriptionInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.field(default=strawberry.UNSET, description="New label.")
    url: str | None = strawberry.field(default=strawberry.UNSET, description="New http(s) URL.")
    event_types: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="The new full list of events (replaces the old one); at least one.",
    )
    active: bool | None = strawberry.field(
        default=strawberry.UNSET, description="false pauses deliveries, true resumes them."
    )


@strawberry.input(description="The webhook subscription to act on.")
class WebhookSubscriptionRefInput:
    id: strawberry.ID
    expected_version: int | None = None


@strawberry.input(description="The delivery to send again.")
class RedeliverWebhookInput:
    delivery_id: strawberry.ID


@strawberry.input(description="The subscription to send a test ping to.")
class TestWebhookInput:
    subscription_id: strawberry.ID


@strawberry.type
class WebhookSubscriptionPayload(Payload):
    subscription: WebhookSubscriptionType | None = strawberry.field(
        default=None, description="The subscription after the change; null if it failed."
    )
    secret: str | None = strawberry.field(
        default=None,
        description="The signing secret, returned only when created or rotated.",
    )


@strawberry.type
class WebhookDeliveryPayload(Payload):
    delivery: WebhookDeliveryType | None = strawberry.field(
        default=None, description="The delivery as it now stands; null if it failed."
    )
