"""Parts-aware planning in the pure solver: vans holding the parts first, else a pickup at the
nearest depot holding them right before the visit, else the reason PARTS."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.dispatch.explain import explain
from app.dispatch.solver import SolveOptions, solve
from app.dispatch.solver.problem import (
    Plan,
    UnassignedReason,
    parse_problem,
    plan_to_dict,
    problem_to_dict,
)
from bench.plan_check import check_plan

FAST = SolveOptions(time_limit=1.0, workers=1)


def _plan(data: dict[str, Any]) -> Plan:
    problem = parse_problem(data)
    plan = solve(problem, FAST)
    errors = check_plan(problem_to_dict(problem), plan_to_dict(plan))
    assert errors == [], errors
    return plan


def _tech(name: str, x: float, stock: dict[str, int] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"id": name, "start": {"x": x, "y": 0}, "shift": [0, 600]}
    if stock:
        found["stock"] = stock
    return found


def _routes(plan: Plan) -> dict[str, list[tuple[str, str]]]:
    return {r.technician: [(s.kind, s.task) for s in r.stops] for r in plan.routes}


def test_the_technician_whose_van_holds_the_parts_takes_the_visit() -> None:
    plan = _plan(
        {
            "technicians": [_tech("near", 0), _tech("far", 40, {"pump": 1})],
            "tasks": [
                {"id": "t", "location": {"x": 5, "y": 0}, "duration": 10, "parts": {"pump": 1}}
            ],
        }
    )
    assert _routes(plan) == {"far": [("task", "t")]}
    assert plan.routes[0].stops[0].parts == (("pump", 1),)


def test_a_van_without_the_parts_picks_them_up_at_the_nearest_depot_first() -> None:
    plan = _plan(
        {
            "technicians": [_tech("a", 0)],
            "tasks": [
                {
                    "id": "t",
                    "location": {"x": 20, "y": 0},
                    "duration": 10,
                    "windows": [[30, 100]],
                    "parts": {"pump": 2},
                }
            ],
            "depots": [
                {"id": "north", "location": {"x": 10, "y": 5}, "stock": {"pump": 5}},
                {"id": "far", "location": {"x": 90, "y": 0}, "stock": {"pump": 5}},
                {"id": "short", "location": {"x": 18, "y": 0}, "stock": {"pump": 1}},
            ],
        }
    )
    pickup, visit = plan.routes[0].stops
    assert (pickup.kind, pickup.depot, pickup.parts) == ("pickup", "north", (("pump", 2),))
    assert visit.kind == "task" and visit.task == "t"
    assert pickup.end <= visit.arrival <= visit.start
    assert 30 <= visit.start <= 100
    assert plan.stats.assigned == 1


def test_a_visit_whose_parts_are_nowhere_is_left_out_with_the_reason_parts() -> None:
    plan = _plan(
        {
            "technicians": [_tech("a", 0, {"valve": 3})],
            "tasks": [
                {"id": "t", "location": {"x": 5, "y": 0}, "parts": {"pump": 1}},
                {"id": "u", "location": {"x": 6, "y": 0}},
            ],
            "depots": [{"id": "d", "location": {"x": 1, "y": 1}, "stock": {"valve": 9}}],
        }
    )
    assert [(u.task, u.reason) for u in plan.unassigned] == [("t", UnassignedReason.PARTS)]
    assert _routes(plan) == {"a": [("task", "u")]}


def test_units_are_counted_a_van_serves_one_visit_and_a_pickup_gets_the_next() -> None:
    plan = _plan(
        {
            "technicians": [_tech("a", 0, {"pump": 1})],
            "tasks": [
                {"id": "t1", "location": {"x": 5, "y": 0}, "duration": 5, "parts": {"pump": 1}},
                {"id": "t2", "location": {"x": 8, "y": 0}, "duration": 5, "parts": {"pump": 1}},
            ],
            "depots": [{"id": "d", "location": {"x": 6, "y": 3}, "stock": {"pump": 1}}],
        }
    )
    kinds = [kind for kind, _ in _routes(plan)["a"]]
    assert sorted(kinds) == ["pickup", "task", "task"]
    assert plan.unassigned == ()


def test_the_problem_file_keeps_parts_stock_and_depots() -> None:
    data = {
        "technicians": [_tech("a", 0, {"pump": 1})],
        "tasks": [{"id": "t", "location": {"x": 5, "y": 0}, "parts": {"pump": 1}}],
        "depots": [
            {"id": "d", "location": {"x": 6, "y": 3}, "stock": {"pump": 2}, "pickup_minutes": 5}
        ],
    }
    again = problem_to_dict(parse_problem(problem_to_dict(parse_problem(data))))
    assert again["tasks"][0]["parts"] == {"pump": 1}
    assert again["technicians"][0]["stock"] == {"pump": 1}
    assert again["depots"][0]["pickup_minutes"] == 5


def test_explain_says_which_parts_decide_a_task() -> None:
    problem = parse_problem(
        {
            "technicians": [_tech("a", 0, {"pump": 1}), _tech("b", 9)],
            "tasks": [{"id": "t", "location": {"x": 5, "y": 0}, "parts": {"pump": 1, "seal": 2}}],
            "depots": [{"id": "d", "location": {"x": 6, "y": 3}, "stock": {"pump": 2}}],
        }
    )
    assert explain(problem, "t").parts == ("no stock of seal",)
    held = replace(problem, depots=(replace(problem.depots[0], stock={"pump": 2, "seal": 2}),))
    assert explain(held, "t").parts == ("pickup of 1 x pump, 2 x seal at depot d",)
    first = replace(held.technicians[0], stock={"pump": 1, "seal": 5})
    vans = replace(held, technicians=(first, *held.technicians[1:]))
    assert explain(vans, "t").parts == (
        "van of a holds 1 x pump, 2 x seal",
        "pickup of 1 x pump, 2 x seal at depot d",
    )


def test_random_days_with_parts_pass_the_independent_checker() -> None:
    from bench.dispatch_parts import problem

    for seed in range(2):
        data = problem(60, 6, seed)
        plan = solve(parse_problem(data), SolveOptions(time_limit=2.0, workers=1))
        assert check_plan(data, plan_to_dict(plan)) == []
        assert any(s.kind == "pickup" for r in plan.routes for s in r.stops)
        assert {u.reason for u in plan.unassigned} <= {
            UnassignedReason.PARTS,
            UnassignedReason.NO_CAPACITY,
            UnassignedReason.NOT_WORTH_IT,
            UnassignedReason.NO_TIME_WINDOW_FIT,
        }


def test_when_the_van_holder_is_full_another_technician_takes_the_visit_with_a_pickup() -> None:
    busy = _tech("b", 40, {"pump": 5}) | {"max_tasks": 1}
    plan = _plan(
        {
            "technicians": [_tech("a", 0), busy],
            "tasks": [
                {"id": "t1", "location": {"x": 35, "y": 0}, "duration": 10, "parts": {"pump": 1}},
                {"id": "t2", "location": {"x": 5, "y": 0}, "duration": 10, "parts": {"pump": 1}},
            ],
            "depots": [{"id": "d", "location": {"x": 3, "y": 3}, "stock": {"pump": 2}}],
        }
    )
    assert plan.unassigned == ()
    assert _routes(plan) == {"a": [("pickup", "t2"), ("task", "t2")], "b": [("task", "t1")]}
