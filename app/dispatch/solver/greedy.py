"""A plan every search must beat: greedy construction, and the model's objective of any routes.

The greedy plan takes tasks by priority, then by when their window closes, and appends each to
the route where it fits at the least added time (travel and waiting); it runs in milliseconds
on a thousand tasks. The searches keep it as their incumbent, so a search that runs out of time
(or a hand-over that fails) never answers with less served work than this.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from app.dispatch.solver import stability
from app.dispatch.solver.data import PREFERENCE_BONUS_MINUTES, RoutingData
from app.dispatch.solver.improve import Routes
from app.dispatch.solver.schedule import time_route
from app.dispatch.solver.screen import TIME_SCALE

NEVER = np.iinfo(np.int64).max // 4


def greedy_routes(data: RoutingData) -> Routes:
    """Routes built by appending tasks (the dearest to leave out first) where they fit best."""
    vehicles = data.vehicle_count
    if vehicles == 0 or data.task_count == 0:
        return tuple(() for _ in range(vehicles))
    value = data.penalties
    in_chain = {p: k for chain in data.pin_chains for k, p in enumerate(chain)}
    order = sorted(
        range(data.task_count),
        key=lambda p: (-value[p], in_chain.get(p, 0), _closes(data, p)),
    )
    clock = np.array([start for start, _ in data.shifts], dtype=np.int64)
    shift_end = np.array([end for _, end in data.shifts], dtype=np.int64)
    last = np.arange(vehicles)
    ends = np.arange(vehicles, 2 * vehicles)
    load = np.zeros(vehicles, dtype=np.int64)
    count = np.zeros(vehicles, dtype=np.int64)
    capacity = None if data.capacities is None else np.array(data.capacities, dtype=np.int64)
    most = None if data.max_tasks is None else np.array(data.max_tasks, dtype=np.int64)
    routes: list[list[int]] = [[] for _ in range(vehicles)]
    for position in order:
        node = data.task_node(position)
        arrival = clock + data.travel[last, node]
        start = _earliest(arrival, data.windows[position])
        finish = start + data.service[node]
        fits = (start < NEVER) & (finish + data.travel[node, ends] <= shift_end)
        allowed = data.allowed[position]
        if allowed is not None:
            mask = np.zeros(vehicles, dtype=np.bool_)
            mask[list(allowed)] = True
            fits &= mask
        if capacity is not None and data.demands is not None:
            fits &= load + data.demands[position] <= capacity
        if most is not None:
            fits &= count < most
        if not fits.any():
            continue
        added = np.where(fits, finish - clock, NEVER)
        vehicle = int(np.argmin(added))
        routes[vehicle].append(position)
        clock[vehicle], last[vehicle] = finish[vehicle], node
        count[vehicle] += 1
        if data.demands is not None:
            load[vehicle] += data.demands[position]
    return tuple(tuple(route) for route in routes)


def _closes(data: RoutingData, position: int) -> int:
    windows = data.windows[position]
    return windows[-1][1] if windows else NEVER


def _earliest(arrival: np.ndarray, windows: Sequence[tuple[int, int]]) -> np.ndarray:
    """Per vehicle, the first moment at or after `arrival` inside a window (NEVER if none)."""
    if not windows:
        return np.maximum(arrival, 0)
    start = np.full(arrival.shape, NEVER, dtype=np.int64)
    for opens, closes in reversed(windows):
        inside = arrival <= closes
        start = np.where(inside, np.maximum(arrival, max(opens, 0)), start)
    return start


def objective(data: RoutingData, routes: Routes) -> int:
    """The OR-Tools model's objective of `routes` (see solver_model): travel at each vehicle's
    rate, lost preferences, lateness, moves of re-planned work and the drop penalty of every
    task left out."""
    cost = 0
    served: set[int] = set()
    loss = round(PREFERENCE_BONUS_MINUTES * TIME_SCALE)
    for vehicle, route in enumerate(routes):
        if not route:
            continue
        served.update(route)
        nodes = [vehicle, *(data.task_node(p) for p in route), data.vehicle_count + vehicle]
        rate = data.cost_per_tick[vehicle]
        cost += sum(int(np.rint(data.travel[a, b] * rate)) for a, b in itertools.pairwise(nodes))
        for position in route:
            preferred = data.preferred[position]
            if preferred is not None and vehicle not in preferred:
                cost += loss
        stops = time_route(data, vehicle, route).stops
        for stop in stops:
            deadline = data.deadlines[stop.position]
            if deadline is not None and stop.start > deadline:
                cost += data.lateness_cost * (stop.start - max(deadline, 0))
        cost += stability.route_cost(data, vehicle, [(s.position, s.start) for s in stops])
    cost += sum(data.penalties[p] for p in range(data.task_count) if p not in served)
    return cost
