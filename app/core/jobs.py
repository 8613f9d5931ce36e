"""Periodic background jobs run inside every server process.

A domain declares its jobs in `app/<domain>/jobs.py` as `JOBS: list[Job]`; the runner finds
them by that convention. Several server instances run the same jobs, so each job must be safe
to run concurrently (advisory locks or FOR UPDATE SKIP LOCKED inside it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from app.core.db import SessionFactory
from app.core.discovery import domain_modules
from app.core.events import Broker
from app.core.metrics import timed_job

log = structlog.get_logger("fieldgraph.jobs")

JobFunction = Callable[[SessionFactory, Broker], Awaitable[object]]


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: JobFunction


def discover_jobs() -> list[Job]:
    return [job for module in domain_modules("jobs") for job in module.JOBS]


class JobRunner:
    def __init__(self, jobs: list[Job], sessions: SessionFactory, broker: Broker) -> None:
        self.jobs = jobs
        self.sessions = sessions
        self.broker = broker
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._loop(job), name=job.name) for job in self.jobs]

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _loop(self, job: Job) -> None:
        while not self._stop.is_set():
            try:
                with timed_job(job.name):
                    await job.run(self.sessions, self.broker)
            except Exception:  # one failed round must not stop the job
                log.exception("job failed", job=job.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=job.every_seconds)
