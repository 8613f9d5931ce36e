"""The session hooks that keep the KPI rollups in the same transaction as the change.

Every flush notes the tasks whose source rows it wrote (the task itself, its audit events,
offers, parts used and invoices) and the technician-days whose shift rows it wrote (weekly
hours, time off, attendance entries and breaks); just before the session commits, their
facts are replaced and `kpi_daily` moves by the difference, and a `KPI_CHANGED` event is
queued for live tiles. A rolled-back transaction takes its rollup changes with it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.attendance.models import AttendanceBreak, AttendanceEntry
from app.billing.models import Invoice
from app.core.events import queue_event
from app.core.models import utcnow
from app.technicians.models import TimeOff, WorkingHours
from app.work_orders.models import Task, TaskEvent, TaskOffer, TaskPart

_TOUCHED = "kpi_touched_tasks"
_TECHNICIAN_DAYS = "kpi_touched_technician_days"
_ENTRIES = "kpi_touched_attendance_entries"
RECENT_DAYS = 3
"""A change of weekly hours rewrites the shift facts of the technician's days from this many
days back to tomorrow; older days keep the hours planned then (weekly hours keep no history)."""
LONGEST_TIME_OFF_DAYS = 400
"""The days of one time-off period whose shift facts are rewritten at most (the latest ones)."""
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
    for key in (_TOUCHED, _TECHNICIAN_DAYS, _ENTRIES):
        session.info.pop(key, None)


def _days(first: date, last: date) -> list[date]:
    last = min(last, utcnow().date() + timedelta(days=1))
    first = max(first, last - timedelta(days=LONGEST_TIME_OFF_DAYS - 1))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _time_off_days(row: TimeOff) -> list[date]:
    """The local days (any zone) that the period covers, before and after this change."""
    history = sa.inspect(row).attrs
    starts = [row.starts_at, *history.starts_at.history.deleted]
    ends = [row.ends_at, *history.ends_at.history.deleted]
    if not all(isinstance(v, datetime) for v in (*starts, *ends)):
        return []
    first = min(starts).date() - timedelta(days=1)
    return _days(first, max(ends).date() + timedelta(days=1))


def _technician_days_of(row: object) -> list[tuple[int, date]]:
    if isinstance(row, AttendanceEntry):
        return [(row.technician_id, row.day)]
    if isinstance(row, TimeOff):
        return [(row.technician_id, day) for day in _time_off_days(row)]
    if isinstance(row, WorkingHours):
        today = utcnow().date()
        recent = _days(today - timedelta(days=RECENT_DAYS), today + timedelta(days=1))
        return [(row.technician_id, day) for day in recent]
    return []


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: Any) -> None:
    if session.info.get(_DEFERRED):
        return
    rows = (*session.new, *session.dirty, *session.deleted)
    ids = {task_id for row in rows if (task_id := _task_id_of(row)) is not None}
    if ids:
        note_tasks(session, ids)
    pairs = {pair for row in rows for pair in _technician_days_of(row)}
    if pairs:
        session.info.setdefault(_TECHNICIAN_DAYS, set()).update(pairs)
    entries = {row.entry_id for row in rows if isinstance(row, AttendanceBreak)}
    if entries:
        session.info.setdefault(_ENTRIES, set()).update(entries)


_ENTRY_DAYS = sa.text("SELECT technician_id, day FROM attendance_entries WHERE id = ANY(:ids)")


@event.listens_for(Session, "before_commit")
def _refresh(session: Session) -> None:
    session.flush()
    ids: set[int] = session.info.pop(_TOUCHED, set())
    pairs: set[tuple[int, date]] = session.info.pop(_TECHNICIAN_DAYS, set())
    entries: set[int] = session.info.pop(_ENTRIES, set())
    if not (ids or pairs or entries):
        return
    from app.kpis.rollup import refresh_tasks

    connection = session.connection()
    if entries:
        found = connection.execute(_ENTRY_DAYS, {"ids": sorted(entries)})
        pairs |= {(r.technician_id, r.day) for r in found}
    touched = refresh_tasks(connection, ids, pairs)
    if touched.days:
        queue_event(session, CHANNEL, KIND, touched.as_event())  # type: ignore[arg-type]


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        for key in (_TOUCHED, _TECHNICIAN_DAYS, _ENTRIES, _DEFERRED):
            session.info.pop(key, None)
