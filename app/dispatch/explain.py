"""Why a task cannot go to a technician: `explain(problem, task_id)`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from app.dispatch.solver import parts
from app.dispatch.solver.problem import Problem, ProblemError, Task, Technician
from app.dispatch.solver.screen import screen
from app.dispatch.solver.travel import TravelProvider, make_travel


class RejectionReason(StrEnum):
    MISSING_SKILL = "MISSING_SKILL"
    NOT_ALLOWED = "NOT_ALLOWED"
    OVER_CAPACITY = "OVER_CAPACITY"
    NO_TASK_SLOTS = "NO_TASK_SLOTS"
    WINDOW_UNREACHABLE = "WINDOW_UNREACHABLE"


@dataclass(frozen=True)
class Rejection:
    technician: str
    reason: RejectionReason
    detail: str


@dataclass(frozen=True)
class TaskExplanation:
    """`candidates` could take the task on an otherwise empty day; `rejections` say why the
    others cannot (a technician may appear once per failed rule)."""

    task: str
    candidates: tuple[str, ...]
    rejections: tuple[Rejection, ...]
    parts: tuple[str, ...] = ()
    """What decides the task's parts: "van of T holds ...", "pickup of ... at depot D" (the
    nearest stocking them), or "no stock of P"."""


def explain(
    problem: Problem, task_id: str, travel: TravelProvider | None = None
) -> TaskExplanation:
    task = _find_task(problem, task_id)
    single = replace(problem, tasks=(task,))
    verdicts = screen(single, travel or make_travel(problem.travel))
    rejections: list[Rejection] = []
    candidates: list[str] = []
    for j, technician in enumerate(problem.technicians):
        found = _rejections(task, technician)
        if not verdicts.reachable[0, j]:
            found.append(
                Rejection(
                    technician.id,
                    RejectionReason.WINDOW_UNREACHABLE,
                    _window_detail(task, technician),
                )
            )
        rejections.extend(found)
        if not found:
            candidates.append(technician.id)
    notes = _parts_notes(problem, task, travel or make_travel(problem.travel))
    return TaskExplanation(
        task=task_id, candidates=tuple(candidates), rejections=tuple(rejections), parts=notes
    )


def _parts_notes(problem: Problem, task: Task, travel: TravelProvider) -> tuple[str, ...]:
    if not parts.plans_parts(task):
        return ()
    decision = parts.decide(replace(problem, tasks=(task,)), travel)[task.id]
    listing = ", ".join(f"{units} x {part}" for part, units in sorted(task.parts.items()))
    notes = [f"van of {holder} holds {listing}" for holder in decision.holders]
    if decision.depot is not None:
        notes.append(f"pickup of {listing} at depot {decision.depot.id}")
    for part, units in sorted(task.parts.items()):
        stocked = [t.stock for t in problem.technicians] + [d.stock for d in problem.depots]
        if not any(held.get(part, 0) >= units for held in stocked):
            notes.append(f"no stock of {part}")
    return tuple(notes)


def _find_task(problem: Problem, task_id: str) -> Task:
    for task in problem.tasks:
        if task.id == task_id:
            return task
    raise ProblemError(f"unknown task {task_id!r}")


def _rejections(task: Task, technician: Technician) -> list[Rejection]:
    found = [
        Rejection(
            technician.id, RejectionReason.MISSING_SKILL, f"{name}: needs {level}, has {held}"
        )
        for name, level in sorted(task.skills.items())
        if (held := technician.skills.get(name, 0)) < level
    ]
    if task.pinned is not None and task.pinned.technician != technician.id:
        found.append(
            Rejection(
                technician.id, RejectionReason.NOT_ALLOWED, f"pinned to {task.pinned.technician}"
            )
        )
    elif task.technicians is not None and technician.id not in task.technicians:
        found.append(
            Rejection(technician.id, RejectionReason.NOT_ALLOWED, "not in the task's allow-list")
        )
    if technician.capacity is not None and task.demand > technician.capacity:
        detail = f"demand {task.demand:g} over capacity {technician.capacity:g}"
        found.append(Rejection(technician.id, RejectionReason.OVER_CAPACITY, detail))
    if technician.max_tasks == 0:
        found.append(Rejection(technician.id, RejectionReason.NO_TASK_SLOTS, "max_tasks is 0"))
    return found


def _window_detail(task: Task, technician: Technician) -> str:
    windows = ", ".join(f"[{a:g}, {b:g}]" for a, b in task.windows) or "any time"
    shift = f"[{technician.shift[0]:g}, {technician.shift[1]:g}]"
    return f"cannot start in {windows} and be back by the end of shift {shift}"
