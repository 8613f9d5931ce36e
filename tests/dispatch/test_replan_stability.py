"""Least-change re-planning in the solver: moving the plan in force costs, a committed visit
moves only when it cannot be kept, and one rejection moves little else."""

from __future__ import annotations

from typing import Any

import pytest

from app.dispatch.solver import SolveOptions, solve
from app.dispatch.solver.problem import Plan, ProblemError, parse_problem, problem_to_dict
from tests.dispatch.problem_factories import task, technician

SHIFT_TOLERANCE = 15.0
"""Minutes a start may shift before it counts as moved (the solver's free shift)."""


def _solve(
    technicians: list[dict[str, Any]],
    tasks: list[dict[str, Any]],
    start_from: dict[str, list[str]] | None = None,
) -> Plan:
    problem = parse_problem(
        {"travel": {"kind": "euclidean"}, "technicians": technicians, "tasks": tasks}
    )
    return solve(problem, SolveOptions(time_limit=1.0, workers=1, start_from=start_from))


def _placed(plan: Plan) -> dict[str, tuple[str, float]]:
    return {
        stop.task: (route.technician, stop.start) for route in plan.routes for stop in route.stops
    }


def _visit_near_b(committed: bool) -> dict[str, Any]:
    # Held by A (95 minutes away); B is 5 minutes away: moving it saves about three hours.
    current = {"technician": "A", "start": 95, "committed": committed}
    return task("visit", 95, 0, current=current)


def test_offered_work_moves_for_a_clear_gain() -> None:
    plan = _solve(
        [technician("A", 0, 0), technician("B", 100, 0)],
        [_visit_near_b(committed=False)],
        {"A": ["visit"]},
    )

    assert _placed(plan)["visit"][0] == "B"


def test_a_committed_visit_stays_when_a_feasible_plan_keeps_it() -> None:
    plan = _solve(
        [technician("A", 0, 0), technician("B", 100, 0)],
        [_visit_near_b(committed=True)],
        {"A": ["visit"]},
    )

    assert _placed(plan)["visit"] == ("A", 95.0)


def test_a_committed_visit_moves_when_it_cannot_be_kept() -> None:
    # A now leaves at 150: the visit (95 there, 10 on site, 95 back) no longer fits A's day.
    plan = _solve(
        [technician("A", 0, 0, shift=[0, 150]), technician("B", 100, 0)],
        [_visit_near_b(committed=True)],
        {"A": ["visit"]},
    )

    assert _placed(plan)["visit"][0] == "B"
    assert not plan.unassigned


CORNERS = {"A": (0, 0), "B": (100, 0), "C": (0, 100), "D": (100, 100)}


def _corner_day() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    technicians = [technician(name, x, y) for name, (x, y) in CORNERS.items()]
    tasks = [
        task(f"{name}{k}", x + dx, y + dy, duration=30)
        for name, (x, y) in CORNERS.items()
        for k, (dx, dy) in enumerate([(10, 5), (20, 15), (5, 25), (30, 30)])
    ]
    return technicians, tasks


def test_one_rejection_moves_no_other_assignment() -> None:
    # given a day planned from scratch
    technicians, tasks = _corner_day()
    first = _placed(_solve(technicians, tasks))
    assert len(first) == len(tasks)
    # when A's second visit is rejected (A excluded) and the day is planned again from it
    rejected = "A1"
    replanned = []
    for item in tasks:
        held_by, start = first[item["id"]]
        if item["id"] == rejected:
            replanned.append(item | {"technicians": ["B", "C", "D"]})
        else:
            replanned.append(item | {"current": {"technician": held_by, "start": start}})
    routes: dict[str, list[str]] = {}
    for task_id, (held_by, _) in sorted(first.items(), key=lambda kv: kv[1][1]):
        if task_id != rejected:
            routes.setdefault(held_by, []).append(task_id)
    again = _placed(_solve(technicians, replanned, routes))
    # then the rejected visit is served by someone else and nothing else moves
    assert again[rejected][0] != "A"
    moved = {
        task_id
        for task_id, (held_by, start) in first.items()
        if task_id != rejected
        and (again[task_id][0] != held_by or abs(again[task_id][1] - start) > SHIFT_TOLERANCE)
    }
    assert moved == set()


def test_the_problem_file_keeps_a_task_s_current_place() -> None:
    current = {"technician": "A", "start": 95.0, "committed": True}
    data = {
        "travel": {"kind": "euclidean"},
        "technicians": [technician("A")],
        "tasks": [task("visit", 95, 0, current=current)],
    }

    again = problem_to_dict(parse_problem(data))

    assert again["tasks"][0]["current"] == current
    assert parse_problem(again).tasks == parse_problem(data).tasks


def test_a_current_place_names_a_known_technician() -> None:
    data = {
        "travel": {"kind": "euclidean"},
        "technicians": [technician("A")],
        "tasks": [task("visit", 1, 0, current={"technician": "Z", "start": 0})],
    }

    with pytest.raises(ProblemError, match=r"current\.technician"):
        parse_problem(data)
