"""Large problems: a first plan from geographic sectors, then rounds of route-group
re-optimisation, every part of a round searched in parallel from its current routes."""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Sequence
from concurrent.futures import Executor

from app.dispatch.solver.data import RoutingData, compile_part
from app.dispatch.solver.decompose import Part, route_parts, sector_parts
from app.dispatch.solver.parallel import Job, run_jobs
from app.dispatch.solver.problem import Problem
from app.dispatch.solver.screen import TIME_SCALE, Screening
from app.dispatch.solver.search import PartResult
from app.dispatch.solver.strategy import portfolio_for
from app.dispatch.solver.travel import TravelProvider

logger = logging.getLogger(__name__)

PART_SIZE = 150
FIRST_PLAN_SHARE = 0.25
ROUND_SECONDS = 12.0
"""Rounds of route-group re-optimisation are planned to last about this long."""
MIN_ROUND_SECONDS = 1.0
PLAN_ASSEMBLY_SECONDS = 0.5

Assignment = dict[int, list[int]]


def solve_in_parts(
    problem: Problem,
    travel: TravelProvider,
    screening: Screening,
    tasks: Sequence[int],
    deadline: float,
    pool: Executor | None,
    workers: int,
) -> tuple[list[RoutingData], list[PartResult]]:
    """Plan `tasks` by parts; returns the final grouping, compiled, with its routes."""
    first_plan_end = time.perf_counter() + FIRST_PLAN_SHARE * (deadline - time.perf_counter())
    parts = sector_parts(problem, travel, tasks, PART_SIZE)
    first = _search_round(problem, travel, screening, parts, first_plan_end, pool, workers)
    routes, failures = first
    end = deadline - PLAN_ASSEMBLY_SECONDS
    rounds = max(2, math.floor((end - time.perf_counter()) / ROUND_SECONDS))
    for round_number in range(rounds):
        left = end - time.perf_counter()
        if left < MIN_ROUND_SECONDS:
            break
        parts = _regroup(problem, travel, routes, tasks, round_number)
        round_end = time.perf_counter() + left / (rounds - round_number)
        routes, more = _search_round(problem, travel, screening, parts, round_end, pool, workers)
        failures += more
    final = _regroup(problem, travel, routes, tasks, 0)
    datas = [compile_part(problem, travel, screening, p.technicians, p.tasks) for p in final]
    results = [PartResult(routes=p.routes or (), cost=0) for p in final]
    if results:
        results[0] = PartResult(routes=results[0].routes, cost=0, handover_failures=failures)
    return datas, results


def _regroup(
    problem: Problem,
    travel: TravelProvider,
    routes: Assignment,
    tasks: Sequence[int],
    round_number: int,
) -> list[Part]:
    served = {t for route in routes.values() for t in route}
    unassigned = [t for t in tasks if t not in served]
    return route_parts(problem, travel, routes, unassigned, PART_SIZE, round_number)


def _search_round(
    problem: Problem,
    travel: TravelProvider,
    screening: Screening,
    parts: list[Part],
    end: float,
    pool: Executor | None,
    workers: int,
) -> tuple[Assignment, int]:
    """The round's routes and how many of its hand-overs failed."""
    waves = math.ceil(len(parts) / max(1, workers))
    seconds = max(0.2, (end - time.perf_counter()) / max(1, waves) - 0.1)
    jobs: list[Job] = []
    datas = []
    for part in parts:
        data = compile_part(problem, travel, screening, part.technicians, part.tasks)
        datas.append(data)
        jobs.append((data, portfolio_for(data, seconds, 1)[0], part.routes))
    results = run_jobs(jobs, pool)
    routes = _merge(parts, datas, results)
    logger.debug(
        "round of %d parts, %.1fs each: %d routes, %d tasks, travel %.1f",
        len(parts),
        seconds,
        sum(1 for r in routes.values() if r),
        sum(len(r) for r in routes.values()),
        _travel_minutes(datas, results),
    )
    return routes, sum(result.handover_failures for result in results)


def _travel_minutes(datas: Sequence[RoutingData], results: Sequence[PartResult]) -> float:
    total = 0
    for data, result in zip(datas, results, strict=True):
        for vehicle, route in enumerate(result.routes):
            if route:
                nodes = [vehicle, *(data.task_node(p) for p in route), data.vehicle_count + vehicle]
                total += sum(int(data.travel[a, b]) for a, b in itertools.pairwise(nodes))
    return total / TIME_SCALE


def _merge(
    parts: Sequence[Part], datas: Sequence[RoutingData], results: Sequence[PartResult]
) -> Assignment:
    """The plan of every part; a part whose search failed keeps the routes it had."""
    routes: Assignment = {}
    for part, data, result in zip(parts, datas, results, strict=True):
        found = result.routes if result.cost >= 0 else part.routes
        for vehicle, route in enumerate(found or ()):
            routes[data.technicians[vehicle]] = [data.tasks[p] for p in route]
    return routes
