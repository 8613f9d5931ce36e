"""PyVRP's iterated local search as a search engine for one compiled part.

PyVRP (MIT) plans the part's hard constraints: time windows (one per task), shifts, start and
end places, capacity, task counts, skills (as one travel profile per set of allowed tasks) and
drop penalties (as prizes of optional visits). What it does not model (preferred technicians,
soft deadlines) is left to OR-Tools, which takes PyVRP's routes as its first solution under the
full model. Parts with pinned work or several windows per task are not handed to PyVRP.
"""

from __future__ import annotations

import time
import warnings
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyvrp
from pyvrp import PenaltyParams
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxRuntime, MultipleCriteria, NoImprovement

from app.dispatch.solver import stability
from app.dispatch.solver.data import IntMatrix, RoutingData
from app.dispatch.solver.improve import Routes

STALL_ITERATIONS = 20_000
"""The search ends early after this many iterations without a better plan (small parts)."""
MAX_PROFILE_CELLS = 32_000_000
"""At most this many travel-matrix cells over all profiles (one profile per distinct set of
tasks some technicians may not take; 256 MB of int64 per copy). A day whose technicians hold
many different skill sets needs one profile each: planning it whole in PyVRP serves more than
planning it by parts in OR-Tools, as long as the profiles fit in memory."""


def supports(data: RoutingData) -> bool:
    """Whether PyVRP can plan this part's hard constraints exactly."""
    if any(data.pin_chains):
        return False
    if any(len(windows) > 1 for windows in data.windows):
        return False
    locations = data.task_count + 2 * data.vehicle_count
    return len(set(_forbidden_sets(data))) * locations**2 <= MAX_PROFILE_CELLS


def models_everything(data: RoutingData) -> bool:
    """Whether PyVRP's objective is the whole objective (no preferences, no deadlines)."""
    return (
        all(p is None for p in data.preferred)
        and all(d is None for d in data.deadlines)
        and not stability.is_replan(data)
    )


def solve(
    data: RoutingData, seconds: float, seed: int, initial: Routes | None = None
) -> Routes | None:
    """The best feasible routes PyVRP finds in `seconds` (from `initial` when given), or None
    when it finds none."""
    started = time.perf_counter()
    model = _compile(data)
    left = seconds - (time.perf_counter() - started)
    stop = MultipleCriteria([MaxRuntime(max(0.01, left)), NoImprovement(STALL_ITERATIONS)])
    start = None if initial is None else model.solution(initial)
    params = pyvrp.SolveParams(penalty=PenaltyParams(max_penalty=model.largest_prize))
    with warnings.catch_warnings():
        # Raised when penalties reach their bound; an infeasible result is refused below.
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = pyvrp.solve(
            model.problem,
            stop=stop,
            seed=seed,
            collect_stats=False,
            params=params,
            initial_solution=start,
        )
    if not result.is_feasible():
        return None
    return model.routes(result.best)


@dataclass(frozen=True)
class _Compiled:
    problem: pyvrp.ProblemData
    vehicles_of_type: tuple[tuple[int, ...], ...]
    vehicle_count: int
    largest_prize: int
    preferred: tuple[frozenset[int] | None, ...]

    def solution(self, routes: Routes) -> pyvrp.Solution:
        type_of = {v: kind for kind, group in enumerate(self.vehicles_of_type) for v in group}
        return pyvrp.Solution(
            self.problem,
            [
                pyvrp.Route(self.problem, list(route), type_of[vehicle])
                for vehicle, route in enumerate(routes)
                if route
            ],
        )

    def routes(self, solution: pyvrp.Solution) -> Routes:
        """Vehicle -> task positions. Vehicles of one type are interchangeable to PyVRP; each
        route goes to the free one of its type that the most of its tasks prefer."""
        routes: list[tuple[int, ...]] = [() for _ in range(self.vehicle_count)]
        free = [list(group) for group in self.vehicles_of_type]
        for route in solution.routes():
            visits = tuple(a.idx for a in route if a.is_client())
            candidates = free[route.vehicle_type()]
            vehicle = max(candidates, key=lambda v: self._preferring(visits, v))
            candidates.remove(vehicle)
            routes[vehicle] = visits
        return tuple(routes)

    def _preferring(self, visits: tuple[int, ...], vehicle: int) -> int:
        return sum(1 for p in visits if vehicle in (self.preferred[p] or ()))


