"""Periodic background jobs run inside every server process.

A domain declares its jobs in `app/<domain>/jobs.py` as `JOBS: list[Job]`; the runner finds
them by that convention. Several server instances run the same jobs, so each job must be safe
to run concurrently (advisory locks or FOR UPDATE SKIP LOCKED inside it).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from app.core.db import SessionFactory
from app.core.events import Broker

log = structlog.get_logger("fieldgraph.jobs")

JobFunction = Callable[[SessionFactory, Broker], Awaitable[object]]


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: JobFunction


def discover_jobs() -> list[Job]:
    import app

    jobs: list[Job] = []
    for module in pkgutil.iter_modules(app.__path__):
        name = f"app.{module.name}.jobs"
        if module.ispkg and module.name != "core" and importlib.util.find_spec(name):
            jobs.extend(importlib.import_module(name).JOBS)
    return jobs


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
                await job.run(self.sessions, self.broker)
            except Exception:  # one failed round must not stop the job
                log.exception("job failed", job=job.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=job.every_seconds)
