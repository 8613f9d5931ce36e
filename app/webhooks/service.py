"""Webhook subscriptions (a partner's own, or any for admins), redelivery and test pings."""

from __future__ import annotations

import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, NotFound
from app.core.models import utcnow
from app.core.repository import apply_changes, check_version
from app.notifications.policies import load_policy
from app.partners.models import Partner
from app.webhooks import repository
from app.webhooks.delivery import new_delivery_id, ping_payload, record_attempt, send_now
from app.webhooks.models import (
    DeliveryStatus,
    SubscriptionCreate,
    SubscriptionUpdate,
    WebhookDelivery,
    WebhookSubscription,
)


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


async def _owner(session: AsyncSession, principal: Principal, partner_id: int | None) -> int | None:
    """A partner subscribes for itself; an admin for a partner or for the organisation."""
    if principal.role is Role.PARTNER:
        if principal.partner_id is None:
            raise DomainError("not linked to a partner", ErrorCode.FORBIDDEN)
        if partner_id not in (None, principal.partner_id):
            raise DomainError(
                "a partner subscribes only for itself", ErrorCode.FORBIDDEN, ["partnerId"]
            )
        return principal.partner_id
    if partner_id is not None and await session.get(Partner, partner_id) is None:
        raise NotFound("partner", ["partnerId"])
    return partner_id


async def create_subscription(
    session: AsyncSession, principal: Principal, data: SubscriptionCreate
) -> WebhookSubscription:
    """A new subscription with a fresh signing secret (shown to the caller once)."""
    subscription = WebhookSubscription(
        name=data.name,
        url=data.url,
        event_types=data.event_types,
        partner_id=await _owner(session, principal, data.partner_id),
        secret=new_secret(),
    )
    session.add(subscription)
    await session.flush()
    return subscription


async def _readable_for_update(
    session: AsyncSession, principal: Principal, subscription_id: int
) -> WebhookSubscription:
    row = await session.scalar(
        repository.readable(principal)
        .where(WebhookSubscription.id == subscription_id)
        .with_for_update()
    )
    if row is None:
        raise NotFound("webhook subscription", ["id"])
    return row


async def update_subscription(
    session: AsyncSession,
    principal: Principal,
    subscription_id: int,
    changes: SubscriptionUpdate,
    expected_version: int | None,
) -> WebhookSubscription:
    """Rename, retarget, change event types, or pause (`active: false`) and resume."""
    row = await _readable_for_update(session, principal, subscription_id)
    check_version(row, expected_version)
    apply_changes(row, changes.model_dump(exclude_unset=True))
    row.touch()
    await session.flush()
    return row


async def rotate_secret(
    session: AsyncSession, principal: Principal, subscription_id: int, expected_version: int | None
) -> WebhookSubscription:
    row = await _readable_for_update(session, principal, subscription_id)
    check_version(row, expected_version)
    row.secret = new_secret()
    row.touch()
    await session.flush()
    return row


async def delete_subscription(
    session: AsyncSession, principal: Principal, subscription_id: int, expected_version: int | None
) -> WebhookSubscription:
    """Archived, not erased: its delivery log stays for the record; nothing more is sent."""
    row = await _readable_for_update(session, principal, subscription_id)
    check_version(row, expected_version)
    row.active, row.archived_at = False, utcnow()
    row.touch()
    await session.flush()
    return row


async def redeliver(
    session: AsyncSession, principal: Principal, delivery_id: int
) -> WebhookDelivery:
    """Send a delivery again with the same delivery id (receivers decide on duplicates)."""
    row = await session.scalar(
        repository.deliveries(principal)
        .where(WebhookDelivery.id == delivery_id)
        .with_for_update(of=WebhookDelivery)
    )
    if row is None:
        raise NotFound("webhook delivery", ["deliveryId"])
    if row.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
        raise DomainError(
            f"a {row.status} delivery is on its way", ErrorCode.INVALID_TRANSITION, ["deliveryId"]
        )
    row.status, row.attempts, row.next_attempt_at = DeliveryStatus.PENDING, 0, utcnow()
    row.last_error = None
    await session.flush()
    return row


async def send_test(
    session: AsyncSession, principal: Principal, subscription_id: int
) -> WebhookDelivery:
    """A signed `ping` sent now; the outcome is in the returned delivery (and the log)."""
    subscription = await _readable_for_update(session, principal, subscription_id)
    now = utcnow()
    row = WebhookDelivery(
        subscription_id=subscription.id or 0,
        delivery_id=new_delivery_id(),
        event_type="ping",
        payload=ping_payload(subscription, now),
        status=DeliveryStatus.SENDING,
        attempts=1,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    await session.flush()
    attempt = await send_now(row, subscription)
    policy = await load_policy(session)
    record_attempt(row, attempt, utcnow(), policy)
    if row.status is not DeliveryStatus.DELIVERED:
        row.status = DeliveryStatus.DEAD  # a test is not retried
    await session.flush()
    return row
