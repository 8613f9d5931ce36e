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


@strawberry.type(name="WebhookSubscription")
class WebhookSubscriptionType(Node):
    name: str
    url: str
    event_types: list[str]
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    partner_db_id: strawberry.Private[int | None]

    @strawberry.field
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


@strawberry.type(name="WebhookDelivery")
class WebhookDeliveryType(Node):
    delivery_id: str = strawberry.field(description="Sent as the Fieldgraph-Delivery header.")
    event_type: str
    payload: strawberry.scalars.JSON
    status: WebhookDeliveryStatus  # type: ignore[valid-type]
    attempts: int
    next_attempt_at: datetime
    response_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    subscription_db_id: strawberry.Private[int]

    @strawberry.field
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


@strawberry.input
class CreateWebhookSubscriptionInput:
    name: str
    url: str
    event_types: list[str]
    partner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Admins only; a partner always subscribes for itself."
    )
    idempotency_key: str | None = None


@strawberry.input
class UpdateWebhookSubscriptionInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.UNSET
    url: str | None = strawberry.UNSET
    event_types: list[str] | None = strawberry.UNSET
    active: bool | None = strawberry.field(
        default=strawberry.UNSET, description="false pauses deliveries, true resumes them."
    )


@strawberry.input
class WebhookSubscriptionRefInput:
    id: strawberry.ID
    expected_version: int | None = None


@strawberry.input
class RedeliverWebhookInput:
    delivery_id: strawberry.ID


@strawberry.input
class TestWebhookInput:
    subscription_id: strawberry.ID


@strawberry.type
class WebhookSubscriptionPayload(Payload):
    subscription: WebhookSubscriptionType | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="The signing secret, returned only when created or rotated.",
    )


@strawberry.type
class WebhookDeliveryPayload(Payload):
    delivery: WebhookDeliveryType | None = None
