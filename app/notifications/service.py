"""Notification rules outside the worker: provider status callbacks, reading the in-app inbox,
templates and providers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, or_, select

from app.core.auth import Principal
from app.core.errors import DomainError, ErrorCode, NotFound
from app.core.models import utcnow
from app.core.repository import apply_changes, check_version, flush_unique, get_for_update
from app.notifications import repository
from app.notifications.models import (
    Channel,
    InboundReceipt,
    Notification,
    NotificationProvider,
    NotificationStatus,
    NotificationTemplate,
    TemplateCreate,
    TemplateUpdate,
)

CALLBACK_STATUSES = {
    "delivered": NotificationStatus.DELIVERED,
    "read": NotificationStatus.READ,
    "failed": NotificationStatus.FAILED,
}
RANK = {NotificationStatus.SENT: 0, NotificationStatus.DELIVERED: 1, NotificationStatus.READ: 2}


async def remember_receipt(session: AsyncSession, source: str, key: str) -> None:
    """Refuse a signed inbound call seen before (a replay within the signature tolerance)."""
    statement = (
        insert(InboundReceipt)
        .values(source=source, receipt_key=key[:200], received_at=utcnow())
        .on_conflict_do_nothing()
        .returning(col(InboundReceipt.id))
    )
    if (await session.execute(statement)).first() is None:
        raise DomainError("this request was already received", ErrorCode.DUPLICATE)


async def apply_status(
    session: AsyncSession, reference: str, status: str, error: str | None, at: datetime
) -> Notification:
    """A provider's delivery report, found by our idempotency key or its message id."""
    new = CALLBACK_STATUSES.get(status.lower())
    if new is None:
        raise DomainError(f"unknown status {status}", ErrorCode.INVALID, ["status"])
    row = await session.scalar(
        select(Notification)
        .where(
            or_(
                col(Notification.idempotency_key) == reference,
                col(Notification.provider_message_id) == reference,
            )
        )
        .with_for_update()
    )
    if row is None:
        raise NotFound("notification", ["reference"])
    if new is NotificationStatus.FAILED:
        row.status, row.last_error = NotificationStatus.FAILED, (error or "provider failed")[:1000]
    elif RANK.get(row.status, -1) < RANK[new] or row.status is NotificationStatus.SENDING:
        row.status = new
    if new in (NotificationStatus.DELIVERED, NotificationStatus.READ):
        row.delivered_at = row.delivered_at or at
    if new is NotificationStatus.READ:
        row.read_at = row.read_at or at
    await session.flush()
    return row


async def mark_read(
    session: AsyncSession, principal: Principal, notification_ids: list[int]
) -> list[Notification]:
    rows = list(
        (
            await session.scalars(
                repository.readable(principal)
                .where(col(Notification.id).in_(notification_ids))
                .with_for_update()
            )
        ).all()
    )
    if len(rows) != len(set(notification_ids)):
        raise NotFound("notification", ["ids"])
    now = utcnow()
    for row in rows:
        row.read_at = row.read_at or now
        if row.status in (NotificationStatus.SENT, NotificationStatus.DELIVERED):
            row.status = NotificationStatus.READ
    await session.flush()
    return sorted(rows, key=lambda r: r.id or 0)


async def create_template(session: AsyncSession, data: TemplateCreate) -> NotificationTemplate:
    template = NotificationTemplate.model_validate(data)
    session.add(template)
    await flush_unique(
        session, "language", "a template for this event, channel and language exists"
    )
    return template


async def update_template(
    session: AsyncSession, template_id: int, changes: TemplateUpdate, expected: int | None
) -> NotificationTemplate:
    template = await get_for_update(session, NotificationTemplate, template_id, what="template")
    check_version(template, expected)
    apply_changes(template, changes.model_dump(exclude_unset=True))
    template.touch()
    await session.flush()
    return template


def _check_config(channel: Channel, config: dict[str, Any]) -> None:
    if channel is Channel.EMAIL and not config.get("host"):
        raise DomainError("an SMTP provider needs a host", ErrorCode.INVALID, ["config", "host"])
    if channel not in (Channel.EMAIL, Channel.IN_APP):
        url = str(config.get("url", ""))
        if not url.startswith(("http://", "https://")):
            raise DomainError("an HTTP provider needs a URL", ErrorCode.INVALID, ["config", "url"])
        if not isinstance(config.get("payload", {}), dict):
            raise DomainError(
                "payload must be a JSON object", ErrorCode.INVALID, ["config", "payload"]
            )


async def configure_provider(
    session: AsyncSession, channel: Channel, config: dict[str, Any], active: bool
) -> NotificationProvider:
    if channel is Channel.IN_APP:
        raise DomainError("in-app needs no provider", ErrorCode.INVALID, ["channel"])
    _check_config(channel, config)
    provider = await session.scalar(
        select(NotificationProvider)
        .where(col(NotificationProvider.channel) == channel)
        .with_for_update()
    )
    if provider is None:
        provider = NotificationProvider(channel=channel)
        session.add(provider)
    else:
        provider.touch()
    provider.config, provider.active, provider.archived_at = config, active, None
    await session.flush()
    return provider


async def requeue(session: AsyncSession, notification_id: int) -> Notification:
    """Send a dead or failed notification again (an operator fixed the provider, say)."""
    row = await get_for_update(session, Notification, notification_id, what="notification")
    if row.status not in (NotificationStatus.DEAD, NotificationStatus.FAILED):
        raise DomainError(
            f"a {row.status} notification is not retried", ErrorCode.INVALID_TRANSITION, ["id"]
        )
    row.status, row.attempts, row.next_attempt_at = NotificationStatus.PENDING, 0, utcnow()
    await session.flush()
    return row
