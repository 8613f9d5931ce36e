"""Workers of the job engine: Procrastinate, on the PostgreSQL the project already requires.

`build_engine` registers every domain's periodic `Job` and on-demand `Task` (see
`app/core/jobs.py`) on one Procrastinate app; `Worker` runs it in this process, beside the API
(`RUN_JOBS`, the embedded default of `make run`) or alone (`fieldgraph worker`), as many as
wanted on any machine that reaches PostgreSQL and Redis.

- Periodic jobs: every worker's deferrer proposes each period, the database keeps one job per
  period (and at most one waiting per job), so a period fires once across all workers.
- A worker that dies mid-job (a kill, a lost machine) stops sending heartbeats; every
  `WORKER_STALLED_CHECK_SECONDS` one live worker puts the jobs of workers silent for
  `WORKER_STALLED_SECONDS` back in the queue, and another worker runs them again (told it is a
  retry, see `TaskFunction`).
- Finished jobs are kept `WORKER_KEEP_HOURS` for inspection, then deleted.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from functools import lru_cache
from typing import Any

import procrastinate
import structlog
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker
from app.core.jobs import QUEUES, Job, Task, cron_of, discover_jobs, discover_tasks
from app.core.metrics import timed_job

log = structlog.get_logger("fieldgraph.worker")

ENGINE_QUEUE = "engine"
"""The engine's own upkeep (stalled jobs, retention): served by every worker."""
TASK_RETRIES = 3
"""An on-demand task that raises, or is cut off by its worker's shutdown, runs again (a second
later) up to this many times."""
STALLED_RETRIES = 3
"""A job whose worker died this many times is failed rather than queued again (it may be what
kills its workers)."""


class WorkerSettings(BaseSettings):
    """Job engine workers, read from the environment (`WORKER_...`)."""

    model_config = SettingsConfigDict(env_prefix="WORKER_", env_file=".env", extra="ignore")

    concurrency: int = Field(default=4, ge=1, le=64)
    """Jobs one worker runs at once (a dispatch run solves in the worker's own process pool)."""
    heartbeat_seconds: float = Field(default=10.0, gt=0)
    """How often a worker tells the database it is alive."""
    stalled_seconds: float = Field(default=30.0, gt=0)
    """A worker silent this long is taken for dead: its running jobs are queued again."""
    stalled_check_seconds: float = Field(default=30.0, gt=0)
    """How often a worker looks for jobs of dead workers."""
    shutdown_seconds: float = Field(default=20.0, ge=0)
    """On shutdown, running jobs get this long to finish before they are aborted."""
    keep_hours: int = Field(default=72, ge=1)
    """Finished jobs are deleted after this many hours."""
    pool_size: int = Field(default=4, ge=2, le=64)
    """Database connections of the engine per worker process."""


@lru_cache(maxsize=1)
def worker_settings() -> WorkerSettings:
    return WorkerSettings()


def conninfo(database_url: str) -> str:
    """The SQLAlchemy URL (`postgresql+asyncpg://...`) as a libpq connection string."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


def build_engine(
    settings: Settings,
    config: WorkerSettings | None = None,
    jobs: list[Job] | None = None,
    tasks: list[Task] | None = None,
) -> procrastinate.App:
    """A Procrastinate app with every domain's jobs and tasks (or those given) registered."""
    config = config or worker_settings()
    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(settings.database_url),
        min_size=1,
        max_size=config.pool_size,
        kwargs={"application_name": f"fieldgraph-worker:{socket.gethostname()}:{os.getpid()}"},
    )
    engine = procrastinate.App(connector=connector)
    for job in discover_jobs() if jobs is None else jobs:
        _register_job(engine, job)
    for task in discover_tasks() if tasks is None else tasks:
        _register_task(engine, task)
    _register_upkeep(engine, config)
    return engine


def _runtime(context: procrastinate.JobContext) -> tuple[SessionFactory, Broker]:
    extra = context.additional_context
    return extra["sessions"], extra["broker"]


def _register_job(engine: procrastinate.App, job: Job) -> None:
    async def run(context: procrastinate.JobContext, timestamp: int) -> None:
        sessions, broker = _runtime(context)
        with timed_job(job.name):
            await job.run(sessions, broker)

    task = engine.task(
        name=job.name,
        queue=job.queue,
        pass_context=True,
        # At most one round waiting. No `lock` (one round running at a time): a round held by
        # a dead worker would hold back every later one until it is taken for dead. Rounds may
        # overlap across workers, so jobs stay safe to run concurrently (advisory locks, SKIP
        # LOCKED), as they were when every server ran them.
        queueing_lock=job.name,
    )(run)
    engine.periodic(cron=cron_of(job.every_seconds), periodic_id=job.name)(task)


