"""In-transaction listeners: task changes that call for a re-plan, and slot-cache upkeep."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.events import Event, Listener
from app.dispatch import slots
from app.dispatch.replan import TRIGGER_ACTIONS, trigger
from app.work_orders.channels import TASK_STATUS_CHANGED


def on_task_status(session: AsyncSession, event: Event) -> None:
    territory_id = event.data.get("territory_id")
    if territory_id is None:
        return
    slots.invalidate(territory_id)
    action = str(event.data.get("action", ""))
    if action in TRIGGER_ACTIONS:
        session.add(trigger(territory_id, event.data.get("task_id"), action))


LISTENERS: list[tuple[str | None, Listener]] = [(TASK_STATUS_CHANGED, on_task_status)]
