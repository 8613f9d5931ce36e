"""Background work on the job engine: found by convention, scheduled on the clock, queued in
the caller's transaction, run by a worker that survives a failed round and stops cleanly."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from uuid import uuid4

import croniter
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker
from app.core.jobs import Job, Task, cron_of, discover_jobs, discover_tasks, enqueue
from app.core.worker import Worker, WorkerSettings


def test_jobs_and_tasks_are_found_by_convention() -> None:
    jobs, tasks = discover_jobs(), discover_tasks()
    assert all(isinstance(job, Job) and job.every_seconds > 0 for job in jobs)
    assert all(isinstance(task, Task) for task in tasks)
    names = [job.name for job in jobs] + [task.name for task in tasks]
    assert len(set(names)) == len(names)
    assert {"sla-sweep", "expire-offers", "dispatch.execute_run"} <= set(names)


@pytest.mark.parametrize(
    ("every", "spacing"),
    [(0.2, 1), (2, 2), (7, 6), (30, 30), (60, 60), (300, 300), (900, 900), (3600, 3600)],
)
def test_an_interval_becomes_a_clock_aligned_schedule_never_slower(
    every: float, spacing: int
) -> None:
    ticks = croniter.croniter(cron_of(every), datetime(2026, 3, 1, 10, 0, 1, tzinfo=UTC))
    first, second = ticks.get_next(datetime), ticks.get_next(datetime)
    assert (second - first).total_seconds() == spacing <= max(every, 1)


async def _jobs(session: AsyncSession, lock: str) -> list[tuple[str, str]]:
    rows = await session.execute(
        sa.text("SELECT task_name, status::text FROM procrastinate_jobs WHERE queueing_lock = :l"),
        {"l": lock},
    )
    return [(r[0], r[1]) for r in rows]


async def test_a_task_is_queued_once_per_lock_inside_the_callers_transaction(
    session: AsyncSession,
) -> None:
    lock = f"test:{uuid4()}"
    # when the same work is asked for twice while the first job still waits
    first = await enqueue(session, "test.work", "periodic", queueing_lock=lock, item=1)
    second = await enqueue(session, "test.work", "periodic", queueing_lock=lock, item=1)
    # then one job waits, visible to the transaction that queued it
    assert first is not None and second is None
    assert await _jobs(session, lock) == [("test.work", "todo")]
    args = await session.scalar(
        sa.text("SELECT args FROM procrastinate_jobs WHERE id = :id"), {"id": first}
    )
    assert args == {"item": 1}


async def test_a_rolled_back_transaction_queues_nothing(sessions: SessionFactory) -> None:
    lock = f"test:{uuid4()}"
    async with sessions() as session:
        await enqueue(session, "test.work", "periodic", queueing_lock=lock)
        await session.rollback()
    async with sessions() as session:
        assert await _jobs(session, lock) == []


async def test_a_worker_runs_a_periodic_job_every_period_through_a_failed_round_and_stops(
    settings: Settings, committed_database: str, committed_sessions: SessionFactory
) -> None:
    rounds: list[float] = []
    three = asyncio.Event()

    async def flaky(sessions: SessionFactory, broker: Broker) -> None:
        rounds.append(asyncio.get_running_loop().time())
        if len(rounds) == 3:
            three.set()
        if len(rounds) == 1:
            raise RuntimeError("first round fails")

    name = f"test.flaky.{uuid4().hex[:8]}"
    broker = Broker(None)
    await broker.connect()
    worker = Worker(
        settings.model_copy(update={"database_url": committed_database}),
        committed_sessions,
        broker,
        config=WorkerSettings(heartbeat_seconds=1),
        jobs=[Job(name, 1, flaky)],
        tasks=[],
    )
    try:
        await worker.start()
        await asyncio.wait_for(three.wait(), timeout=15)
        await asyncio.wait_for(worker.stop(), timeout=10)
    finally:
        await broker.disconnect()

    # then rounds went on after the failed one, about a second apart, and the worker is gone
    assert len(rounds) >= 3
    assert all(0.5 < b - a < 2.5 for a, b in itertools.pairwise(rounds))
    async with committed_sessions() as session:
        statuses = await session.scalars(
            sa.text("SELECT status::text FROM procrastinate_jobs WHERE task_name = :n ORDER BY id"),
            {"n": name},
        )
        assert list(statuses)[:3] == ["failed", "succeeded", "succeeded"]
        alive = await session.scalar(sa.text("SELECT count(*) FROM procrastinate_workers"))
    assert worker._task is None and alive == 0
