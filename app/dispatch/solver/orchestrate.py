"""The dispatch solver: a `Problem` in, a `Plan` out. Pure and picklable.

    plan = solve(problem, SolveOptions(time_limit=10.0))

Steps: screen who could take what (tasks nobody can take leave with their reason), split large
problems into geographic parts, search each part with OR-Tools (a portfolio of strategies run
in parallel processes for small problems), then time every route and explain every task left
out.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from app.dispatch.solver import parts, pyvrp_bridge
from app.dispatch.solver.crews import needs_crew_planner, solve_crews
from app.dispatch.solver.data import RoutingData, compile_part
from app.dispatch.solver.large import solve_in_parts
from app.dispatch.solver.parallel import Job, process_pool, run_jobs
from app.dispatch.solver.problem import (
    Plan,
    PlanStats,
    Problem,
    Route,
    Stop,
    Unassigned,
    UnassignedReason,
)
from app.dispatch.solver.repair import repaired
from app.dispatch.solver.schedule import servable_routes, time_route
from app.dispatch.solver.screen import TIME_SCALE, Screening, screen
from app.dispatch.solver.search import PartResult, SearchConfig, solve_part
from app.dispatch.solver.strategy import portfolio_for
from app.dispatch.solver.travel import TravelProvider, make_travel

SAFETY_SECONDS = 0.35
"""Kept back from the time limit for building models and assembling the plan."""
SINGLE_PART_MAX_TASKS = 250
"""Above this many tasks the problem is planned by parts (see solver_large)..."""
PYVRP_SINGLE_PART_MAX_TASKS = 2000
"""...unless PyVRP can plan it whole: its search stays strong up to about this size."""
WARM_START_MAX_TASKS = 2000
"""A re-plan of up to this many tasks is searched whole from the plan in force..."""
WARM_START_MIN_COVER = 0.5
"""...when the plan in force holds this share of them: its local search inserts new work one
visit at a time, which a fresh plan does better when much of the work is new."""
REPLAN_SEARCH = "GREEDY_DESCENT"
"""A re-plan descends from the repaired plan in force to its nearest local optimum and stops:
it wants the plan nearest to the one in force, and answers well within its time limit."""
TINY_PART = 20
"""Parts this small are searched in one process: a pool would cost more than it gives."""


@dataclass(frozen=True)
class SolveOptions:
    time_limit: float = 10.0
    workers: int = 0
    """Processes to search in; 0 uses every core (2 at most per part portfolio)."""
    start_from: Mapping[str, Sequence[str]] | None = None
    """The plan in force (technician id -> task ids in order): a re-plan starts from it and
    improves it locally, so assignments move only where that pays."""


def solve(
    problem: Problem,
    options: SolveOptions | None = None,
    travel: TravelProvider | None = None,
) -> Plan:
    """Plan `problem` within `options.time_limit` seconds (wall clock)."""
    options = options or SolveOptions()
    started = time.perf_counter()
    deadline = started + options.time_limit
    travel = travel or make_travel(problem.travel)
    if not problem.technicians:
        # The native engines crash on a model without vehicles: nothing to search.
        nobody = [Unassigned(t.id, UnassignedReason.NO_TECHNICIAN) for t in problem.tasks]
        return _plan(problem, [], nobody, time.perf_counter() - started)
    if parts.applies(problem) or problem.depots:
        return parts.solve_with_parts(problem, options, travel, solve)
    if needs_crew_planner(problem):
        return solve_crews(problem, travel)
    screening = screen(problem, travel)
    rejected = _rejected_tasks(problem, screening)
    candidates = [i for i in range(len(problem.tasks)) if i not in rejected]
    if not candidates:
        unassigned = [Unassigned(problem.tasks[i].id, reason) for i, reason in rejected.items()]
        return _plan(problem, [], unassigned, time.perf_counter() - started)
    workers = _worker_count(options)
    found = None
    if options.start_from is not None and len(candidates) <= WARM_START_MAX_TASKS:
        found = _search_from(problem, travel, screening, candidates, deadline, options.start_from)
    if found is None:
        found = _search(problem, travel, screening, candidates, deadline, workers)
    datas, results = found
    routes, dropped = _collect(problem, datas, results, screening)
    unassigned = [Unassigned(problem.tasks[i].id, reason) for i, reason in rejected.items()]
    unassigned += dropped
    failures = sum(result.handover_failures for result in results)
    return _plan(problem, routes, unassigned, time.perf_counter() - started, failures)


def _worker_count(options: SolveOptions) -> int:
    return options.workers if options.workers > 0 else max(1, os.cpu_count() or 1)


def _rejected_tasks(problem: Problem, screening: Screening) -> dict[int, UnassignedReason]:
    rejected = {}
    for i, task in enumerate(problem.tasks):
        reason = screening.reason(i, pinned=task.pinned is not None)
        if reason is not None:
            rejected[i] = reason
    return rejected


# --- searching -----------------------------------------------------------------------------


def _search(
    problem: Problem,
    travel: TravelProvider,
    screening: Screening,
    tasks: list[int],
    deadline: float,
    workers: int,
) -> tuple[list[RoutingData], list[PartResult]]:
    everyone = list(range(len(problem.technicians)))
    data = None
    if len(tasks) <= PYVRP_SINGLE_PART_MAX_TASKS:
        data = compile_part(problem, travel, screening, everyone, tasks)
    if data is None or (len(tasks) > SINGLE_PART_MAX_TASKS and not pyvrp_bridge.supports(data)):
        if workers <= 1:
            return solve_in_parts(problem, travel, screening, tasks, deadline, None, 1)
        with process_pool(workers) as pool:
            return solve_in_parts(problem, travel, screening, tasks, deadline, pool, workers)
    seconds = max(0.1, deadline - time.perf_counter() - SAFETY_SECONDS)
    seconds = min(seconds, _useful_seconds(data.task_count))
    workers = workers if data.task_count > TINY_PART else 1
    jobs: list[Job] = [(data, config, None) for config in portfolio_for(data, seconds, workers)]
    if len(jobs) == 1:
        return [data], run_jobs(jobs, None)
    with process_pool(len(jobs)) as pool:
        found = run_jobs(jobs, pool)
    failures = sum(result.handover_failures for result in found)
    return [data], [replace(_best(found), handover_failures=failures)]


def _search_from(
    problem: Problem,
    travel: TravelProvider,
    screening: Screening,
    tasks: list[int],
    deadline: float,
    start_from: Mapping[str, Sequence[str]],
) -> tuple[list[RoutingData], list[PartResult]] | None:
    """Local search from the plan in force, in this process (re-plans are short); None when
    the plan in force holds too little of the work for that to beat planning afresh."""
    everyone = list(range(len(problem.technicians)))
    data = compile_part(problem, travel, screening, everyone, tasks)
    routes = servable_routes(data, _positions(problem, data, start_from))
    if sum(len(route) for route in routes) < WARM_START_MIN_COVER * len(tasks):
        return None
    routes = repaired(data, routes)
    seconds = max(0.05, deadline - time.perf_counter() - SAFETY_SECONDS)
    config = SearchConfig(time_limit=seconds, metaheuristic=REPLAN_SEARCH, light_operators=True)
    return [data], [solve_part(data, config, routes, only_from_start=True)]


def _positions(
    problem: Problem, data: RoutingData, start_from: Mapping[str, Sequence[str]]
) -> list[list[int]]:
    """`start_from` as task positions per vehicle position; unknown ids are left out."""
    vehicle_of = {problem.technicians[j].id: v for v, j in enumerate(data.technicians)}
    position_of = {problem.tasks[i].id: p for p, i in enumerate(data.tasks)}
    routes: list[list[int]] = [[] for _ in range(data.vehicle_count)]
    seen: set[int] = set()
    for technician, task_ids in start_from.items():
        vehicle = vehicle_of.get(technician)
        if vehicle is None:
            continue
        for task_id in task_ids:
            position = position_of.get(task_id)
            if position is not None and position not in seen:
                seen.add(position)
                routes[vehicle].append(position)
    return routes


def _useful_seconds(task_count: int) -> float:
    """Small problems converge fast; do not spend the whole limit on them."""
    return 1.0 + task_count**2 / 1000


def _best(results: Sequence[PartResult]) -> PartResult:
    found = [r for r in results if r.cost >= 0]
    return min(found, key=lambda r: r.cost) if found else results[0]


# --- the plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TimedRoute:
    route: Route
    travel_ticks: int
    distance: float


def _collect(
    problem: Problem,
    datas: Sequence[RoutingData],
    results: Sequence[PartResult],
    screening: Screening,
) -> tuple[list[_TimedRoute], list[Unassigned]]:
    routes: list[_TimedRoute] = []
    dropped: list[Unassigned] = []
    for data, result in zip(datas, results, strict=True):
        for vehicle, route in enumerate(result.routes):
            if route:
                routes.append(_timed_route(problem, data, vehicle, route))
        served = {p for route in result.routes for p in route}
        for position in range(data.task_count):
            if position not in served:
                reason = _drop_reason(data, result, position)
                dropped.append(Unassigned(problem.tasks[data.tasks[position]].id, reason))
    return routes, dropped


def _timed_route(
    problem: Problem, data: RoutingData, vehicle: int, route: Sequence[int]
) -> _TimedRoute:
    timing = time_route(data, vehicle, route)
    nodes = [vehicle, *(data.task_node(p) for p in route), data.vehicle_count + vehicle]
    arcs = list(itertools.pairwise(nodes))
    stops = tuple(
        Stop(
            task=problem.tasks[data.tasks[s.position]].id,
            arrival=s.arrival / TIME_SCALE,
            start=s.start / TIME_SCALE,
            end=s.end / TIME_SCALE,
        )
        for s in timing.stops
    )
    technician = problem.technicians[data.technicians[vehicle]].id
    return _TimedRoute(
        route=Route(technician=technician, stops=stops),
        travel_ticks=sum(int(data.travel[a, b]) for a, b in arcs),
        distance=float(sum(data.distance[a, b] for a, b in arcs)),
    )


def _drop_reason(data: RoutingData, result: PartResult, position: int) -> UnassignedReason:
    """NO_CAPACITY when every vehicle that could take the task is full, else NOT_WORTH_IT."""
    vehicles = data.allowed[position] or range(data.vehicle_count)
    if all(_is_full(data, result.routes[v], v, position) for v in vehicles):
        return UnassignedReason.NO_CAPACITY
    return UnassignedReason.NOT_WORTH_IT


def _is_full(data: RoutingData, route: Sequence[int], vehicle: int, position: int) -> bool:
    if data.max_tasks is not None and len(route) >= data.max_tasks[vehicle]:
        return True
    if data.demands is None or data.capacities is None:
        return False
    load = sum(data.demands[p] for p in route)
    return load + data.demands[position] > data.capacities[vehicle]


def _plan(
    problem: Problem,
    routes: list[_TimedRoute],
    unassigned: list[Unassigned],
    seconds: float,
    handover_failures: int = 0,
) -> Plan:
    order = {t.id: i for i, t in enumerate(problem.technicians)}
    routes.sort(key=lambda r: order[r.route.technician])
    task_order = {t.id: i for i, t in enumerate(problem.tasks)}
    unassigned.sort(key=lambda u: task_order[u.task])
    assigned = sum(len(r.route.stops) for r in routes)
    stats = PlanStats(
        assigned=assigned,
        unassigned=len(unassigned),
        travel_time=sum(r.travel_ticks for r in routes) / TIME_SCALE,
        distance=float(np.round(sum(r.distance for r in routes), 6)),
        solve_seconds=seconds,
        handover_failures=handover_failures,
    )
    return Plan(routes=tuple(r.route for r in routes), unassigned=tuple(unassigned), stats=stats)
