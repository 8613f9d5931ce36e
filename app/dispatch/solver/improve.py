"""Ruin and recreate around OR-Tools: remove strings of nearby visits from a few routes
(after Christiaens and Vanden Berghe's SISR), let OR-Tools' local search put them back,
keep the result when it is no worse.

OR-Tools' own iterated local search is not reachable from its Python parameters here, so
the loop runs in Python; each round is one greedy local search on the already closed model.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from ortools.constraint_solver import pywrapcp

from app.dispatch.solver import stability
from app.dispatch.solver.data import RoutingData
from app.dispatch.solver.model import RoutingModel, read_routes

Routes = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class RuinSettings:
    removed_visits: int = 10
    longest_string: int = 10
    record_deviation: float = 0.003
    """Record-to-record acceptance: a result within this fraction of the best is accepted
    (shrinking to 0 by the deadline), so the search can leave a local optimum."""


def nearest_tasks(data: RoutingData) -> npt.NDArray[np.int64]:
    """For each task position, all task positions by closeness (there and back)."""
    first = 2 * data.vehicle_count
    travel = data.travel[first:, first:]
    return np.argsort(travel + travel.T, axis=1, kind="stable")


def ruin(
    routes: Routes, neighbours: npt.NDArray[np.int64], rng: random.Random, settings: RuinSettings
) -> list[list[int]]:
    """Remove a string from each of a few routes that serve tasks near a random seed task."""
    kept = [list(route) for route in routes]
    vehicle_of = {p: v for v, route in enumerate(kept) for p in route}
    if not vehicle_of:
        return kept
    sizes = [len(route) for route in kept if route]
    longest = min(settings.longest_string, sum(sizes) / len(sizes))
    most_routes = 4 * settings.removed_visits / (1 + longest) - 1
    route_count = int(rng.uniform(1, most_routes + 1))
    seed = rng.choice(list(vehicle_of))
    ruined: set[int] = set()
    for position in neighbours[seed]:
        vehicle = vehicle_of.get(int(position))
        if len(ruined) >= route_count:
            break
        if vehicle is None or vehicle in ruined or int(position) not in kept[vehicle]:
            continue
        kept[vehicle] = _without_string(kept[vehicle], int(position), longest, rng)
        ruined.add(vehicle)
    return kept


def _without_string(
    route: list[int], through: int, longest: float, rng: random.Random
) -> list[int]:
    length = int(rng.uniform(1, min(len(route), longest) + 1))
    at = route.index(through)
    start = rng.randint(max(0, at - length + 1), min(at, len(route) - length))
    return route[:start] + route[start + length :]


def ruin_and_recreate(
    model: RoutingModel,
    routes: Routes,
    cost: int,
    deadline: float,
    local_search: pywrapcp.DefaultRoutingSearchParameters,
    seed: int,
    settings: RuinSettings | None = None,
) -> tuple[Routes, int]:
    """Improve `routes` (of cost `cost`) until `deadline` (perf_counter seconds)."""
    settings = settings or RuinSettings()
    rng = random.Random(seed)
    neighbours = nearest_tasks(model.data)
    best_routes, best_cost = routes, cost
    started = time.perf_counter()
    while time.perf_counter() < deadline - 0.05:
        remaining = deadline - time.perf_counter()
        local_search.time_limit.FromMilliseconds(max(1, int(remaining * 1000)))
        start = _assignment(model, ruin(routes, neighbours, rng, settings))
        if start is None:
            continue
        found = model.routing.SolveFromAssignmentWithParameters(start, local_search)
        if found is None:
            continue
        progress = (time.perf_counter() - started) / max(1e-9, deadline - started)
        limit = best_cost * (1 + settings.record_deviation * (1 - progress))
        if found.ObjectiveValue() <= max(cost, limit):
            routes, cost = read_routes(model, found), found.ObjectiveValue()
            if cost < best_cost:
                best_routes, best_cost = routes, cost
    return best_routes, best_cost


def _assignment(model: RoutingModel, routes: list[list[int]]) -> pywrapcp.Assignment | None:
    to_index = model.manager.NodeToIndex
    indices = [[to_index(model.data.task_node(p)) for p in route] for route in routes]
    return model.routing.ReadAssignmentFromRoutes(indices, True)


SPARE_VEHICLES = 2
"""Idle vehicles kept for ruin and recreate, so that it can still open new routes."""


def idle_vehicles_trimmed(
    data: RoutingData, routes: Routes
) -> tuple[RoutingData, list[int]] | None:
    """The part with only its used vehicles and a few idle ones, and the kept vehicles;
    None when vehicles differ in what they may serve (then every one may matter)."""
    if any(a is not None for a in data.allowed) or any(p is not None for p in data.preferred):
        return None
    if any(data.pin_chains) or stability.is_replan(data):
        return None
    used = [v for v, route in enumerate(routes) if route]
    idle = [v for v, route in enumerate(routes) if not route][:SPARE_VEHICLES]
    keep = sorted(used + idle)
    if len(keep) == data.vehicle_count:
        return None
    return _with_vehicles(data, keep), keep


def _with_vehicles(data: RoutingData, keep: list[int]) -> RoutingData:
    vehicles = data.vehicle_count
    tasks = list(range(2 * vehicles, len(data.travel)))
    nodes = keep + [vehicles + v for v in keep] + tasks
    selector = np.ix_(nodes, nodes)
    return replace(
        data,
        technicians=tuple(data.technicians[v] for v in keep),
        travel=data.travel[selector],
        distance=data.distance[selector],
        service=tuple(data.service[n] for n in nodes),
        shifts=tuple(data.shifts[v] for v in keep),
        capacities=None if data.capacities is None else tuple(data.capacities[v] for v in keep),
        max_tasks=None if data.max_tasks is None else tuple(data.max_tasks[v] for v in keep),
        cost_per_tick=tuple(data.cost_per_tick[v] for v in keep),
        pin_chains=tuple(data.pin_chains[v] for v in keep),
    )
