"""Writing notification intents into the outbox, inside the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.models import utcnow
from app.notifications.models import Channel, Notification, NotificationEvent

NOTIFICATION_DELIVERED = "NOTIFICATION_DELIVERED"


def inbox_channel(customer_id: int) -> str:
    """The broker channel `myNotifications` listens on for one customer."""
    return f"notifications:customer:{customer_id}"


def technician_inbox_channel(technician_id: int) -> str:
    """The broker channel `myNotifications` listens on for one technician."""
    return f"notifications:technician:{technician_id}"


def new_key(event: NotificationEvent) -> str:
    return f"{event.value.lower()}:{uuid.uuid4().hex}"


def enqueue(
    session: AsyncSession,
    event: NotificationEvent,
    *,
    task_id: int | None = None,
    customer_id: int | None = None,
    technician_id: int | None = None,
    data: dict[str, Any] | None = None,
    channel: Channel | None = None,
    key: str | None = None,
    not_before: datetime | None = None,
) -> Notification:
    """Add one notification to the session (no I/O: safe inside an event listener)."""
    notification = Notification(
        event=event,
        idempotency_key=key or new_key(event),
        task_id=task_id,
        customer_id=customer_id,
        technician_id=technician_id,
        data=data or {},
        channel=channel,
        next_attempt_at=not_before or utcnow(),
    )
    session.add(notification)
    return notification


async def enqueue_once(
    session: AsyncSession,
    event: NotificationEvent,
    key: str,
    *,
    task_id: int | None = None,
    customer_id: int | None = None,
    data: dict[str, Any] | None = None,
    channel: Channel | None = None,
) -> bool:
    """Insert unless a notification with this natural key exists (jobs that may run twice)."""
    statement = (
        insert(Notification)
        .values(
            event=event.value,
            idempotency_key=key,
            task_id=task_id,
            customer_id=customer_id,
            data=data or {},
            channel=channel.value if channel else None,
            status="PENDING",
            attempts=0,
            next_attempt_at=utcnow(),
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(col(Notification.id))
    )
    return (await session.execute(statement)).first() is not None
