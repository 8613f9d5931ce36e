"""A part of a problem compiled to integer arrays: what one OR-Tools model is built from.

Nodes are ordered as in a travel matrix: the part's technicians' starts, their ends, then its
tasks. Times are ticks (`TIME_SCALE` per minute); costs are ticks times `cost_per_minute`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.dispatch.solver import stability
from app.dispatch.solver.problem import FloatMatrix, Problem
from app.dispatch.solver.screen import TIME_SCALE, BoolMatrix, Screening, tick, to_ticks
from app.dispatch.solver.travel import TravelProvider

IntMatrix = npt.NDArray[np.int64]

PRIORITY_WEIGHTS = {1: 1, 2: 4, 3: 16, 4: 64, 5: 256}
PIN_WEIGHT = 4096
"""Drop penalty of a pinned task, in the same unit: above any priority."""
PREFERENCE_BONUS_MINUTES = 30.0
"""Serving a task with a non-preferred technician costs like this much extra travel."""
LATENESS_COST_PER_MINUTE = 10.0
"""A minute past a task's deadline costs like this many minutes of travel."""


@dataclass(frozen=True)
class RoutingData:
    """Plain, picklable input of one OR-Tools model (indices are global in `technicians` and
    `tasks`, positions are local node numbers)."""

    technicians: tuple[int, ...]
    tasks: tuple[int, ...]
    travel: IntMatrix
    distance: FloatMatrix
    service: tuple[int, ...]
    windows: tuple[tuple[tuple[int, int], ...], ...]
    shifts: tuple[tuple[int, int], ...]
    demands: tuple[int, ...] | None
    capacities: tuple[int, ...] | None
    max_tasks: tuple[int, ...] | None
    cost_per_tick: tuple[float, ...]
    allowed: tuple[tuple[int, ...] | None, ...]
    penalties: tuple[int, ...]
    pin_chains: tuple[tuple[int, ...], ...]
    preferred: tuple[frozenset[int] | None, ...]
    deadlines: tuple[int | None, ...]
    lateness_cost: int
    ruled_in: tuple[tuple[int, ...] | None, ...] = ()
    """Like `allowed`, by the technicians' attributes only (skills, allow-lists, load), not
    by what their day's timing rules out; empty means: use `allowed`."""
    current_vehicles: tuple[int | None, ...] = ()
    """Re-plans: per task, the vehicle holding it in the plan in force (see `stability`)."""
    move_costs: tuple[int, ...] = ()
    """Re-plans: per task, what serving it by another vehicle than its current one costs."""
    latest_kept: tuple[int | None, ...] = ()
    """Re-plans: per task, the latest start that costs nothing; each tick later costs
    `shift_cost`."""
    shift_cost: int = 0

    @property
    def vehicle_count(self) -> int:
        return len(self.technicians)

    @property
    def task_count(self) -> int:
        return len(self.tasks)

    def task_node(self, position: int) -> int:
        return 2 * self.vehicle_count + position

    @property
    def horizon(self) -> int:
        """The latest shift end, never below 0 (OR-Tools refuses a negative capacity)."""
        return max(0, *(end for _, end in self.shifts))


