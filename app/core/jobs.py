"""Background work, declared by the domains and run by workers of the job engine.

A domain declares in `app/<domain>/jobs.py`:

- `JOBS: list[Job]`: periodic work (offer expiry, SLA sweeps, deliveries, partitions...). The
  engine defers each job once per period across every worker (see `app/core/worker.py`), so
  a period fires once however many workers run, and a period is skipped while the previous
  round still waits for a worker. A slow round may overlap the next one on another worker:
  a job must stay safe to run concurrently (advisory locks or FOR UPDATE SKIP LOCKED inside).
- `TASKS: list[Task]`: work asked for on demand (a dispatch run, a territory's re-plan), queued
  with `enqueue` inside the transaction that calls for it: it exists exactly when that
  transaction commits, and any worker that reaches PostgreSQL may run it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import SessionFactory
from app.core.discovery import domain_modules
from app.core.events import Broker

JobFunction = Callable[[SessionFactory, Broker], Awaitable[object]]
TaskFunction = Callable[..., Awaitable[object]]
"""Called as `run(sessions, broker, retried=..., **arguments)`; `retried` is true when an
earlier attempt stopped without finishing (its worker died), so the task may take over work
that attempt had claimed."""

PERIODIC_QUEUE = "periodic"
DISPATCH_QUEUE = "dispatch"
QUEUES = (PERIODIC_QUEUE, DISPATCH_QUEUE)
"""Every queue a worker serves unless told otherwise (`fieldgraph worker --queues ...`)."""


@dataclass(frozen=True)
class Job:
    """Periodic work: `run(sessions, broker)` about every `every_seconds` (rounded to a cron
    step, one second at the finest) on a worker serving `queue`."""

    name: str
    every_seconds: float
    run: JobFunction
    queue: str = PERIODIC_QUEUE


@dataclass(frozen=True)
class Task:
    """Work on demand: `enqueue(session, name, ...)` queues it, a worker serving `queue` runs it."""

    name: str
    queue: str
    run: TaskFunction


def discover_jobs() -> list[Job]:
    return [job for module in domain_modules("jobs") for job in module.JOBS]


def discover_tasks() -> list[Task]:
    return [task for module in domain_modules("jobs") for task in getattr(module, "TASKS", [])]


_SECOND_STEPS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)
_HOUR_STEPS = (1, 2, 3, 4, 6, 8, 12)


def _step(value: float, steps: tuple[int, ...]) -> int:
    """The largest step no longer than `value` (never run less often than asked)."""
    return max([s for s in steps if s <= value] or [steps[0]])


def cron_of(every_seconds: float) -> str:
    """A cron schedule (seconds as the sixth field) that fires about every `every_seconds`,
    aligned on the clock so every worker computes the same instants."""
    if every_seconds < 60:
        return f"* * * * * */{_step(every_seconds, _SECOND_STEPS)}"
    if every_seconds < 3600:
        return f"*/{_step(every_seconds / 60, _SECOND_STEPS)} * * * *"
    if every_seconds < 86400:
        return f"0 */{_step(every_seconds / 3600, _HOUR_STEPS)} * * *"
    return "0 0 * * *"


_DEFER = sa.text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(CAST(:queue AS varchar), "
    "CAST(:task AS varchar), 0, CAST(:lock AS text), CAST(:queueing_lock AS text), "
    "CAST(:args AS jsonb), NULL)::procrastinate_job_to_defer_v1]))"
)
_PENDING = sa.text(
    "SELECT 1 FROM procrastinate_jobs "
    "WHERE queueing_lock = CAST(:queueing_lock AS text) AND status = 'todo'"
)


async def enqueue(
    session: AsyncSession,
    task: str,
    queue: str,
    *,
    queueing_lock: str | None = None,
    lock: str | None = None,
    **arguments: Any,
) -> int | None:
    """Queue `task` in the caller's transaction: the job exists exactly when the transaction
    commits (and the engine's trigger wakes the workers then). With `queueing_lock`, nothing is
    queued while a job with that lock still waits; None then. `lock`: jobs sharing it run one
    at a time. Uses the engine's versioned SQL API (`procrastinate_defer_jobs_v1`)."""
    if queueing_lock is not None and await session.scalar(
        _PENDING, {"queueing_lock": queueing_lock}
    ):
        return None
    values = {
        "queue": queue,
        "task": task,
        "lock": lock,
        "queueing_lock": queueing_lock,
        "args": json.dumps(arguments),
    }
    try:
        async with session.begin_nested():
            return await session.scalar(_DEFER, values)
    except sa.exc.IntegrityError:  # a concurrent transaction queued the same lock first
        return None
