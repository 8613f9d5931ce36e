"""Least-change re-planning: what moving the plan in force costs.

A re-planned task carries its `Current` place (technician and start). Serving it by another
technician costs its move cost, starting it more than `FREE_SHIFT_MINUTES` after its current
start costs `SHIFT_COST_PER_MINUTE` a minute, and it may not start more than that before:

- a committed visit (confirmed by the customer) costs as much to move as any plan could save
  besides serving work (`cost_bound`), and less than leaving out a task: it moves only when
  keeping it is impossible or when that is the only way to serve more work;
- other planned work (offered, scheduled) costs `MOVE_MINUTES` of travel to move, so a re-plan
  moves it only for a clear gain.

The costs are vehicle-dependent: per vehicle, a unary transit of the move cost on each task it
would take from another technician, summed by a costed dimension span (cheaper to build than a
cost matrix per vehicle).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from ortools.constraint_solver import pywrapcp

from app.dispatch.solver.problem import Problem
from app.dispatch.solver.screen import TIME_SCALE, tick

if TYPE_CHECKING:
    from app.dispatch.solver.data import RoutingData

STABILITY = "Stability"
MOVE_MINUTES = 60.0
"""Giving planned, uncommitted work to another technician costs like this much travel."""
FREE_SHIFT_MINUTES = 15.0
"""A start up to this much later than the current one is free..."""
SHIFT_COST_PER_MINUTE = 1.0
"""...and each minute beyond costs like a minute of travel."""


def current_vehicles(
    problem: Problem, technicians: Sequence[int], tasks: Sequence[int]
) -> tuple[int | None, ...]:
    """Per task position, the vehicle position holding it now (None: new, or not in part)."""
    vehicle_of = {problem.technicians[j].id: v for v, j in enumerate(technicians)}
    found = []
    for i in tasks:
        current = problem.tasks[i].current
        found.append(None if current is None else vehicle_of.get(current.technician))
    return tuple(found)


def move_costs(
    problem: Problem, tasks: Sequence[int], held: Sequence[int | None], committed_cost: int
) -> tuple[int, ...]:
    """Per task position, what serving it by another vehicle than `held` costs."""
    costs = []
    for i, vehicle in zip(tasks, held, strict=True):
        current = problem.tasks[i].current
        if current is None or vehicle is None:
            costs.append(0)
        elif current.committed:
            costs.append(committed_cost)
        else:
            costs.append(round(MOVE_MINUTES * TIME_SCALE))
    return tuple(costs)


def latest_kept_starts(problem: Problem, tasks: Sequence[int]) -> tuple[int | None, ...]:
    """Per task position, the latest start that costs nothing (ticks), None if not re-planned."""
    found: list[int | None] = []
    for i in tasks:
        current = problem.tasks[i].current
        found.append(None if current is None else tick(current.start + FREE_SHIFT_MINUTES))
    return tuple(found)


def kept_windows(
    problem: Problem, task_index: int, windows: tuple[tuple[int, int], ...], horizon: int
) -> tuple[tuple[int, int], ...]:
    """A re-planned task starts no earlier than `FREE_SHIFT_MINUTES` before its current start
    (a customer told a time is not visited long before it), unless no window would be left."""
    current = problem.tasks[task_index].current
    if current is None:
        return windows
    earliest = tick(current.start - FREE_SHIFT_MINUTES)
    if not windows:
        return ((earliest, max(earliest, horizon)),) if earliest > 0 else windows
    kept = tuple((max(opens, earliest), closes) for opens, closes in windows if closes >= earliest)
    return kept or windows


def shift_cost() -> int:
    return round(SHIFT_COST_PER_MINUTE)


def bound(problem: Problem, tasks: Sequence[int], horizon: int) -> int:
    """The most uncommitted moves and late starts could cost in any plan of the part."""
    replanned = [problem.tasks[i] for i in tasks if problem.tasks[i].current is not None]
    if not replanned:
        return 0
    moves = round(MOVE_MINUTES * TIME_SCALE) * sum(
        1 for t in replanned if t.current is not None and not t.current.committed
    )
    return moves + shift_cost() * max(0, horizon) * len(replanned)


def add_stability_costs(
    data: RoutingData,
    manager: pywrapcp.RoutingIndexManager,
    routing: pywrapcp.RoutingModel,
    time: pywrapcp.RoutingDimension,
) -> None:
    """Move costs (vehicle-dependent) and late-start costs of re-planned tasks."""
    if not data.move_costs or not any(data.move_costs):
        _add_shift_costs(data, manager, time)
        return
    # Every vehicle pays for all re-planned work but its own: one vector per holding vehicle.
    costs = np.zeros(len(data.travel), dtype=np.int64)
    own: dict[int, list[int]] = {}
    for position, held in enumerate(data.current_vehicles):
        if held is not None and data.move_costs[position]:
            costs[data.task_node(position)] = data.move_costs[position]
            own.setdefault(held, []).append(data.task_node(position))
    shared = routing.RegisterUnaryTransitVector(costs.tolist())
    callbacks = []
    for vehicle in range(data.vehicle_count):
        if vehicle not in own:
            callbacks.append(shared)
            continue
        values = costs.copy()
        values[own[vehicle]] = 0
        callbacks.append(routing.RegisterUnaryTransitVector(values.tolist()))
    most = sum(data.move_costs)
    routing.AddDimensionWithVehicleTransits(callbacks, 0, most, True, STABILITY)
    routing.GetDimensionOrDie(STABILITY).SetSpanCostCoefficientForAllVehicles(1)
    _add_shift_costs(data, manager, time)


def _add_shift_costs(
    data: RoutingData, manager: pywrapcp.RoutingIndexManager, time: pywrapcp.RoutingDimension
) -> None:
    for position, latest in enumerate(data.latest_kept):
        if latest is not None:
            index = manager.NodeToIndex(data.task_node(position))
            time.SetCumulVarSoftUpperBound(index, max(latest, 0), data.shift_cost)


def route_cost(data: RoutingData, vehicle: int, starts: Sequence[tuple[int, int]]) -> int:
    """What `add_stability_costs` charges a route of `vehicle` whose task positions start at
    the given ticks: its moves and its late starts."""
    if not data.move_costs:
        return 0
    cost = 0
    for position, start in starts:
        held = data.current_vehicles[position]
        if held is not None and held != vehicle:
            cost += data.move_costs[position]
        latest = data.latest_kept[position]
        if latest is not None and start > latest:
            cost += data.shift_cost * (start - max(latest, 0))
    return cost


def is_replan(data: RoutingData) -> bool:
    """Re-planned work has costs PyVRP does not see, and vehicles differ by the work they
    hold now (they are not interchangeable)."""
    return any(latest is not None for latest in data.latest_kept)