def _compile(data: RoutingData) -> _Compiled:
    places = _Places(data)
    tasks = range(data.task_count)
    horizon = max(data.horizon, 1)
    offset = _time_offset(data)
    prizes = _prizes(data)
    clients = [_client(data, places, p, horizon, prizes[p], offset) for p in tasks]
    depots = [pyvrp.Depot(location=i) for i in range(places.depot_count)]
    profiles, profile_of = _profiles(data, places)
    kinds: dict[_VehicleKind, list[int]] = defaultdict(list)
    for vehicle in range(data.vehicle_count):
        kinds[_vehicle_kind(data, places, vehicle, profile_of[vehicle])].append(vehicle)
    vehicle_types = [_vehicle_type(data, kind, len(group), offset) for kind, group in kinds.items()]
    # Coordinates only serve PyVRP's plots; the search reads the matrices. Travel time is
    # both what a route costs and how long it takes, as in the OR-Tools model.
    locations = [pyvrp.Location(x=0, y=0) for _ in range(places.location_count)]
    problem = pyvrp.ProblemData(
        locations=locations,
        clients=clients,
        depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=profiles,  # type: ignore[arg-type]  # (the stubs' ndarray is off)
        duration_matrices=profiles,  # type: ignore[arg-type]
    )
    return _Compiled(
        problem=problem,
        vehicles_of_type=tuple(tuple(group) for group in kinds.values()),
        vehicle_count=data.vehicle_count,
        largest_prize=max(prizes, default=1),
        preferred=data.preferred,
    )


class _Places:
    """PyVRP locations: one per distinct start/end place (depots first), then one per task.

    Two technicians' homes are the same place when their travel rows and columns are equal.
    """

    def __init__(self, data: RoutingData) -> None:
        vehicles = data.vehicle_count
        self.node_of_depot: list[int] = []
        seen: dict[bytes, int] = {}
        self.depot_of_node: dict[int, int] = {}
        for node in range(2 * vehicles):
            key = data.travel[node].tobytes() + data.travel[:, node].tobytes()
            if key not in seen:
                seen[key] = len(self.node_of_depot)
                self.node_of_depot.append(node)
            self.depot_of_node[node] = seen[key]
        self.depot_count = len(self.node_of_depot)
        self.nodes = np.array(
            self.node_of_depot + [data.task_node(p) for p in range(data.task_count)]
        )
        self.location_count = len(self.nodes)

    def task_location(self, position: int) -> int:
        return self.depot_count + position


def _client(
    data: RoutingData, places: _Places, position: int, horizon: int, prize: int, offset: int
) -> pyvrp.Client:
    node = data.task_node(position)
    early, late = data.windows[position][0] if data.windows[position] else (0, horizon)
    return pyvrp.Client(
        location=places.task_location(position),
        delivery=_loads(data, position),
        service_duration=data.service[node],
        tw_early=max(0, early + offset),
        tw_late=max(0, early + offset, late + offset),
        prize=prize,
        required=False,
    )


def _prizes(data: RoutingData) -> list[int]:
    """What serving each task is worth: its priority's share of the part's drop penalties
    times the dearest round trip, so any task that fits somewhere is worth its detour.

    (The part's own penalties are far larger, to make serving lexicographically first in
    OR-Tools; prizes that large leave PyVRP's penalties for late or overfull routes too weak
    to steer its search.)"""
    if not data.penalties:
        return []
    lowest = min(data.penalties)
    round_trip = 2 * int(data.travel.max(initial=0)) * _cost_scale(data) + 1
    return [max(1, round(round_trip * penalty / lowest)) for penalty in data.penalties]


