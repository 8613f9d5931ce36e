"""Status changes posted into the threads that exist for them.

A task's status change goes into the task's thread and its service request's; a repair
order's step into the order's thread. Listeners may not query (they run inside the service
call that queued the event), so each change is noted on the session and written when the
transaction commits (see hooks.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.conversations.hooks import NOTES, Note
from app.core.events import Event, Listener
from app.core.models import utcnow
from app.depot_repair.channels import REPAIR_ORDER_CHANGED
from app.work_orders.channels import TASK_STATUS_CHANGED


def _label(status: str | None) -> str:
    return (status or "").replace("_", " ").lower()


def _at(data: dict[str, Any]) -> datetime:
    raw = data.get("at")
    return datetime.fromisoformat(raw) if isinstance(raw, str) else utcnow()


def on_task_status(session: AsyncSession, event: Event) -> None:
    data = event.data
    if data.get("task_id") is None or data.get("from") == data.get("to"):
        return
    text = f"Visit T-{data['task_id']} is now {_label(data.get('to'))}"
    if data.get("reason"):
        text += f": {str(data['reason'])[:300]}"
    _note(
        session,
        Note(
            event,
            text,
            _at(data),
            task_id=data["task_id"],
            service_request_id=data.get("service_request_id"),
        ),
    )


def on_repair_order(session: AsyncSession, event: Event) -> None:
    data = event.data
    if data.get("repair_order_id") is None:
        return
    text = f"Repair order {data['repair_order_id']} is now {_label(data.get('to'))}"
    _note(session, Note(event, text, _at(data), repair_order_id=data["repair_order_id"]))


def _note(session: AsyncSession, note: Note) -> None:
    session.info.setdefault(NOTES, []).append(note)


LISTENERS: list[tuple[str | None, Listener]] = [
    (TASK_STATUS_CHANGED, on_task_status),
    (REPAIR_ORDER_CHANGED, on_repair_order),
]
