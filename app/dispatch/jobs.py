"""Periodic dispatch work, safe on every server process: queued runs (claimed atomically),
debounced re-plans (per-territory advisory lock) and expired slot holds."""

from __future__ import annotations

import asyncio

from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker
from app.core.jobs import Job
from app.core.models import utcnow
from app.dispatch import replan, service, slots
from app.dispatch.models import DispatchRun, RunStatus
from app.dispatch.settings import dispatch_settings

_background: set[asyncio.Task[None]] = set()


async def run_queued(sessions: SessionFactory, broker: Broker) -> None:
    async with unit_of_work(sessions, None) as session:
        queued = await service.queued_runs(session, dispatch_settings().workers)
    await asyncio.gather(*(service.execute_run(sessions, broker, run) for run in queued))


async def replan_due(sessions: SessionFactory, broker: Broker) -> None:
    now = utcnow()
    async with unit_of_work(sessions, None) as session:
        due = await replan.due_territories(
            session, now, dispatch_settings().replan_debounce_seconds
        )
    await asyncio.gather(
        *(replan.replan_territory(sessions, broker, territory, now=now) for territory in due)
    )


async def expire_holds(sessions: SessionFactory, broker: Broker) -> None:
    async with unit_of_work(sessions, broker) as session:
        await slots.expire_holds(session)


def start_soon(sessions: SessionFactory, broker: Broker, run_id: int) -> None:
    """Start a run as soon as the mutation that queued it has committed (the periodic job
    picks it up otherwise)."""
    task = asyncio.get_running_loop().create_task(_start(sessions, broker, run_id))
    _background.add(task)
    task.add_done_callback(_background.discard)


async def _start(sessions: SessionFactory, broker: Broker, run_id: int) -> None:
    for _ in range(50):
        await asyncio.sleep(0.1)
        if await service.execute_run(sessions, broker, run_id) is not None:
            return
        async with sessions() as session:
            run = await session.get(DispatchRun, run_id)
            if run is not None and run.status is not RunStatus.QUEUED:
                return


JOBS: list[Job] = [
    Job("dispatch-runs", 2.0, run_queued),
    Job("dispatch-replan", 5.0, replan_due),
    Job("dispatch-holds", 60.0, expire_holds),
]