def compile_part(
    problem: Problem,
    travel: TravelProvider,
    screening: Screening,
    technicians: Sequence[int],
    tasks: Sequence[int],
) -> RoutingData:
    techs = [problem.technicians[j] for j in technicians]
    places = (
        [t.start for t in techs]
        + [t.end for t in techs]
        + [problem.tasks[i].location for i in tasks]
    )
    table = travel.table(places, places)
    travel_ticks = to_ticks(table.durations)
    np.fill_diagonal(travel_ticks, 0)
    vehicles = len(techs)
    service = [0] * (2 * vehicles) + [tick(problem.tasks[i].duration) for i in tasks]
    held = stability.current_vehicles(problem, technicians, tasks)
    horizon = max((tick(t.shift[1]) for t in techs), default=0)
    # Moving committed work costs as much as any plan could save besides serving work, and
    # less than leaving out any task (see `_penalties`).
    committed_cost = cost_bound(problem, tasks, travel_ticks)
    committed_cost = min(committed_cost, MAX_OBJECTIVE // (PIN_WEIGHT * max(1, len(tasks))))
    return RoutingData(
        technicians=tuple(technicians),
        tasks=tuple(tasks),
        travel=travel_ticks,
        distance=table.distances,
        service=tuple(service),
        windows=tuple(
            stability.kept_windows(problem, i, _task_windows(problem, i), horizon) for i in tasks
        ),
        shifts=tuple((tick(t.shift[0]), tick(t.shift[1])) for t in techs),
        demands=_demands(problem, tasks),
        capacities=_capacities(problem, technicians),
        max_tasks=_max_tasks(problem, technicians, tasks),
        cost_per_tick=tuple(t.cost_per_minute for t in techs),
        allowed=tuple(_allowed_vehicles(screening.eligible, i, technicians) for i in tasks),
        ruled_in=tuple(_allowed_vehicles(screening.by_attributes, i, technicians) for i in tasks),
        penalties=_penalties(problem, tasks, travel_ticks),
        pin_chains=_pin_chains(problem, technicians, tasks),
        preferred=tuple(_preferred_vehicles(problem, i, technicians) for i in tasks),
        deadlines=tuple(_latest_start(problem, i) for i in tasks),
        lateness_cost=round(LATENESS_COST_PER_MINUTE),
        current_vehicles=held,
        move_costs=stability.move_costs(problem, tasks, held, committed_cost),
        latest_kept=stability.latest_kept_starts(problem, tasks),
        shift_cost=stability.shift_cost(),
    )


def _task_windows(problem: Problem, task_index: int) -> tuple[tuple[int, int], ...]:
    return tuple((tick(a), tick(b)) for a, b in problem.tasks[task_index].windows)


def _demands(problem: Problem, tasks: Sequence[int]) -> tuple[int, ...] | None:
    demands = [problem.tasks[i].demand for i in tasks]
    if not any(demands):
        return None
    return tuple(round(d * TIME_SCALE) for d in demands)


def _capacities(problem: Problem, technicians: Sequence[int]) -> tuple[int, ...] | None:
    capacities = [problem.technicians[j].capacity for j in technicians]
    if all(c is None for c in capacities):
        return None
    unbounded = 2**52
    return tuple(unbounded if c is None else round(c * TIME_SCALE) for c in capacities)


def _max_tasks(
    problem: Problem, technicians: Sequence[int], tasks: Sequence[int]
) -> tuple[int, ...] | None:
    limits = [problem.technicians[j].max_tasks for j in technicians]
    if all(limit is None for limit in limits):
        return None
    return tuple(len(tasks) if limit is None else limit for limit in limits)


def _allowed_vehicles(
    verdicts: BoolMatrix, task_index: int, technicians: Sequence[int]
) -> tuple[int, ...] | None:
    eligible = verdicts[task_index, list(technicians)]
    if eligible.all():
        return None
    return tuple(int(v) for v in np.flatnonzero(eligible))


def _penalties(problem: Problem, tasks: Sequence[int], travel_ticks: IntMatrix) -> tuple[int, ...]:
    """Drop penalties: leaving out any task costs more than any plan's whole cost could be,
    whatever the scale of the coordinates, so serving more work always comes first; then
    the higher priority, then travel. See `cost_bound`."""
    unit = cost_bound(problem, tasks, travel_ticks) + 1
    # The objective sums every penalty: keep it inside OR-Tools' int64 arithmetic.
    heaviest = PIN_WEIGHT * max(1, len(tasks))
    if unit * heaviest > MAX_OBJECTIVE:
        unit = MAX_OBJECTIVE // heaviest
    return tuple(
        unit
        * (PIN_WEIGHT if problem.tasks[i].pinned else PRIORITY_WEIGHTS[problem.tasks[i].priority])
        for i in tasks
    )


MAX_OBJECTIVE = 2**62
"""Sum of all drop penalties at most: OR-Tools' costs are int64 and saturate near 2**63."""


def cost_bound(problem: Problem, tasks: Sequence[int], travel_ticks: IntMatrix) -> int:
    """An upper bound on what any plan of the part costs besides drop penalties: every node
    leaves by at most one arc, none longer than the longest, at the dearest rate; every task
    may lose its preference and be late by the whole horizon."""
    if travel_ticks.size == 0:
        return 0
    rate = max(1.0, max((t.cost_per_minute for t in problem.technicians), default=1.0))
    longest_arc = int(travel_ticks.max()) + 1
    travel = math.ceil(longest_arc * len(travel_ticks) * rate)
    preference = round(PREFERENCE_BONUS_MINUTES * TIME_SCALE) * len(tasks)
    horizon = max((tick(t.shift[1]) for t in problem.technicians), default=0)
    lateness = 0
    if any(problem.tasks[i].deadline is not None for i in tasks):
        lateness = round(LATENESS_COST_PER_MINUTE) * max(0, horizon) * len(tasks)
    return travel + preference + lateness + stability.bound(problem, tasks, horizon)


def _pin_chains(
    problem: Problem, technicians: Sequence[int], tasks: Sequence[int]
) -> tuple[tuple[int, ...], ...]:
    """For each vehicle with pinned tasks, their positions in increasing `sequence`."""
    ids = [problem.technicians[j].id for j in technicians]
    chains: list[tuple[int, ...]] = []
    for technician_id in ids:
        pinned = [
            (problem.tasks[i].pinned.sequence, position)  # type: ignore[union-attr]
            for position, i in enumerate(tasks)
            if problem.tasks[i].pinned is not None
            and problem.tasks[i].pinned.technician == technician_id  # type: ignore[union-attr]
        ]
        chains.append(tuple(position for _, position in sorted(pinned)))
    return tuple(chains)


def _preferred_vehicles(
    problem: Problem, task_index: int, technicians: Sequence[int]
) -> frozenset[int] | None:
    preferred = problem.tasks[task_index].preferred_technicians
    if not preferred:
        return None
    return frozenset(v for v, j in enumerate(technicians) if problem.technicians[j].id in preferred)


def _latest_start(problem: Problem, task_index: int) -> int | None:
    task = problem.tasks[task_index]
    return None if task.deadline is None else tick(task.deadline - task.duration)
