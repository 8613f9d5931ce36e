"""Recording events for partners inside the transaction of the change (no I/O)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.models import utcnow
from app.webhooks.models import EVENT_TYPES, WebhookEvent

GENERIC_TASK_EVENT = "task.status_changed"


def task_event_type(action: str | None, to_status: str | None) -> str:
    """`task.created`, `task.completed`...; statuses without a name of their own are generic."""
    if action == "CREATE":
        return "task.created"
    specific = f"task.{(to_status or '').lower()}"
    return specific if specific in EVENT_TYPES else GENERIC_TASK_EVENT


def record(session: AsyncSession, event_type: str, data: dict[str, Any]) -> WebhookEvent:
    """One event; the delivery job fans it out to the subscriptions that want it."""
    row = WebhookEvent(event_type=event_type, data=data, occurred_at=utcnow())
    session.add(row)
    return row
