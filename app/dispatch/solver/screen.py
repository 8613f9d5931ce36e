"""Which technician could take which task on an empty day, and why not.

Screening runs before the search: a task nobody can take is reported at once with its reason
and kept out of the model, and the search only offers a task to technicians that passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from app.dispatch.solver.problem import Problem, Task, UnassignedReason
from app.dispatch.solver.travel import TravelProvider

BoolMatrix = npt.NDArray[np.bool_]
IntMatrix = npt.NDArray[np.int64]

TIME_SCALE = 100
"""Integer ticks per minute inside the engine: exact for the one-decimal DIMACS convention."""


def to_ticks(minutes: npt.ArrayLike) -> npt.NDArray[np.int64]:
    return np.rint(np.asarray(minutes, dtype=np.float64) * TIME_SCALE).astype(np.int64)


def tick(minutes: float) -> int:
    return round(minutes * TIME_SCALE)


@dataclass(frozen=True)
class Screening:
    """Boolean (task x technician) verdicts of each rule on an empty route."""

    skilled: BoolMatrix
    allowed: BoolMatrix
    fits_load: BoolMatrix
    reachable: BoolMatrix

    @cached_property
    def eligible(self) -> BoolMatrix:
        return self.by_attributes & self.reachable

    @cached_property
    def by_attributes(self) -> BoolMatrix:
        """What the technician is (skills, allow-lists, load), whatever their day's timing."""
        return self.skilled & self.allowed & self.fits_load

    def reason(self, task_index: int, pinned: bool) -> UnassignedReason | None:
        """Why no technician can take the task, or None when one can."""
        if self.eligible[task_index].any():
            return None
        if pinned:
            return UnassignedReason.PINNED_INFEASIBLE
        steps = (
            (self.skilled, UnassignedReason.NO_SKILLED_TECHNICIAN),
            (self.allowed, UnassignedReason.NO_ALLOWED_TECHNICIAN),
            (self.fits_load, UnassignedReason.NO_CAPACITY),
        )
        passed = np.ones(self.skilled.shape[1], dtype=np.bool_)
        for verdict, reason in steps:
            passed &= verdict[task_index]
            if not passed.any():
                return reason
        return UnassignedReason.NO_TIME_WINDOW_FIT


def screen(problem: Problem, travel: TravelProvider) -> Screening:
    return Screening(
        skilled=_skill_verdicts(problem),
        allowed=_allow_list_verdicts(problem),
        fits_load=_load_verdicts(problem),
        reachable=_reachability_verdicts(problem, travel),
    )


def _skill_verdicts(problem: Problem) -> BoolMatrix:
    names = sorted({name for task in problem.tasks for name in task.skills})
    required = np.array([[t.skills.get(n, 0) for n in names] for t in problem.tasks], np.int64)
    held = np.array([[t.skills.get(n, 0) for n in names] for t in problem.technicians], np.int64)
    if not names:
        return np.ones((len(problem.tasks), len(problem.technicians)), dtype=np.bool_)
    required = required.reshape(len(problem.tasks), len(names))
    held = held.reshape(len(problem.technicians), len(names))
    return np.all(held[None, :, :] >= required[:, None, :], axis=2)


def _allowed_ids(task: Task) -> tuple[str, ...] | None:
    if task.pinned is not None:
        return (task.pinned.technician,)
    return task.technicians


def _allow_list_verdicts(problem: Problem) -> BoolMatrix:
    column = {technician.id: j for j, technician in enumerate(problem.technicians)}
    allowed = np.ones((len(problem.tasks), len(problem.technicians)), dtype=np.bool_)
    for i, task in enumerate(problem.tasks):
        ids = _allowed_ids(task)
        if ids is not None:
            allowed[i, :] = False
            allowed[i, [column[technician] for technician in ids]] = True
    return allowed


def _load_verdicts(problem: Problem) -> BoolMatrix:
    demand = np.array([task.demand for task in problem.tasks], dtype=np.float64)
    capacity = np.array(
        [np.inf if t.capacity is None else t.capacity for t in problem.technicians], np.float64
    )
    takes_tasks = np.array([t.max_tasks != 0 for t in problem.technicians], dtype=np.bool_)
    return (demand[:, None] <= capacity[None, :]) & takes_tasks[None, :]


def _reachability_verdicts(problem: Problem, travel: TravelProvider) -> BoolMatrix:
    """Can the technician start the task in a window and get back to `end` within the shift?"""
    technicians, tasks = problem.technicians, problem.tasks
    places = [task.location for task in tasks]
    outbound = to_ticks(travel.table([t.start for t in technicians], places).durations)
    inbound = to_ticks(travel.table(places, [t.end for t in technicians]).durations)
    shift_start = to_ticks([t.shift[0] for t in technicians])
    shift_end = to_ticks([t.shift[1] for t in technicians])
    duration = to_ticks([task.duration for task in tasks])
    arrival = shift_start[None, :] + outbound.T
    reachable = np.zeros((len(tasks), len(technicians)), dtype=np.bool_)
    for opens, closes in _window_columns(tasks):
        # The engines' clock starts at the horizon's start: no service before it.
        start = np.maximum(np.maximum(arrival, opens[:, None]), 0)
        finish = start + duration[:, None] + inbound
        reachable |= (start <= closes[:, None]) & (finish <= shift_end[None, :])
    return reachable


def _window_columns(tasks: tuple[Task, ...]) -> list[tuple[IntMatrix, IntMatrix]]:
    """The k-th window of every task as two tick vectors; a task without windows is always open."""
    unbounded = np.iinfo(np.int64).max // 4
    count = max((len(task.windows) for task in tasks), default=0)
    columns = []
    for k in range(max(count, 1)):
        opens, closes = [], []
        for task in tasks:
            windows = task.windows or ((-unbounded / TIME_SCALE, unbounded / TIME_SCALE),)
            opening, closing = windows[min(k, len(windows) - 1)]
            opens.append(max(tick(opening), -unbounded))
            closes.append(min(tick(closing), unbounded))
        columns.append((np.array(opens, np.int64), np.array(closes, np.int64)))
    return columns
