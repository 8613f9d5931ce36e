"""Serve left-out work in place of cheaper work: the unassigned-exchange move of VROOM.

A day with more work than hands ends with routes full of time. Then a left-out task can only
come in when a lower-priority one goes out of the same route, which a search moving one visit
at a time rarely finds: taking the cheap one out loses its worth, putting the dear one in first
breaks a window. This pass tries both at once: for each task left out, the dearest first, every
place in every route that may take it, as is or in place of one of its cheaper tasks; it makes
the move that lowers the model's objective most, and goes on until no move does. A task pushed
out becomes one left out and gets its own chance to come back elsewhere.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from app.dispatch.solver.data import PREFERENCE_BONUS_MINUTES, RoutingData
from app.dispatch.solver.improve import Routes
from app.dispatch.solver.schedule import earliest_start
from app.dispatch.solver.screen import TIME_SCALE


class _Evaluator:
    """The model's cost of one route (travel at the vehicle's rate, lost preference,
    lateness), or None when the route breaks a window, the shift, a load or a count."""

    def __init__(self, data: RoutingData) -> None:
        self.data = data
        self.travel: list[list[int]] = data.travel.tolist()
        self.loss = round(PREFERENCE_BONUS_MINUTES * TIME_SCALE)
        self.rates = data.cost_per_tick
        self.flat_rate = all(rate == 1.0 for rate in data.cost_per_tick)

    def cost(self, vehicle: int, route: Sequence[int]) -> int | None:
        data, travel = self.data, self.travel
        if data.max_tasks is not None and len(route) > data.max_tasks[vehicle]:
            return None
        if (
            data.demands is not None
            and data.capacities is not None
            and sum(data.demands[p] for p in route) > data.capacities[vehicle]
        ):
            return None
        shift_start, shift_end = data.shifts[vehicle]
        node, clock, cost, arcs = vehicle, shift_start, 0, 0
        first = 2 * data.vehicle_count
        rate = self.rates[vehicle]
        for position in route:
            target = first + position
            step = travel[node][target]
            arcs += step if self.flat_rate else round(step * rate)
            start = earliest_start(clock + step, data.windows[position])
            if start is None:
                return None
            preferred = data.preferred[position]
            if preferred is not None and vehicle not in preferred:
                cost += self.loss
            deadline = data.deadlines[position]
            if deadline is not None and start > deadline:
                cost += data.lateness_cost * (start - max(deadline, 0))
            node, clock = target, start + data.service[target]
        back = travel[node][data.vehicle_count + vehicle]
        if clock + back > shift_end:
            return None
        arcs += back if self.flat_rate else round(back * rate)
        return cost + arcs


def exchange_left_out(
    data: RoutingData, routes: Routes, deadline: float, make_room: bool = False
) -> Routes:
    """`routes` after every profitable insertion or exchange of a task left out (by
    `deadline`, wall clock); with `make_room`, then also those that first move one task of
    the route to another route. Parts with pinned work are returned as they are."""
    if any(data.pin_chains) or data.task_count == 0:
        return routes
    evaluator = _Evaluator(data)
    current = [list(route) for route in routes]
    costs = [evaluator.cost(v, route) for v, route in enumerate(current)]
    if any(cost is None for cost in costs):
        return routes
    route_costs: list[int] = [int(cost or 0) for cost in costs]
    for moving in (False, True) if make_room else (False,):
        _exchange(data, evaluator, current, route_costs, deadline, moving)
    return tuple(tuple(route) for route in current)


def _exchange(
    data: RoutingData,
    evaluator: _Evaluator,
    current: list[list[int]],
    route_costs: list[int],
    deadline: float,
    make_room: bool,
) -> None:
    failed: set[int] = set()
    while time.perf_counter() < deadline:
        served = {p for route in current for p in route}
        waiting = sorted(
            (p for p in range(data.task_count) if p not in served and p not in failed),
            key=lambda p: -data.penalties[p],
        )
        moved = False
        for position in waiting:
            if time.perf_counter() >= deadline:
                break
            move = _best_move(data, evaluator, current, route_costs, position)
            if move is None and make_room:
                move = _room_made(data, evaluator, current, route_costs, position, deadline)
            if move is None:
                failed.add(position)
                continue
            for vehicle, route, cost in move:
                current[vehicle], route_costs[vehicle] = route, cost
                # Only these routes changed: what they may take gets another try.
                failed = {p for p in failed if not _may_take(data, vehicle, p)}
            moved = True
            break
        if not moved:
            break


def _may_take(data: RoutingData, vehicle: int, position: int) -> bool:
    allowed = data.allowed[position]
    return allowed is None or vehicle in allowed


def _best_move(
    data: RoutingData,
    evaluator: _Evaluator,
    routes: list[list[int]],
    route_costs: list[int],
    position: int,
) -> list[tuple[int, list[int], int]] | None:
    """The best (vehicle, new route, its cost) that serves `position`, when
    it lowers the objective; None when no move does."""
    worth = data.penalties[position]
    allowed = data.allowed[position]
    vehicles = range(data.vehicle_count) if allowed is None else allowed
    best: tuple[int, list[int], int] | None = None
    best_gain = 0
    for vehicle in vehicles:
        route = routes[vehicle]
        options: list[tuple[list[int], int | None]] = [(route, None)]
        options += [
            (route[:k] + route[k + 1 :], out)
            for k, out in enumerate(route)
            if data.penalties[out] < worth
        ]
        for base, out in options:
            lost = 0 if out is None else data.penalties[out]
            for index in range(len(base) + 1):
                candidate = [*base[:index], position, *base[index:]]
                cost = evaluator.cost(vehicle, candidate)
                if cost is None:
                    continue
                gain = worth - lost - (cost - route_costs[vehicle])
                if gain > best_gain:
                    best_gain, best = gain, (vehicle, candidate, cost)
    return None if best is None else [best]


def _best_insertion(
    evaluator: _Evaluator, vehicle: int, route: list[int], position: int
) -> tuple[list[int], int] | None:
    """The cheapest feasible route with `position` inserted, and its cost."""
    best: tuple[list[int], int] | None = None
    for index in range(len(route) + 1):
        candidate = [*route[:index], position, *route[index:]]
        cost = evaluator.cost(vehicle, candidate)
        if cost is not None and (best is None or cost < best[1]):
            best = (candidate, cost)
    return best


def _room_made(
    data: RoutingData,
    evaluator: _Evaluator,
    routes: list[list[int]],
    route_costs: list[int],
    position: int,
    deadline: float,
) -> list[tuple[int, list[int], int]] | None:
    """Serve `position` in a route after moving one of its tasks to another route, when no
    route has room for it as it is: the best such pair of changed routes found by
    `deadline`, or None."""
    worth = data.penalties[position]
    allowed = data.allowed[position]
    vehicles = range(data.vehicle_count) if allowed is None else allowed
    best: list[tuple[int, list[int], int]] | None = None
    best_gain = 0
    placements: dict[int, list[tuple[int, list[int], int]]] = {}
    for vehicle in vehicles:
        route = routes[vehicle]
        if time.perf_counter() >= deadline:
            break
        for k, moved in enumerate(route):
            served = _best_insertion(evaluator, vehicle, route[:k] + route[k + 1 :], position)
            if served is None:
                continue
            gain_here = worth - (served[1] - route_costs[vehicle])
            if gain_here <= best_gain:
                continue
            if moved not in placements:
                placements[moved] = _placements(data, evaluator, routes, route_costs, moved)
            for other, placed, added in placements[moved]:
                if other != vehicle:
                    gain = gain_here - added
                    if gain > best_gain:
                        best_gain = gain
                        cost = route_costs[other] + added
                        best = [(vehicle, served[0], served[1]), (other, placed, cost)]
                    break
    return best


def _placements(
    data: RoutingData,
    evaluator: _Evaluator,
    routes: list[list[int]],
    route_costs: list[int],
    position: int,
) -> list[tuple[int, list[int], int]]:
    """Where `position` fits as the routes are: (vehicle, route, added cost), cheapest first."""
    allowed = data.allowed[position]
    found = []
    for vehicle in range(data.vehicle_count) if allowed is None else allowed:
        placed = _best_insertion(evaluator, vehicle, routes[vehicle], position)
        if placed is not None:
            found.append((vehicle, placed[0], placed[1] - route_costs[vehicle]))
    return sorted(found, key=lambda item: item[2])
