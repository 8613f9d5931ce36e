"""The solver off the event loop: a bounded pool of worker processes owned by this module.

OR-Tools holds the GIL for the whole search, so a thread would freeze the server's event loop;
a process keeps the loop's lag at milliseconds. Problems and plans are plain picklable data.
Territories are planned independently, so several run side by side, up to the pool's size.

A worker that dies (a crash in native code, a kill) breaks the whole pool: the run it was
planning fails with `SolverCrashed`, the broken pool is dropped and the next run starts a new
one; a pool found broken before a run is replaced and the run goes ahead.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import structlog

from app.dispatch.settings import dispatch_settings
from app.dispatch.solver import SolveOptions, solve
from app.dispatch.solver.orchestrate import PYVRP_SINGLE_PART_MAX_TASKS
from app.dispatch.solver.problem import Plan, Problem

log = structlog.get_logger("fieldgraph.dispatch")

_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()
replaced_pools = 0
"""Broken pools replaced since this process started."""


class SolverCrashed(RuntimeError):
    """The solver's worker process died while planning; the run failed, the pool is new."""


def pool() -> ProcessPoolExecutor:
    """The module's pool, started on first use with `DISPATCH_WORKERS` processes."""
    global _pool
    with _lock:
        if _pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["app.dispatch.solver"])
            _pool = ProcessPoolExecutor(max_workers=dispatch_settings().workers, mp_context=context)
        return _pool


def _discard(broken: Executor) -> None:
    """Drop `broken` if it is still the module's pool (another run may have replaced it)."""
    global _pool, replaced_pools
    with _lock:
        if _pool is not broken:
            return
        _pool = None
        replaced_pools += 1
    broken.shutdown(wait=False, cancel_futures=True)
    log.warning("dispatch solver pool broken, replaced", replaced=replaced_pools)


def shutdown() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None


def solve_in_worker(
    problem: Problem,
    time_limit: float,
    start_from: Mapping[str, Sequence[str]] | None = None,
    workers: int = 1,
) -> Plan:
    """Runs inside a worker process: one search process per territory, the pool gives the
    parallelism across territories (`workers` more for a territory planned by parts)."""
    options = SolveOptions(time_limit=time_limit, workers=workers, start_from=start_from)
    return solve(problem, options)


ASSEMBLY_SECONDS_PER_1000_TASKS = 0.3
"""Kept back from a run's time limit for handing the problem over, assembling a plan of parts
and reading it back, so that the run's solve ends within its limit (3 s at 10,000 tasks)."""


def search_seconds(problem: Problem, time_limit: float) -> float:
    """The search's share of a run's time limit: all of it for a small territory, less the
    assembly of the plan for a large one (never more than a quarter of the limit)."""
    kept = ASSEMBLY_SECONDS_PER_1000_TASKS * len(problem.tasks) / 1000
    return time_limit - min(kept, time_limit / 4)


def search_processes(problem: Problem) -> int:
    """A territory too large to be searched whole is planned by geographic parts, which are
    searched side by side in `DISPATCH_WORKERS` processes of its own; any other, in one."""
    if len(problem.tasks) > PYVRP_SINGLE_PART_MAX_TASKS:
        return dispatch_settings().workers
    return 1


async def solve_off_loop(
    problem: Problem,
    time_limit: float,
    executor: Executor | None = None,
    start_from: Mapping[str, Sequence[str]] | None = None,
) -> Plan:
    """The plan, solved in `executor` or the module's pool. Raises `SolverCrashed` when the
    worker dies during this run; a module pool found broken beforehand is replaced first."""
    loop = asyncio.get_running_loop()
    for attempt in range(2):
        chosen = executor or pool()
        try:
            future = chosen.submit(
                solve_in_worker,
                problem,
                search_seconds(problem, time_limit),
                start_from,
                search_processes(problem),
            )
        except BrokenProcessPool:
            # Broken before this run (a worker died while idle): a new pool, once.
            if executor is not None or attempt:
                raise SolverCrashed(_CRASHED) from None
            _discard(chosen)
            continue
        try:
            return await asyncio.wrap_future(future, loop=loop)
        except BrokenProcessPool as error:
            if executor is None:
                _discard(chosen)
            raise SolverCrashed(_CRASHED) from error
    raise AssertionError("unreachable")


_CRASHED = (
    "the solver process stopped unexpectedly while planning this run; the next run starts a new one"
)
