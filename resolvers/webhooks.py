"""Outbound webhook subscriptions for partners (their own) and admins (all)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.core.auth import Role
from app.webhooks import repository, service
from app.webhooks.models import (
    DeliveryStatus,
    SubscriptionCreate,
    SubscriptionUpdate,
    WebhookDelivery,
    WebhookSubscription,
)
from resolvers.base import execute
from schema.context import Info
from schema.ids import decode_id, decode_optional_id
from schema.inputs import provided
from schema.node import register_node
from schema.pagination import paginate
from schema.permissions import allow
from schema.webhooks import (
    CreateWebhookSubscriptionInput,
    RedeliverWebhookInput,
    TestWebhookInput,
    UpdateWebhookSubscriptionInput,
    WebhookDeliveryConnection,
    WebhookDeliveryPayload,
    WebhookDeliveryStatus,
    WebhookDeliveryType,
    WebhookSubscriptionConnection,
    WebhookSubscriptionPayload,
    WebhookSubscriptionRefInput,
    WebhookSubscriptionType,
)

OWNERS = (Role.ADMIN, Role.PARTNER)

register_node(WebhookSubscriptionType, repository.get_readable, WebhookSubscriptionType.from_model)
register_node(WebhookDeliveryType, repository.get_delivery, WebhookDeliveryType.from_model)


def _subscription(payload_secret: bool, row: WebhookSubscription) -> WebhookSubscriptionPayload:
    return WebhookSubscriptionPayload(
        subscription=WebhookSubscriptionType.from_model(row),
        secret=row.secret if payload_secret else None,
    )


@strawberry.type
class WebhooksQuery:
    @strawberry.field(
        extensions=[allow(*OWNERS)],
        description=(
            "Webhook subscriptions the caller may see (admins all, a partner its own); deleted "
            "ones are left out."
        ),
    )
    async def webhook_subscriptions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> WebhookSubscriptionConnection:
        return await paginate(
            info.context.session,
            repository.readable(info.context.principal),
            WebhookSubscription.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=WebhookSubscriptionType.from_model,
        )

    @strawberry.field(
        extensions=[allow(*OWNERS)],
        description=(
            "The delivery log of the subscriptions the caller may see (admins, partners), oldest "
            "first."
        ),
    )
    async def webhook_deliveries(
        self,
        info: Info,
        subscription_id: strawberry.ID | None = None,
        status: Annotated[
            WebhookDeliveryStatus | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only deliveries in this state; null means all."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> WebhookDeliveryConnection:
        statement = repository.deliveries(
            info.context.principal,
            decode_optional_id(subscription_id, "WebhookSubscription", "subscriptionId"),
            DeliveryStatus(status) if status else None,
        )
        return await paginate(
            info.context.session,
            statement,
            WebhookDelivery.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=WebhookDeliveryType.from_model,
        )


@strawberry.type
class WebhooksMutation:
    @strawberry.mutation(
        extensions=[allow(*OWNERS)],
        description=(
            "Subscribe an endpoint to events (admins, partners); the payload's secret is shown "
            "only now, keep it to verify signatures."
        ),
    )
    async def create_webhook_subscription(
        self, info: Info, input: CreateWebhookSubscriptionInput
    ) -> WebhookSubscriptionPayload:
        async def action() -> WebhookSubscriptionPayload:
            values = provided(input, exclude=("idempotency_key", "partner_id"))
            values["partner_id"] = decode_optional_id(input.partner_id, "Partner", "partnerId")
            data = SubscriptionCreate.model_validate(values)
            row = await service.create_subscription(
                info.context.session, info.context.require_principal(), data
            )
            return _subscription(True, row)

        return await execute(
            info, WebhookSubscriptionPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(*OWNERS)],
        description=(
            "Rename, retarget, change events, or pause and resume a subscription (admins, or the "
            "owning partner)."
        ),
    )
    async def update_webhook_subscription(
        self, info: Info, input: UpdateWebhookSubscriptionInput
    ) -> WebhookSubscriptionPayload:
        async def action() -> WebhookSubscriptionPayload:
            changes = SubscriptionUpdate.model_validate(
                provided(input, exclude=("id", "expected_version"))
            )
            row = await service.update_subscription(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.id, "WebhookSubscription"),
                changes,
                input.expected_version,
            )
            return _subscription(False, row)

        return await execute(info, WebhookSubscriptionPayload, action)

    @strawberry.mutation(
        extensions=[allow(*OWNERS)],
        description=(
            "Replace a subscription's signing secret (admins, or the owning partner); the new "
            "secret is returned only now and the old one stops at once."
        ),
    )
    async def rotate_webhook_secret(
        self, info: Info, input: WebhookSubscriptionRefInput
    ) -> WebhookSubscriptionPayload:
        async def action() -> WebhookSubscriptionPayload:
            row = await service.rotate_secret(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.id, "WebhookSubscription"),
                input.expected_version,
            )
            return _subscription(True, row)

        return await execute(info, WebhookSubscriptionPayload, action)

    @strawberry.mutation(
        extensions=[allow(*OWNERS)],
        description=(
            "Delete a subscription (admins, or the owning partner): nothing more is sent and it "
            "leaves lists, with its delivery log."
        ),
    )
    async def delete_webhook_subscription(
        self, info: Info, input: WebhookSubscriptionRefInput
    ) -> WebhookSubscriptionPayload:
        async def action() -> WebhookSubscriptionPayload:
            row = await service.delete_subscription(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.id, "WebhookSubscription"),
                input.expected_version,
            )
            return _subscription(False, row)

        return await execute(info, WebhookSubscriptionPayload, action)

    @strawberry.mutation(
        extensions=[allow(*OWNERS)],
        description=(
            "Queue a delivered, retrying or dead delivery to be sent again now with the same "
            "delivery id (admins, partners)."
        ),
    )
    async def redeliver_webhook(
        self, info: Info, input: RedeliverWebhookInput
    ) -> WebhookDeliveryPayload:
        async def action() -> WebhookDeliveryPayload:
            row = await service.redeliver(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.delivery_id, "WebhookDelivery", "deliveryId"),
            )
            return WebhookDeliveryPayload(delivery=WebhookDeliveryType.from_model(row))

        return await execute(info, WebhookDeliveryPayload, action)

    @strawberry.mutation(
        extensions=[allow(*OWNERS)],
        description=(
            "Send a signed ping to a subscription right now, without retries; the returned "
            "delivery is DELIVERED or DEAD (admins, partners)."
        ),
    )
    async def test_webhook(self, info: Info, input: TestWebhookInput) -> WebhookDeliveryPayload:
        async def action() -> WebhookDeliveryPayload:
            row = await service.send_test(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.subscription_id, "WebhookSubscription", "subscriptionId"),
            )
            return WebhookDeliveryPayload(delivery=WebhookDeliveryType.from_model(row))

        return await execute(info, WebhookDeliveryPayload, action)
