"""Notification queries, scoped to what the caller may read."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal, Role
from app.notifications.models import (
    Notification,
    NotificationEvent,
    NotificationPreference,
    NotificationProvider,
    NotificationStatus,
    NotificationTemplate,
)

HIDDEN_FROM_INBOX = (NotificationStatus.DEAD, NotificationStatus.FAILED, NotificationStatus.SKIPPED)


def readable(principal: Principal | None) -> SelectOfScalar[Notification]:
    """Staff see every notification; a customer or technician their own."""
    statement = select(Notification)
    if principal is None:
        return statement.where(false())
    if principal.is_staff:
        return statement
    if principal.role is Role.CUSTOMER and principal.customer_id:
        return statement.where(col(Notification.customer_id) == principal.customer_id)
    if principal.role is Role.TECHNICIAN and principal.technician_id:
        return statement.where(col(Notification.technician_id) == principal.technician_id)
    return statement.where(false())


def inbox(principal: Principal, unread_only: bool = False) -> SelectOfScalar[Notification]:
    """The caller's own notifications that went out (on any channel)."""
    statement = select(Notification)
    if principal.role is Role.CUSTOMER and principal.customer_id:
        statement = statement.where(col(Notification.customer_id) == principal.customer_id)
    elif principal.role is Role.TECHNICIAN and principal.technician_id:
        statement = statement.where(col(Notification.technician_id) == principal.technician_id)
    else:
        return statement.where(false())
    statement = statement.where(
        col(Notification.body).is_not(None), col(Notification.status).not_in(HIDDEN_FROM_INBOX)
    )
    return statement.where(col(Notification.read_at).is_(None)) if unread_only else statement


async def get_readable(
    session: AsyncSession, principal: Principal | None, notification_id: int
) -> Notification | None:
    return await session.scalar(readable(principal).where(col(Notification.id) == notification_id))


def outbox(
    status: NotificationStatus | None = None, customer_id: int | None = None
) -> SelectOfScalar[Notification]:
    """The outbox as support sees it: every notification, by status and customer."""
    statement = select(Notification)
    if status is not None:
        statement = statement.where(col(Notification.status) == status)
    if customer_id is not None:
        statement = statement.where(col(Notification.customer_id) == customer_id)
    return statement


def templates(
    event: NotificationEvent | None = None, language: str | None = None
) -> SelectOfScalar[NotificationTemplate]:
    statement = select(NotificationTemplate).where(col(NotificationTemplate.archived_at).is_(None))
    if event is not None:
        statement = statement.where(col(NotificationTemplate.event) == event)
    if language is not None:
        statement = statement.where(col(NotificationTemplate.language) == language.lower())
    return statement


async def providers(session: AsyncSession) -> list[NotificationProvider]:
    rows = await session.scalars(
        select(NotificationProvider).order_by(col(NotificationProvider.channel))
    )
    return list(rows.all())


async def preference_of(session: AsyncSession, customer_id: int) -> NotificationPreference | None:
    return await session.scalar(
        select(NotificationPreference).where(col(NotificationPreference.customer_id) == customer_id)
    )
