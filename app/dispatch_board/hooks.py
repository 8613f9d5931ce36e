"""The session hook that ends pins: a pin holds a task to the technician and start it was
pinned at, so whatever gives the task another technician or start, or sends it back to
waiting or cancels it (assignTask, unassignTask, a rejection, an expired offer, assignCrew, a
published plan...), deletes its pin in the same flush. moveAssignment is the one path that
moves a pinned task with its pin: it names the task in `keep_pin` first. Installed when the
models are imported."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.work_orders.models import Task, TaskStatus

_KEPT = "pins_moved_with_their_task"
MOVED_BY = ("technician_id", "scheduled_start")
WAITING_OR_GONE = (TaskStatus.UNSCHEDULED, TaskStatus.CANCELLED)


@contextmanager
def keep_pin(session: Session, task_id: int) -> Iterator[None]:
    """Within the block, a change to this task leaves its pin (a dispatcher moving it)."""
    kept: set[int] = session.info.setdefault(_KEPT, set())
    kept.add(task_id)
    try:
        yield
    finally:
        kept.discard(task_id)


def _unpinned_by(task: Task) -> bool:
    state: Any = sa.inspect(task)
    if any(
        state.attrs[name].history.has_changes() for name in ("technician_id", "scheduled_start")
    ):
        return True
    return state.attrs.status.history.has_changes() and task.status in WAITING_OR_GONE


@event.listens_for(Session, "after_flush")
def _end_pins(session: Session, _context: Any) -> None:
    kept = session.info.get(_KEPT, set())
    ended = [
        row.id
        for row in session.dirty
        if isinstance(row, Task) and row.id not in kept and _unpinned_by(row)
    ]
    if ended:
        from app.dispatch_board.models import TaskPin

        pins: Any = TaskPin.__table__  # type: ignore[attr-defined]
        session.connection().execute(sa.delete(pins).where(pins.c.task_id.in_(ended)))
