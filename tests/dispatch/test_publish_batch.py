"""A run's plan is offered in one batch: the same offers, audit events, notifications and
realtime events as offering its tasks one by one, in a number of statements that does not
grow with the plan."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.db import SessionFactory
from app.core.events import pending_events
from app.core.models import utcnow
from app.dispatch import service
from app.notifications.models import Notification
from app.work_orders import offers
from app.work_orders.channels import task_channel
from app.work_orders.models import OfferStatus, Task, TaskEvent, TaskOffer, TaskStatus
from tests.dispatch import test_service_factories as f
from tests.dispatch.test_service import _queued
from tests.support import StatementCounter

REASON = "planned by dispatch run 1"


async def _effects(session: AsyncSession, task: Task) -> dict[str, Any]:
    """What offering `task` left behind, without ids and clock readings."""
    await session.refresh(task)
    offered = await session.scalars(
        select(TaskOffer).where(col(TaskOffer.task_id) == task.id).order_by(col(TaskOffer.id))
    )
    audit = await session.scalars(
        select(TaskEvent).where(col(TaskEvent.task_id) == task.id).order_by(col(TaskEvent.id))
    )
    notes = await session.scalars(
        select(Notification.event).where(col(Notification.task_id) == task.id)
    )
    return {
        "task": (
            task.status,
            task.technician_id,
            task.scheduled_end - task.scheduled_start
            if task.scheduled_start and task.scheduled_end
            else None,
            task.version,
            task.offer_expires_at is not None,
        ),
        "offers": [(o.technician_id, o.status, o.reason) for o in offered.all()],
        "audit": [
            (e.action, e.from_status, e.to_status, e.reason, e.technician_id) for e in audit.all()
        ],
        "notifications": sorted(str(n) for n in notes.all()),
    }


def _realtime(session: AsyncSession, task: Task, since: int) -> list[tuple[str, str, str]]:
    return [
        ("task" if e.channel == task_channel(task.id or 0) else e.channel, e.kind, e.data["to"])
        for e in pending_events(session)[since:]
        if e.data.get("task_id") == task.id
    ]


async def test_a_batch_leaves_what_offering_one_by_one_leaves(session: AsyncSession) -> None:
    # given pairs of like tasks, one of each pair offered before to the other technician
    d = await f.day(session)
    first, second = d.technicians
    batch = [await f.task(session, d, start=9 + i, end=11 + i) for i in range(4)]
    alone = [await f.task(session, d, start=9 + i, end=11 + i) for i in range(4)]
    for t in (batch[0], alone[0]):
        await offers.assign_task(
            session, f.DISPATCHER, t.id or 0, second.id or 0, f.tomorrow_at(9), reason="desk"
        )
    mark = len(pending_events(session))
    # when one list is offered in a batch and the other task by task
    refused = await offers.offer_planned(
        session,
        f.DISPATCHER,
        [
            offers.PlannedOffer(t.id or 0, first.id or 0, f.tomorrow_at(9 + i), t.version)
            for i, t in enumerate(batch)
        ],
        REASON,
    )
    batch_events = [_realtime(session, t, mark) for t in batch]
    mark = len(pending_events(session))
    for i, t in enumerate(alone):
        await offers.assign_task(
            session,
            f.DISPATCHER,
            t.id or 0,
            first.id or 0,
            f.tomorrow_at(9 + i),
            reason=REASON,
            expected_version=t.version,
        )
    # then nothing was refused and each pair ends alike: task, offers, audit, notifications
    assert refused == {}
    for i, (a, b) in enumerate(zip(batch, alone, strict=True)):
        assert await _effects(session, a) == await _effects(session, b)
        assert a.scheduled_start == b.scheduled_start == f.tomorrow_at(9 + i)
        assert batch_events[i] == _realtime(session, b, mark)
    withdrawn = await _effects(session, batch[0])
    assert [o[1] for o in withdrawn["offers"]] == [OfferStatus.WITHDRAWN, OfferStatus.PENDING]


async def test_a_batch_leaves_alone_what_changed_or_cannot_be_offered(
    session: AsyncSession,
) -> None:
    # given three tasks: one changed since it was planned, one for an archived technician
    d = await f.day(session)
    first, second = d.technicians
    changed, lost, fine = [await f.task(session, d) for _ in range(3)]
    planned_version = changed.version
    changed.priority = 1
    changed.touch()
    second.archived_at = utcnow()
    await session.flush()
    # when the plan is offered
    refused = await offers.offer_planned(
        session,
        f.DISPATCHER,
        [
            offers.PlannedOffer(changed.id or 0, first.id or 0, f.tomorrow_at(10), planned_version),
            offers.PlannedOffer(lost.id or 0, second.id or 0, f.tomorrow_at(10), lost.version),
            offers.PlannedOffer(fine.id or 0, first.id or 0, f.tomorrow_at(10), fine.version),
            offers.PlannedOffer(10**9, first.id or 0, f.tomorrow_at(10), 1),
        ],
        REASON,
    )
    # then only the last task is offered, and the others say why
    assert {k: e.code.value for k, e in refused.items()} == {
        changed.id: "STALE_VERSION",
        lost.id: "NOT_FOUND",
        10**9: "NOT_FOUND",
    }
    for t in (changed, lost, fine):
        await session.refresh(t)
    assert changed.status is lost.status is TaskStatus.UNSCHEDULED
    assert fine.status is TaskStatus.DISPATCHED and fine.technician_id == first.id


async def test_a_batch_costs_the_same_statements_for_3_and_30_tasks(
    session: AsyncSession, statements: StatementCounter
) -> None:
    d = await f.day(session, technicians=3)
    counts = []
    for size in (3, 30):
        tasks = [await f.task(session, d) for _ in range(size)]
        planned = [
            offers.PlannedOffer(
                t.id or 0,
                d.technicians[i % 3].id or 0,
                f.tomorrow_at(9) + timedelta(minutes=i),
                t.version,
            )
            for i, t in enumerate(tasks)
        ]
        statements.reset()
        assert await offers.offer_planned(session, f.DISPATCHER, planned, REASON) == {}
        counts.append(statements.total)
    assert counts[0] == counts[1]


async def test_a_published_run_of_dozens_offers_each_planned_task_once(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    # given 36 tasks over the day for four technicians, one already offered to the first
    d = await f.day(session, technicians=4)
    tasks = [await f.task(session, d, start=8 + i % 9, end=10 + i % 9) for i in range(36)]
    first = d.technicians[0]
    early_id = tasks[0].id or 0
    await offers.assign_task(session, f.DISPATCHER, early_id, first.id or 0, f.tomorrow_at(8))
    run = await _queued(session, d, publish=True)
    # when the run plans and publishes
    done = await service.execute_run(sessions, None, run.id or 0, now=utcnow())
    # then every planned task not kept where it was is offered to its technician at its start
    assert done is not None and done.status.value == "SUCCEEDED", done and done.error
    stops = {
        s["task_id"]: (r["technician_id"], s["start"]) for r in done.routes for s in r["stops"]
    }
    assert len(stops) >= 30
    early = stops.get(early_id)
    tolerance = timedelta(minutes=30)
    kept = early is not None and early[0] == first.id
    kept = kept and abs(datetime.fromisoformat(early[1]) - f.tomorrow_at(8)) <= tolerance  # type: ignore[index]
    for t in tasks:
        await session.refresh(t)
        if t.id not in stops:
            continue
        technician, start = stops[t.id]
        assert t.technician_id == technician
        if kept and t.id == early_id:
            continue
        assert t.status is TaskStatus.DISPATCHED
        assert t.scheduled_start is not None and t.scheduled_start.isoformat() == start
    pending = await session.scalar(
        sa.select(sa.func.count())
        .select_from(TaskOffer)
        .where(
            col(TaskOffer.task_id).in_([t.id for t in tasks]),
            col(TaskOffer.status) == OfferStatus.PENDING,
        )
    )
    assert pending == len(stops) + (early is None)
    assert done.published_count == len(stops) - kept
