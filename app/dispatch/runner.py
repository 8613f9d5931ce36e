"""The solver off the event loop: a bounded pool of worker processes owned by this module.

OR-Tools holds the GIL for the whole search, so a thread would freeze the server's event loop;
a process keeps the loop's lag at milliseconds. Problems and plans are plain picklable data.
Territories are planned independently, so several run side by side, up to the pool's size.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor

from app.dispatch.problem import Plan, Problem
from app.dispatch.settings import dispatch_settings
from app.dispatch.solver import SolveOptions, solve

_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def pool() -> ProcessPoolExecutor:
    """The module's pool, started on first use with `DISPATCH_WORKERS` processes."""
    global _pool
    with _lock:
        if _pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["app.dispatch.solver"])
            _pool = ProcessPoolExecutor(max_workers=dispatch_settings().workers, mp_context=context)
        return _pool


def shutdown() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None


def solve_in_worker(
    problem: Problem, time_limit: float, start_from: Mapping[str, Sequence[str]] | None = None
) -> Plan:
    """Runs inside a worker process: one search process per territory, the pool gives the
    parallelism across territories."""
    return solve(problem, SolveOptions(time_limit=time_limit, workers=1, start_from=start_from))


async def solve_off_loop(
    problem: Problem,
    time_limit: float,
    executor: Executor | None = None,
    start_from: Mapping[str, Sequence[str]] | None = None,
) -> Plan:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        executor or pool(), solve_in_worker, problem, time_limit, start_from
    )
