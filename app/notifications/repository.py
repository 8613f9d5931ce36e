"""Notification queries, scoped to what the caller may read."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal, Role
from app.notifications.models import Notification, NotificationStatus

HIDDEN_FROM_INBOX = (NotificationStatus.DEAD, NotificationStatus.SKIPPED)


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