def _time_offset(data: RoutingData) -> int:
    """PyVRP counts time from 0: earlier shift starts shift every time by this much."""
    earliest = min((start for start, _ in data.shifts), default=0)
    return max(0, -earliest)


def _has_load(data: RoutingData) -> bool:
    return data.demands is not None and data.capacities is not None


def _loads(data: RoutingData, position: int) -> list[int]:
    loads = []
    if data.demands is not None and _has_load(data):
        loads.append(data.demands[position])
    if data.max_tasks is not None:
        loads.append(1)
    return loads


def _forbidden_sets(data: RoutingData) -> list[frozenset[int]]:
    """For each vehicle, the tasks it may never take. Those its day's timing rules out need
    no profile: PyVRP finds them late by itself."""
    rules = data.ruled_in or data.allowed
    may = np.ones((data.task_count, data.vehicle_count), dtype=np.bool_)
    for position, allowed in enumerate(rules):
        if allowed is not None:
            may[position, :] = False
            may[position, list(allowed)] = True
    return [frozenset(np.flatnonzero(~may[:, v]).tolist()) for v in range(data.vehicle_count)]


def _profiles(data: RoutingData, places: _Places) -> tuple[list[IntMatrix], list[int]]:
    """One travel matrix per distinct set of forbidden tasks: arriving at a task a vehicle may
    not serve takes longer than the horizon, so no feasible route holds it."""
    base = np.ascontiguousarray(data.travel[np.ix_(places.nodes, places.nodes)], dtype=np.int64)
    unreachable = 2 * max(data.horizon, 1) + int(base.max(initial=0)) + 1
    matrices: list[IntMatrix] = []
    index: dict[frozenset[int], int] = {}
    profile_of = []
    for forbidden in _forbidden_sets(data):
        if forbidden not in index:
            matrix = base.copy()
            columns = [places.task_location(p) for p in forbidden]
            matrix[:, columns] = unreachable
            np.fill_diagonal(matrix, 0)
            index[forbidden] = len(matrices)
            matrices.append(matrix)
        profile_of.append(index[forbidden])
    return matrices, profile_of


@dataclass(frozen=True)
class _VehicleKind:
    """What makes vehicles interchangeable for PyVRP."""

    start: int
    end: int
    shift: tuple[int, int]
    capacity: int | None
    max_tasks: int | None
    cost_per_tick: float
    profile: int


def _vehicle_kind(data: RoutingData, places: _Places, vehicle: int, profile: int) -> _VehicleKind:
    return _VehicleKind(
        start=places.depot_of_node[vehicle],
        end=places.depot_of_node[data.vehicle_count + vehicle],
        shift=data.shifts[vehicle],
        capacity=data.capacities[vehicle]
        if data.capacities is not None and _has_load(data)
        else None,
        max_tasks=None if data.max_tasks is None else data.max_tasks[vehicle],
        cost_per_tick=data.cost_per_tick[vehicle],
        profile=profile,
    )


def _vehicle_type(
    data: RoutingData, kind: _VehicleKind, count: int, offset: int
) -> pyvrp.VehicleType:
    return pyvrp.VehicleType(
        num_available=count,
        capacity=[c for c in (kind.capacity, kind.max_tasks) if c is not None],
        start_depot=kind.start,
        end_depot=kind.end,
        tw_early=kind.shift[0] + offset,
        tw_late=kind.shift[1] + offset,
        unit_distance_cost=_unit_cost(data, kind.cost_per_tick),
        profile=kind.profile,
    )


def _cost_scale(data: RoutingData) -> int:
    """Costs are integers: unequal rates per tick are kept to a hundredth of the highest."""
    return 1 if len(set(data.cost_per_tick)) <= 1 else 100


def _unit_cost(data: RoutingData, cost_per_tick: float) -> int:
    scale = _cost_scale(data)
    if scale == 1:
        return 1
    return max(1, round(scale * cost_per_tick / max(data.cost_per_tick)))
