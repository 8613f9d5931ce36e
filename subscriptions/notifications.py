"""myNotifications: the caller's in-app notifications as they are delivered.

A customer listens on their own inbox channel, a technician on theirs; nobody can name
someone else's. Each event re-reads its notification through the same scoping as the
`myNotifications` query, so what arrives is exactly what the query would show.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError
from sqlmodel import col

from app.core.auth import Principal, Role
from app.notifications import repository
from app.notifications.models import Notification
from app.notifications.outbox import (
    NOTIFICATION_DELIVERED,
    inbox_channel,
    technician_inbox_channel,
)
from schema.context import Info
from schema.notifications import NotificationType
from schema.permissions import allow

INBOX_QUEUE = 64


def _inbox(principal: Principal) -> str:
    if principal.role is Role.CUSTOMER and principal.customer_id is not None:
        return inbox_channel(principal.customer_id)
    if principal.role is Role.TECHNICIAN and principal.technician_id is not None:
        return technician_inbox_channel(principal.technician_id)
    raise GraphQLError("not linked to a customer or technician", extensions={"code": "FORBIDDEN"})


@strawberry.type
class NotificationsSubscription:
    @strawberry.subscription(
        name="myNotifications",
        extensions=[allow(Role.CUSTOMER, Role.TECHNICIAN)],
        description=(
            "Each of the caller's own notifications as it is sent, as the myNotifications "
            "query would show it. Customers and technicians linked to their record only."
        ),
    )
    async def my_notifications(self, info: Info) -> AsyncGenerator[NotificationType, None]:
        principal = info.context.require_principal()
        return _delivered(info, principal, _inbox(principal))


async def _delivered(
    info: Info, principal: Principal, channel: str
) -> AsyncGenerator[NotificationType, None]:
    async with info.context.broker.listen(channel, queue_size=INBOX_QUEUE) as feed:
        async for delivery in feed:
            if delivery.message.get("kind") != NOTIFICATION_DELIVERED:
                continue
            state = info.context.begin_operation()
            try:
                row = await state.session.scalar(
                    repository.inbox(principal).where(
                        col(Notification.id) == delivery.data.get("notification_id")
                    )
                )
                if row is not None:
                    yield NotificationType.from_model(row)
            finally:
                await asyncio.shield(state.session.close())
                info.context.end_operation()
