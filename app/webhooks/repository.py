"""Webhook queries, scoped once: a partner sees its own subscriptions and their deliveries."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal, Role
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription


def readable(principal: Principal | None) -> SelectOfScalar[WebhookSubscription]:
    """Admins see every subscription; a partner its own; nobody else any."""
    statement = select(WebhookSubscription).where(col(WebhookSubscription.archived_at).is_(None))
    if principal is None:
        return statement.where(false())
    if principal.role is Role.ADMIN:
        return statement
    if principal.role is Role.PARTNER and principal.partner_id is not None:
        return statement.where(col(WebhookSubscription.partner_id) == principal.partner_id)
    return statement.where(false())


async def get_readable(
    session: AsyncSession, principal: Principal | None, subscription_id: int
) -> WebhookSubscription | None:
    return await session.scalar(
        readable(principal).where(col(WebhookSubscription.id) == subscription_id)
    )


def deliveries(
    principal: Principal | None,
    subscription_id: int | None = None,
    status: DeliveryStatus | None = None,
) -> SelectOfScalar[WebhookDelivery]:
    """The delivery log of the subscriptions the caller may read."""
    visible = readable(principal).with_only_columns(col(WebhookSubscription.id))
    statement = select(WebhookDelivery).where(col(WebhookDelivery.subscription_id).in_(visible))
    if subscription_id is not None:
        statement = statement.where(col(WebhookDelivery.subscription_id) == subscription_id)
    if status is not None:
        statement = statement.where(col(WebhookDelivery.status) == status)
    return statement


async def get_delivery(
    session: AsyncSession, principal: Principal | None, delivery_id: int
) -> WebhookDelivery | None:
    return await session.scalar(deliveries(principal).where(col(WebhookDelivery.id) == delivery_id))
