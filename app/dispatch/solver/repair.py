"""Local repair of the plan in force before a re-plan's search: each task it does not hold (new,
rejected, or dropped from a route it no longer fits) is put where it adds the least cost, every
other stop staying in place. The search then only has to improve a complete plan; asked to
insert the work itself on a short clock, it may leave it out."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from app.dispatch.solver import stability
from app.dispatch.solver.data import RoutingData
from app.dispatch.solver.improve import Routes
from app.dispatch.solver.schedule import time_route

MAX_REPAIRS = 50
"""Tasks inserted at most; a re-plan missing more than this is mostly new work."""


def repaired(data: RoutingData, routes: Routes) -> Routes:
    """`routes` with the tasks they miss inserted at their cheapest feasible place, the most
    valuable first; a task that fits nowhere stays out."""
    served = {p for route in routes for p in route}
    missing = sorted(
        (p for p in range(data.task_count) if p not in served),
        key=lambda p: -data.penalties[p],
    )[:MAX_REPAIRS]
    kept = [tuple(route) for route in routes]
    values = [_value(data, v, route) for v, route in enumerate(kept)]
    for position in missing:
        best: tuple[int, int, tuple[int, ...]] | None = None
        for vehicle in data.allowed[position] or range(data.vehicle_count):
            route, before = kept[vehicle], values[vehicle]
            if before is None:
                continue
            for k in range(len(route) + 1):
                candidate = (*route[:k], position, *route[k:])
                value = _value(data, vehicle, candidate)
                if value is not None and (best is None or value - before < best[0]):
                    best = (value - before, vehicle, candidate)
        if best is not None:
            _, vehicle, route = best
            kept[vehicle], values[vehicle] = route, _value(data, vehicle, route)
    return tuple(kept)


def _value(data: RoutingData, vehicle: int, route: Sequence[int]) -> int | None:
    """What the model charges for `route` on `vehicle` (travel, lateness, moves), None when
    the route is infeasible."""
    timing = time_route(data, vehicle, route)
    if not timing.feasible:
        return None
    nodes = [vehicle, *(data.task_node(p) for p in route), data.vehicle_count + vehicle]
    rate = data.cost_per_tick[vehicle]
    cost = sum(int(np.rint(data.travel[a, b] * rate)) for a, b in itertools.pairwise(nodes))
    for stop in timing.stops:
        deadline = data.deadlines[stop.position]
        if deadline is not None and stop.start > deadline:
            cost += data.lateness_cost * (stop.start - max(deadline, 0))
    return cost + stability.route_cost(data, vehicle, [(s.position, s.start) for s in timing.stops])
