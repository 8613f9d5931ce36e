"""Scheduling an appointment puts it to the customer for confirmation, in the same transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.confirmations.models import Confirmation
from app.core.events import Event, Listener
from app.notifications.listeners import scheduled
from app.notifications.models import NotificationEvent
from app.notifications.outbox import enqueue, new_key
from app.work_orders.channels import TASK_STATUS_CHANGED


def on_scheduled(session: AsyncSession, event: Event) -> None:
    task_id = event.data.get("task_id")
    if task_id is None or not scheduled(event.data):
        return
    key = new_key(NotificationEvent.CONFIRMATION_REQUEST)
    session.add(
        Confirmation(task_id=task_id, message_key=key, requested_at=event.at, stage_at=event.at)
    )
    enqueue(
        session,
        NotificationEvent.CONFIRMATION_REQUEST,
        task_id=task_id,
        key=key,
        data={"options": "CONFIRM,REJECT,RESCHEDULE"},
    )


LISTENERS: list[tuple[str | None, Listener]] = [(TASK_STATUS_CHANGED, on_scheduled)]