def _register_task(engine: procrastinate.App, task: Task) -> None:
    async def run(context: procrastinate.JobContext, **arguments: Any) -> None:
        sessions, broker = _runtime(context)
        retried = context.job.attempts > 0
        log.info("job started", task=task.name, job=context.job.id, retried=retried, **arguments)
        with timed_job(task.name):
            await task.run(sessions, broker, retried=retried, **arguments)

    retry = procrastinate.RetryStrategy(max_attempts=TASK_RETRIES, wait=1)
    engine.task(name=task.name, queue=task.queue, pass_context=True, retry=retry)(run)


def _register_upkeep(engine: procrastinate.App, config: WorkerSettings) -> None:
    async def retry_stalled(context: procrastinate.JobContext, timestamp: int) -> int:
        manager = context.app.job_manager
        stalled = list(
            await manager.get_stalled_jobs(seconds_since_heartbeat=config.stalled_seconds)
        )
        for job in stalled:
            if job.attempts >= STALLED_RETRIES:
                log.error("job failed: its workers died", job=job.id, task=job.task_name)
                await manager.finish_job(job, procrastinate.jobs.Status.FAILED, delete_job=False)
                continue
            log.warning("job of a dead worker queued again", job=job.id, task=job.task_name)
            await manager.retry_job(job)
        await manager.prune_stalled_workers(config.stalled_seconds)
        return len(stalled)

    async def delete_old(context: procrastinate.JobContext, timestamp: int) -> None:
        await context.app.job_manager.delete_old_jobs(
            nb_hours=config.keep_hours, include_failed=True, include_aborted=True
        )

    for name, function, every in (
        ("engine.retry_stalled", retry_stalled, config.stalled_check_seconds),
        ("engine.delete_old", delete_old, 3600.0),
    ):
        task = engine.task(name=name, queue=ENGINE_QUEUE, pass_context=True, queueing_lock=name)(
            function
        )
        engine.periodic(cron=cron_of(every), periodic_id=name)(task)


class Worker:
    """One worker of the engine in this process, on the caller's sessions and broker."""

    def __init__(
        self,
        settings: Settings,
        sessions: SessionFactory,
        broker: Broker,
        *,
        queues: list[str] | None = None,
        config: WorkerSettings | None = None,
        jobs: list[Job] | None = None,
        tasks: list[Task] | None = None,
    ) -> None:
        """`jobs` and `tasks`: every domain's unless given."""
        self.config = config or worker_settings()
        self.engine = build_engine(settings, self.config, jobs, tasks)
        self.sessions = sessions
        self.broker = broker
        self.queues = [*(queues or QUEUES), ENGINE_QUEUE]
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        logging.getLogger("procrastinate").setLevel(logging.WARNING)
        await self.engine.open_async()
        self._task = asyncio.create_task(self._run(), name="job worker")
        log.info("worker started", queues=self.queues, concurrency=self.config.concurrency)

    async def _run(self) -> None:
        await self.engine.run_worker_async(
            queues=self.queues,
            name=f"{socket.gethostname()}:{os.getpid()}",
            concurrency=self.config.concurrency,
            additional_context={"sessions": self.sessions, "broker": self.broker},
            install_signal_handlers=False,
            update_heartbeat_interval=self.config.heartbeat_seconds,
            stalled_worker_timeout=self.config.stalled_seconds,
            shutdown_graceful_timeout=self.config.shutdown_seconds,
        )

    async def wait(self) -> None:
        """Until the worker stops (it stops only when asked, or when it breaks)."""
        assert self._task is not None
        await asyncio.shield(self._task)

    async def stop(self) -> None:
        """Stop fetching, let running jobs finish (up to `shutdown_seconds`), disconnect."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.engine.close_async()
        log.info("worker stopped")


async def embedded_worker(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> Worker | None:
    """The API process's own worker when `RUN_JOBS` (the one-process default), started."""
    if not settings.run_jobs:
        return None
    worker = Worker(settings, sessions, broker)
    await worker.start()
    return worker


async def serve_worker(settings: Settings, queues: list[str] | None = None) -> None:
    """`fieldgraph worker`: a worker alone in its process, until SIGTERM or SIGINT, which let
    running jobs finish (up to `WORKER_SHUTDOWN_SECONDS`) before it exits."""
    import signal

    from app.core.db import create_engine, create_session_factory
    from app.core.discovery import load_domain_settings

    load_domain_settings()
    database = create_engine(settings)
    broker = Broker(settings.redis_url)
    await broker.connect()
    worker = Worker(settings, create_session_factory(database), broker, queues=queues)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    try:
        await worker.start()
        done = asyncio.create_task(worker.wait())
        await asyncio.wait(
            [done, asyncio.create_task(stopping.wait())], return_when="FIRST_COMPLETED"
        )
    finally:
        await worker.stop()
        await broker.disconnect()
        await database.dispose()
