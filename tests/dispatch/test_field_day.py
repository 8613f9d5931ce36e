"""The field-day bench: its days are valid problems our plans serve within the rules, the
independent checker refuses a plan that breaks them, and left-out work of a higher priority
takes the place of cheaper work in a full route."""

from __future__ import annotations

import copy

import pytest

from app.dispatch.solver import SolveOptions, solve
from app.dispatch.solver.exchange import exchange_left_out
from app.dispatch.solver.problem import problem_to_dict
from bench.field_day import field_day, figures, our_plan
from bench.plan_check import check_plan
from tests.dispatch.problem_factories import compiled, task, technician


def test_a_day_is_the_same_for_a_seed_and_has_more_work_than_hands() -> None:
    day = field_day(6, 50, seed=3)
    again = field_day(6, 50, seed=3)
    assert problem_to_dict(day.problem) == problem_to_dict(again.problem)
    assert (day.seconds == again.seconds).all()
    assert day.seconds.shape == (2 * 6 + 50, 2 * 6 + 50)
    assert (day.seconds % 3 == 0).all() and (day.seconds.diagonal() == 0).all()
    shift_minutes = sum(t.shift[1] - t.shift[0] for t in day.problem.technicians)
    assert sum(t.duration for t in day.problem.tasks) > shift_minutes
    windowed = [t for t in day.problem.tasks if t.windows]
    assert 0 < len(windowed) < len(day.problem.tasks)
    assert all(b - a == 120 for t in windowed for a, b in t.windows)
    assert {t.priority for t in day.problem.tasks} <= {1, 2, 3, 4}


def test_our_plan_of_a_day_passes_the_checker_and_a_broken_one_does_not() -> None:
    day = field_day(5, 40, seed=7)
    plan = our_plan(solve(day.problem, SolveOptions(time_limit=1.0, workers=1)))
    result = figures(day, plan, 0.0)
    assert result.errors == ()
    assert 0 < result.served < 40
    served = {s["task"] for r in plan["routes"] for s in r["stops"]}
    assert served | {u["task"] for u in plan["unassigned"]} == {t.id for t in day.problem.tasks}

    late = copy.deepcopy(plan)
    route = next(r for r in late["routes"] if r["stops"])
    stop = route["stops"][-1]
    stop["start"] += 600.0
    stop["end"] += 600.0
    assert check_plan(problem_to_dict(day.problem), late)

    unskilled = copy.deepcopy(plan)
    tasks = {t.id: t for t in day.problem.tasks}
    technicians = {t.id: t for t in day.problem.technicians}
    for route in unskilled["routes"]:
        for other in technicians.values():
            for stop in route["stops"]:
                needs = tasks[stop["task"]].skills
                if any(other.skills.get(name, 0) < level for name, level in needs.items()):
                    route["technician"] = other.id
                    errors = check_plan(problem_to_dict(day.problem), unskilled)
                    assert any("lacks the skills" in error for error in errors)
                    return
    pytest.fail("every technician could do every task of the day")


def test_vroom_plan_of_a_day_passes_the_checker() -> None:
    pytest.importorskip("vroom")
    from bench.field_day import vroom_plan

    day = field_day(5, 40, seed=7)
    result = figures(day, vroom_plan(day, 1.0), 0.0)
    assert result.errors == ()
    assert 0 < result.served < 40


def test_a_dearer_left_out_task_replaces_a_cheaper_one_in_a_full_route() -> None:
    data = compiled(
        [technician("t1", shift=[0, 100])],
        [
            task("cheap", 0, 0, duration=80, priority=1),
            task("dear", 0, 0, duration=80, priority=4),
        ],
    )
    routes = exchange_left_out(data, ((0,),), deadline=float("inf"))
    assert routes == ((1,),)
    assert exchange_left_out(data, routes, deadline=float("inf")) == routes


def test_a_left_out_task_is_served_after_moving_another_to_make_room() -> None:
    data = compiled(
        [technician("t1", shift=[0, 100]), technician("t2", x=50, shift=[0, 200])],
        [
            task("movable", 0, 0, duration=80, priority=4, technicians=None),
            task("local", 0, 0, duration=80, priority=3, technicians=["t1"]),
        ],
    )
    full = ((0,), ())
    assert exchange_left_out(data, full, deadline=float("inf")) == full
    assert exchange_left_out(data, full, deadline=float("inf"), make_room=True) == ((1,), (0,))
