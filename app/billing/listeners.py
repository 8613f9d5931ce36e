"""In-transaction listeners: a completed task gets its draft invoice in the same transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from app.billing.invoices import open_draft_for
from app.core.events import Event, Listener
from app.work_orders.channels import TASK_STATUS_CHANGED
from app.work_orders.models import Task, TaskStatus


def draft_on_completion(session: AsyncSession, event: Event) -> None:
    """TASK_STATUS_CHANGED to COMPLETED: add the task's draft invoice.

    The completed task is in the session's identity map (the transition just changed it),
    which is where its customer comes from. A partial unique index keeps one live invoice
    per task whatever happens."""
    if event.data.get("to") != TaskStatus.COMPLETED.value:
        return
    task_id = event.data.get("task_id")
    task = session.identity_map.get(identity_key(Task, task_id)) if task_id else None
    if isinstance(task, Task):
        session.add(open_draft_for(task))


LISTENERS: list[tuple[str | None, Listener]] = [(TASK_STATUS_CHANGED, draft_on_completion)]
