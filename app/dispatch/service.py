"""Dispatch runs: queued by a dispatcher, solved in a worker process, recorded and published.

`request_run` only writes the QUEUED run (the mutation returns at once); `execute_run` claims
it, plans the territory under its advisory lock (never two plans of one territory at once),
solves off the event loop and records the plan, offering it to technicians when asked.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from concurrent.futures import Executor
from datetime import datetime, timedelta

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.core import metrics
from app.core.auth import Principal
from app.core.db import SessionFactory, unit_of_work
from app.core.errors import NotFound
from app.core.events import Broker, queue_event
from app.core.jobs import DISPATCH_QUEUE, enqueue
from app.core.models import utcnow
from app.dispatch import plans
from app.dispatch.models import DispatchRun, DispatchRunCreate, RunKind, RunStatus
from app.dispatch.problem_builder import BuildOptions, build_problem, load_facts
from app.dispatch.runner import solve_off_loop
from app.dispatch.settings import dispatch_settings
from app.territories.models import Territory

log = structlog.get_logger("fieldgraph.dispatch")

LOCK_NAMESPACE = 0x44535043
"""First key of the per-territory advisory lock ("DSPC")."""
RUN_EVENT = "DISPATCH_RUN_CHANGED"
EXECUTE_RUN = "dispatch.execute_run"
"""The job that solves one run (see `app/dispatch/jobs.py`)."""
PROGRESS_SECONDS = 1.0
"""How often a running run's progress is written while its solver searches."""


def runs_channel(territory_id: int) -> str:
    return f"territory:{territory_id}:dispatch"


async def lock_territory(session: AsyncSession, territory_id: int) -> None:
    """Hold the territory's planning lock until this transaction ends (waits for it)."""
    await session.execute(select(func.pg_advisory_xact_lock(LOCK_NAMESPACE, territory_id)))


async def try_lock_territory(session: AsyncSession, territory_id: int) -> bool:
    locked = await session.scalar(
        select(func.pg_try_advisory_xact_lock(LOCK_NAMESPACE, territory_id))
    )
    return bool(locked)


async def request_run(
    session: AsyncSession, principal: Principal, data: DispatchRunCreate
) -> DispatchRun:
    territory = await session.get(Territory, data.territory_id)
    if territory is None or territory.archived_at is not None:
        raise NotFound("territory", ["territoryId"])
    run = DispatchRun(
        **data.model_dump(),
        requested_by=principal.subject,
        requested_role=principal.role.value,
    )
    session.add(run)
    await session.flush()
    assert run.id is not None
    await enqueue_run(session, run.id)
    _announce(session, run)
    return run


async def enqueue_run(session: AsyncSession, run_id: int) -> int | None:
    """Queue the solving of a QUEUED run in the caller's transaction: a worker of the job
    engine, on any machine, takes it once the transaction commits."""
    return await enqueue(
        session, EXECUTE_RUN, DISPATCH_QUEUE, queueing_lock=f"dispatch-run:{run_id}", run_id=run_id
    )


def _announce(session: AsyncSession, run: DispatchRun) -> None:
    queue_event(
        session,
        runs_channel(run.territory_id),
        RUN_EVENT,
        {"run_id": run.id, "status": run.status.value, "territory_id": run.territory_id},
    )


async def claim(session: AsyncSession, run_id: int, *, retake: bool = False) -> bool:
    """QUEUED -> RUNNING for exactly one caller. With `retake` (the job's earlier attempt died
    with its worker), a RUNNING run is taken over as well."""
    taken = [RunStatus.QUEUED, RunStatus.RUNNING] if retake else [RunStatus.QUEUED]
    claimed = await session.scalar(
        sa.update(DispatchRun)
        .where(col(DispatchRun.id) == run_id, col(DispatchRun.status).in_(taken))
        .values(
            status=RunStatus.RUNNING,
            started_at=sa.func.coalesce(col(DispatchRun.started_at), utcnow()),
            progress=0.05,
        )
        .returning(col(DispatchRun.id))
    )
    return claimed is not None


