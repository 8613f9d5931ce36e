"""Run part searches in worker processes (OR-Tools holds the GIL while it searches)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor

from app.dispatch.solver.data import RoutingData
from app.dispatch.solver.search import PartResult, SearchConfig, solve_part

Job = tuple[RoutingData, SearchConfig, tuple[tuple[int, ...], ...] | None]


def process_pool(workers: int) -> Executor:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["app.dispatch.solver.search"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def _solve_job(job: Job) -> PartResult:
    data, config, initial_routes = job
    return solve_part(data, config, initial_routes)


def run_jobs(jobs: Sequence[Job], pool: Executor | None) -> list[PartResult]:
    """Results in the order of `jobs`; in this process when there is no pool."""
    if pool is None or len(jobs) <= 1:
        return [_solve_job(job) for job in jobs]
    return list(pool.map(_solve_job, jobs))
