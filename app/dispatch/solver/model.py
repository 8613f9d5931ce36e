"""Build the OR-Tools routing model of one compiled part."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp

from app.dispatch.solver import stability
from app.dispatch.solver.data import PREFERENCE_BONUS_MINUTES, IntMatrix, RoutingData
from app.dispatch.solver.screen import TIME_SCALE

TIME = "Time"
LOAD = "Load"
COUNT = "Count"
PREFERENCE = "Preference"


@dataclass
class RoutingModel:
    data: RoutingData
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time: pywrapcp.RoutingDimension


def build_model(data: RoutingData) -> RoutingModel:
    vehicles = data.vehicle_count
    starts = list(range(vehicles))
    ends = list(range(vehicles, 2 * vehicles))
    manager = pywrapcp.RoutingIndexManager(len(data.travel), vehicles, starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    _set_arc_costs(data, routing)
    _add_preference_costs(data, routing)
    time = _add_time_dimension(data, manager, routing)
    stability.add_stability_costs(data, manager, routing, time)
    _add_load_dimension(data, manager, routing)
    _add_count_dimension(data, manager, routing)
    _add_task_choices(data, manager, routing)
    return RoutingModel(data=data, manager=manager, routing=routing, time=time)


def _matrix_callback(routing: pywrapcp.RoutingModel, matrix: IntMatrix) -> int:
    return int(routing.RegisterTransitMatrix(matrix.tolist()))


def _set_arc_costs(data: RoutingData, routing: pywrapcp.RoutingModel) -> None:
    """Travel times `cost_per_minute`; one matrix per distinct rate."""
    groups: dict[float, list[int]] = defaultdict(list)
    for vehicle in range(data.vehicle_count):
        groups[data.cost_per_tick[vehicle]].append(vehicle)
    for cost_per_tick, vehicles in groups.items():
        costs = np.rint(data.travel * cost_per_tick).astype(np.int64)
        callback = _matrix_callback(routing, costs)
        if len(groups) == 1:
            routing.SetArcCostEvaluatorOfAllVehicles(callback)
            return
        for vehicle in vehicles:
            routing.SetArcCostEvaluatorOfVehicle(callback, vehicle)


def _add_preference_costs(data: RoutingData, routing: pywrapcp.RoutingModel) -> None:
    """The bonus lost when a task with preferred technicians is served by another one.

    It depends on the vehicle and the task only, so it is a per-vehicle count of visits
    (leaving a task adds its loss) whose span is costed: far cheaper to build than one arc
    cost matrix per vehicle, which a re-plan (each task preferring its current technician)
    would need."""
    preferring = [p for p, chosen in enumerate(data.preferred) if chosen is not None]
    if not preferring:
        return
    loss = round(PREFERENCE_BONUS_MINUTES * TIME_SCALE)
    vectors: dict[frozenset[int], int] = {}
    callbacks = []
    for vehicle in range(data.vehicle_count):
        others = frozenset(p for p in preferring if vehicle not in (data.preferred[p] or ()))
        if others not in vectors:
            values = [0] * len(data.travel)
            for position in others:
                values[data.task_node(position)] = loss
            vectors[others] = routing.RegisterUnaryTransitVector(values)
        callbacks.append(vectors[others])
    most = loss * len(preferring)
    routing.AddDimensionWithVehicleTransits(callbacks, 0, most, True, PREFERENCE)
    routing.GetDimensionOrDie(PREFERENCE).SetSpanCostCoefficientForAllVehicles(1)


def _add_time_dimension(
    data: RoutingData, manager: pywrapcp.RoutingIndexManager, routing: pywrapcp.RoutingModel
) -> pywrapcp.RoutingDimension:
    service = np.array(data.service, dtype=np.int64)
    callback = _matrix_callback(routing, data.travel + service[:, None])
    horizon = data.horizon
    routing.AddDimension(callback, horizon, horizon, False, TIME)
    time = routing.GetDimensionOrDie(TIME)
    for vehicle, (shift_start, shift_end) in enumerate(data.shifts):
        time.CumulVar(routing.Start(vehicle)).SetRange(shift_start, shift_end)
        time.CumulVar(routing.End(vehicle)).SetRange(shift_start, shift_end)
        routing.AddVariableMaximizedByFinalizer(time.CumulVar(routing.Start(vehicle)))
        routing.AddVariableMinimizedByFinalizer(time.CumulVar(routing.End(vehicle)))
    for position, windows in enumerate(data.windows):
        cumul = time.CumulVar(manager.NodeToIndex(data.task_node(position)))
        _restrict_to_windows(cumul, windows, horizon)
        deadline = data.deadlines[position]
        if deadline is not None:
            index = manager.NodeToIndex(data.task_node(position))
            time.SetCumulVarSoftUpperBound(index, max(deadline, 0), data.lateness_cost)
    return time


def _restrict_to_windows(
    cumul: pywrapcp.IntVar, windows: tuple[tuple[int, int], ...], horizon: int
) -> None:
    if not windows:
        return
    low, high = max(windows[0][0], 0), min(windows[-1][1], horizon)
    cumul.SetRange(low, max(low, high))
    for (_, closes), (opens, _) in itertools.pairwise(windows):
        if opens - 1 >= closes + 1:
            cumul.RemoveInterval(closes + 1, opens - 1)


def _add_load_dimension(
    data: RoutingData, manager: pywrapcp.RoutingIndexManager, routing: pywrapcp.RoutingModel
) -> None:
    if data.demands is None or data.capacities is None:
        return
    demand = [0] * (2 * data.vehicle_count) + list(data.demands)
    callback = routing.RegisterUnaryTransitVector(demand)
    routing.AddDimensionWithVehicleCapacity(callback, 0, list(data.capacities), True, LOAD)


def _add_count_dimension(
    data: RoutingData, manager: pywrapcp.RoutingIndexManager, routing: pywrapcp.RoutingModel
) -> None:
    """Counts visits: enforces `max_tasks` and keeps pinned tasks in their sequence."""
    has_pins = any(len(chain) > 1 for chain in data.pin_chains)
    if data.max_tasks is None and not has_pins:
        return
    ones = [0] * (2 * data.vehicle_count) + [1] * data.task_count
    callback = routing.RegisterUnaryTransitVector(ones)
    limits = list(data.max_tasks or [data.task_count] * data.vehicle_count)
    routing.AddDimensionWithVehicleCapacity(callback, 0, limits, True, COUNT)
    count = routing.GetDimensionOrDie(COUNT)
    solver = routing.solver()
    for chain in data.pin_chains:
        indices = [manager.NodeToIndex(data.task_node(p)) for p in chain]
        for before, after in itertools.pairwise(indices):
            solver.Add(count.CumulVar(before) < count.CumulVar(after))


def _add_task_choices(
    data: RoutingData, manager: pywrapcp.RoutingIndexManager, routing: pywrapcp.RoutingModel
) -> None:
    for position in range(data.task_count):
        index = manager.NodeToIndex(data.task_node(position))
        routing.AddDisjunction([index], data.penalties[position])
        allowed = data.allowed[position]
        if allowed is not None:
            # -1 keeps the task droppable; SetAllowedVehiclesForIndex's Python binding is broken.
            routing.VehicleVar(index).SetValues([-1, *allowed])


def read_routes(model: RoutingModel, solution: pywrapcp.Assignment) -> tuple[tuple[int, ...], ...]:
    routing, manager, data = model.routing, model.manager, model.data
    first_task_node = 2 * data.vehicle_count
    routes = []
    for vehicle in range(data.vehicle_count):
        index = solution.Value(routing.NextVar(routing.Start(vehicle)))
        route = []
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index) - first_task_node)
            index = solution.Value(routing.NextVar(index))
        routes.append(tuple(route))
    return tuple(routes)