async def queued_runs(session: AsyncSession, limit: int) -> list[int]:
    rows = await session.scalars(
        select(DispatchRun.id)
        .where(col(DispatchRun.status) == RunStatus.QUEUED)
        .order_by(col(DispatchRun.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [r for r in rows.all() if r is not None]


async def execute_run(
    sessions: SessionFactory,
    broker: Broker | None,
    run_id: int,
    *,
    now: datetime | None = None,
    executor: Executor | None = None,
    retake: bool = False,
    report_progress: bool = False,
) -> DispatchRun | None:
    """Plan a queued run to its end (SUCCEEDED or FAILED); None when another worker has it.
    With `retake`, a run left RUNNING by a dead worker is planned again (its plan was never
    committed: planning is one transaction); one still being planned by a live worker is
    waited for (the territory lock) and left as that worker ends it. With `report_progress`
    (sessions of their own connections, as a worker has), progress is written while solving."""
    async with unit_of_work(sessions, broker) as session:
        if not await claim(session, run_id, retake=retake):
            return None
        run = await session.get(DispatchRun, run_id)
        assert run is not None
        _announce(session, run)
    try:
        async with (
            _progress(sessions, broker, run_id, run.time_limit_seconds, report_progress),
            unit_of_work(sessions, broker) as session,
        ):
            run = await session.get(DispatchRun, run_id)
            assert run is not None
            await lock_territory(session, run.territory_id)
            await session.refresh(run)
            if run.status is not RunStatus.RUNNING:
                return run
            keep = dispatch_settings().replan_move_minutes if run.from_current_plan else None
            await plan_run(session, run, now=now or utcnow(), executor=executor, keep_minutes=keep)
            return run
    except Exception as error:
        log.exception("dispatch run failed", run=run_id)
        async with unit_of_work(sessions, broker) as session:
            return await fail_run(session, run_id, str(error))


async def fail_run(session: AsyncSession, run_id: int, error: str) -> DispatchRun:
    run = await session.get(DispatchRun, run_id)
    assert run is not None
    run.status, run.error, run.finished_at = RunStatus.FAILED, error[:2000], utcnow()
    _announce(session, run)
    return run


@contextlib.asynccontextmanager
async def _progress(
    sessions: SessionFactory, broker: Broker | None, run_id: int, time_limit: float, on: bool
) -> AsyncIterator[None]:
    """While the run is planned, its progress (the share of the time limit used, up to 0.95)
    is written and announced every `PROGRESS_SECONDS`, for clients polling or subscribed."""

    async def tick() -> None:
        started = asyncio.get_running_loop().time()
        while True:
            await asyncio.sleep(PROGRESS_SECONDS)
            used = (asyncio.get_running_loop().time() - started) / max(time_limit, 0.1)
            async with unit_of_work(sessions, broker) as session:
                run = await session.scalar(
                    sa.update(DispatchRun)
                    .where(
                        col(DispatchRun.id) == run_id, col(DispatchRun.status) == RunStatus.RUNNING
                    )
                    .values(progress=round(min(0.95, 0.05 + 0.9 * used), 3))
                    .returning(DispatchRun)
                )
                if run is None:
                    return
                _announce(session, run)

    if not on:
        yield
        return
    ticker = asyncio.create_task(tick(), name=f"dispatch run {run_id} progress")
    try:
        yield
    finally:
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)


async def plan_run(
    session: AsyncSession,
    run: DispatchRun,
    *,
    now: datetime,
    executor: Executor | None = None,
    keep_minutes: int | None = None,
) -> DispatchRun:
    """Inside the caller's transaction: lock, build, solve (off the loop), record, publish."""
    config = dispatch_settings()
    await lock_territory(session, run.territory_id)
    facts = await load_facts(session, run.territory_id, run.horizon_start, run.horizon_end, now)
    built = build_problem(facts, BuildOptions(now=now, keep_minutes=keep_minutes), config)
    # A re-plan starts from the plan in force so that assignments move only where that pays.
    start_from = built.current_routes() if keep_minutes is not None else None
    plan = await solve_off_loop(built.problem, run.time_limit_seconds, executor, start_from)
    stops = plans.planned_stops(built, plan)
    tolerance = timedelta(minutes=config.replan_move_minutes)
    plans.record(run, built, plan, stops)
    metrics.dispatch_run_finished(
        plan.stats.solve_seconds,
        run.assigned_count,
        run.unassigned_count,
        run.pinned_count,
        plan.stats.travel_time,
    )
    run.moved_count = len(plans.moved(built, stops, tolerance))
    if run.publish:
        run.published_count = await plans.publish(session, run, built, stops, tolerance)
    run.status, run.progress, run.finished_at = RunStatus.SUCCEEDED, 1.0, utcnow()
    if run.kind is RunKind.REPLAN:
        run.started_at = run.started_at or now
    _announce(session, run)
    await session.flush()
    return run
