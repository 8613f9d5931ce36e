"""Dispatch runs on the job engine: runDispatch queues the run's job in its own transaction, a
retried job takes over a run its dead worker left RUNNING, and the periodic sweep re-queues
runs without a job and fails those that no job will finish."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.db import SessionFactory
from app.core.models import utcnow
from app.dispatch import jobs, service
from app.dispatch.models import DispatchRun, DispatchRunCreate, RunStatus
from schema.ids import decode_id
from tests.dispatch import test_service_factories as f
from tests.dispatch.test_service import RUN_DISPATCH, run_input
from tests.support import GraphQLClient


async def _jobs_of(session: AsyncSession, run_id: int) -> list[tuple[str, str, Any]]:
    rows = await session.execute(
        sa.text(
            "SELECT task_name, status::text, args FROM procrastinate_jobs"
            " WHERE queueing_lock = :lock ORDER BY id"
        ),
        {"lock": f"dispatch-run:{run_id}"},
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def _run(session: AsyncSession, d: f.Day, status: RunStatus, **values: Any) -> DispatchRun:
    """A run written as a worker would have left it, with no job behind it."""
    assert d.territory.id is not None
    data = DispatchRunCreate(
        territory_id=d.territory.id,
        horizon_start=f.tomorrow_at(0),
        horizon_end=f.tomorrow_at(24),
        time_limit_seconds=1,
    )
    run = DispatchRun(
        **data.model_dump(), requested_by="t", requested_role="DISPATCHER", status=status, **values
    )
    session.add(run)
    await session.commit()
    return run


async def test_run_dispatch_queues_the_runs_job_in_its_transaction(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a territory with work
    d = await f.day(session)
    await f.task(session, d)
    await session.commit()
    # when a dispatcher asks for a run
    payload = await gql.as_role(Role.DISPATCHER).mutate(RUN_DISPATCH, run_input(d))
    # then the QUEUED run and its job were committed together
    run_id = decode_id(payload["dispatchRun"]["id"], "DispatchRun")
    assert payload["dispatchRun"]["status"] == "QUEUED"
    assert await _jobs_of(session, run_id) == [("dispatch.execute_run", "todo", {"run_id": run_id})]


async def test_a_retried_job_takes_over_a_run_left_running_by_a_dead_worker(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    # given a run a worker claimed and then died on (its plan was never committed)
    d = await f.day(session)
    await f.task(session, d)
    run = await _run(session, d, RunStatus.RUNNING, started_at=utcnow(), progress=0.4)
    assert run.id is not None
    # when a first attempt would run it, it leaves it alone; a retried one plans it
    assert await service.execute_run(sessions, None, run.id) is None
    done = await service.execute_run(sessions, None, run.id, now=utcnow(), retake=True)
    # then the run is planned once, by the retry
    assert done is not None and done.status is RunStatus.SUCCEEDED, done and done.error
    assert done.task_count == 1 and done.progress == 1.0
    # and a run already finished is not taken over again
    assert await service.execute_run(sessions, None, run.id, retake=True) is None


async def test_the_sweep_requeues_runs_without_a_job_and_fails_abandoned_ones(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    # given a queued run whose job is gone, a run that no job will finish, and a fresh one
    d = await f.day(session)
    orphan = await _run(session, d, RunStatus.QUEUED)
    long_ago = utcnow() - timedelta(seconds=jobs.ABANDONED_GRACE_SECONDS + 60)
    abandoned = await _run(session, d, RunStatus.RUNNING, started_at=long_ago)
    running = await _run(session, d, RunStatus.RUNNING, started_at=utcnow())
    assert orphan.id and abandoned.id and running.id
    # when the periodic sweep runs
    await jobs.queue_orphan_runs(sessions, None)  # type: ignore[arg-type]
    # then the orphan has a job again, the abandoned run failed, the running one is untouched
    assert await _jobs_of(session, orphan.id) == [
        ("dispatch.execute_run", "todo", {"run_id": orphan.id})
    ]
    for run in (abandoned, running):
        await session.refresh(run)
    assert abandoned.status is RunStatus.FAILED and abandoned.error == jobs.ABANDONED
    assert running.status is RunStatus.RUNNING and running.error is None
    # and a second sweep queues nothing more
    await jobs.queue_orphan_runs(sessions, None)  # type: ignore[arg-type]
    assert len(await _jobs_of(session, orphan.id)) == 1
