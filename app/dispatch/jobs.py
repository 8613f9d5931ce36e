"""Dispatch work on the job engine: each run and each territory's re-plan is a job of the
`dispatch` queue, so territories are solved in parallel across workers, each in its worker's
own process pool; expired slot holds are swept periodically."""

from __future__ import annotations

import sqlalchemy as sa

from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker
from app.core.jobs import DISPATCH_QUEUE, Job, Task, enqueue
from app.core.models import utcnow
from app.dispatch import replan, service, slots
from app.dispatch.settings import dispatch_settings

REPLAN_TERRITORY = "dispatch.replan_territory"


async def execute_run(
    sessions: SessionFactory, broker: Broker, *, retried: bool, run_id: int
) -> None:
    await service.execute_run(sessions, broker, run_id, retake=retried, report_progress=True)


async def replan_territory(
    sessions: SessionFactory, broker: Broker, *, retried: bool, territory_id: int
) -> None:
    await replan.replan_territory(sessions, broker, territory_id, now=utcnow())


_ORPHANS = sa.text(
    "SELECT r.id FROM dispatch_runs r WHERE r.status = 'QUEUED' AND NOT EXISTS ("
    " SELECT 1 FROM procrastinate_jobs j WHERE j.queueing_lock = 'dispatch-run:' || r.id"
    " AND j.status IN ('todo', 'doing')) ORDER BY r.id LIMIT 100"
)


_ABANDONED = sa.text(
    "SELECT r.id FROM dispatch_runs r WHERE r.status = 'RUNNING'"
    " AND r.started_at < now() - make_interval(secs => r.time_limit_seconds + :grace)"
    " AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j"
    " WHERE j.queueing_lock = 'dispatch-run:' || r.id AND j.status IN ('todo', 'doing'))"
    " ORDER BY r.id LIMIT 100"
)
ABANDONED_GRACE_SECONDS = 300
"""A RUNNING run with no job left to finish it, this long past its time limit, has failed."""
ABANDONED = "no worker is left to finish this run (its job failed or was removed); run it again"


async def queue_orphan_runs(sessions: SessionFactory, broker: Broker) -> int:
    """QUEUED runs without a live job (queued before the engine, or whose job was deleted by
    hand) are queued again, a run being solved once whatever the number of its jobs; RUNNING
    runs that no job will finish any more are FAILED, so nobody waits on them."""
    async with unit_of_work(sessions, broker) as session:
        orphans = list((await session.scalars(_ORPHANS)).all())
        for run_id in orphans:
            await service.enqueue_run(session, run_id)
        abandoned = await session.scalars(_ABANDONED, {"grace": ABANDONED_GRACE_SECONDS})
        for run_id in abandoned.all():
            await service.fail_run(session, run_id, ABANDONED)
    return len(orphans)


async def queue_due_replans(sessions: SessionFactory, broker: Broker) -> int:
    """A re-plan job per territory quiet for the debounce (one waiting per territory)."""
    async with unit_of_work(sessions, None) as session:
        due = await replan.due_territories(
            session, utcnow(), dispatch_settings().replan_debounce_seconds
        )
        for territory_id in due:
            await enqueue(
                session,
                REPLAN_TERRITORY,
                DISPATCH_QUEUE,
                queueing_lock=f"dispatch-replan:{territory_id}",
                territory_id=territory_id,
            )
    return len(due)


async def expire_holds(sessions: SessionFactory, broker: Broker) -> None:
    async with unit_of_work(sessions, broker) as session:
        await slots.expire_holds(session)


JOBS: list[Job] = [
    Job("dispatch-runs", 30.0, queue_orphan_runs),
    Job("dispatch-replan", 5.0, queue_due_replans),
    Job("dispatch-holds", 60.0, expire_holds),
]
TASKS: list[Task] = [
    Task(service.EXECUTE_RUN, DISPATCH_QUEUE, execute_run),
    Task(REPLAN_TERRITORY, DISPATCH_QUEUE, replan_territory),
]
