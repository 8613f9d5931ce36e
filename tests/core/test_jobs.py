"""Periodic jobs: run on schedule, survive a failed round, stop cleanly."""

from __future__ import annotations

import asyncio

from app.core.db import SessionFactory
from app.core.events import Broker
from app.core.jobs import Job, JobRunner, discover_jobs


async def test_a_job_runs_repeatedly_and_survives_a_failed_round(
    sessions: SessionFactory, broker: Broker
) -> None:
    rounds: list[int] = []

    async def flaky(sessions: SessionFactory, broker: Broker) -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("first round fails")

    runner = JobRunner([Job("flaky", 0.01, flaky)], sessions, broker)
    runner.start()
    for _ in range(100):
        if len(rounds) >= 3:
            break
        await asyncio.sleep(0.01)
    await runner.stop()

    assert len(rounds) >= 3
    assert all(task.done() for task in runner._tasks)


def test_jobs_are_found_by_convention() -> None:
    jobs = discover_jobs()
    assert all(isinstance(job, Job) and job.every_seconds > 0 for job in jobs)
    assert len({job.name for job in jobs}) == len(jobs)
