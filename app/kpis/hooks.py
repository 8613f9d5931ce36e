"""The session hooks that keep the KPI rollups in the same transaction as the change.

Every flush notes the tasks whose source rows it wrote (the task itself, its audit events,
offers, parts used and invoices); just before the session commits, their facts are replaced and
`kpi_daily` moves by the difference, and a `KPI_CHANGED` event is queued for live tiles. A
rolled-back transaction takes its rollup changes with it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.billing.models import Invoice
from app.core.events import queue_event
from app.work_orders.models import Task, TaskEvent, TaskOffer, TaskPart

_TOUCHED = "kpi_touched_tasks"
CHANNEL = "kpis"
KIND = "KPI_CHANGED"


def _task_id_of(row: object) -> int | None:
    if isinstance(row, Task):
        return row.id
    if isinstance(row, TaskEvent | TaskOffer | TaskPart | Invoice):
        return row.task_id
    return None


def note_tasks(session: Session, task_ids: set[int]) -> None:
    """Mark tasks whose KPI facts must be refreshed before this session commits (for writes
    the ORM does not see, such as bulk UPDATEs)."""
    session.info.setdefault(_TOUCHED, set()).update(task_ids)


_DEFERRED = "kpi_recomputed_by_writer"


def defer_to_recompute(session: Session) -> None:
    """For a writer that recomputes every day itself before it commits (the demo seed's
    backfill): the hooks note and refresh nothing in this session, where each savepoint
    would otherwise refresh every task written so far."""
    session.info[_DEFERRED] = True
    session.info.pop(_TOUCHED, None)


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: Any) -> None:
    if session.info.get(_DEFERRED):
        return
    ids = {
        task_id
        for row in (*session.new, *session.dirty, *session.deleted)
        if (task_id := _task_id_of(row)) is not None
    }
    if ids:
        note_tasks(session, ids)


@event.listens_for(Session, "before_commit")
def _refresh(session: Session) -> None:
    session.flush()
    ids: set[int] = session.info.pop(_TOUCHED, set())
    if not ids:
        return
    from app.kpis.rollup import refresh_tasks

    touched = refresh_tasks(session.connection(), ids)
    if touched.days:
        queue_event(session, CHANNEL, KIND, touched.as_event())  # type: ignore[arg-type]


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_TOUCHED, None)
        session.info.pop(_DEFERRED, None)
