"""The dispatch solver on small problems with known answers."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from app.dispatch import cli
from app.dispatch.cli import solve_command
from app.dispatch.explain import RejectionReason, explain
from app.dispatch.solver import SolveOptions, solve
from app.dispatch.solver.problem import Plan, ProblemError, UnassignedReason, parse_problem
from app.dispatch.solver.schedule import servable_routes
from tests.dispatch.problem_factories import compiled, task, technician

FAST = SolveOptions(time_limit=1.0, workers=1)


def plan_for(technicians: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> Plan:
    problem = parse_problem(
        {"travel": {"kind": "euclidean"}, "technicians": technicians, "tasks": tasks}
    )
    return solve(problem, FAST)


def served_by(plan: Plan) -> dict[str, str]:
    return {stop.task: route.technician for route in plan.routes for stop in route.stops}


def reasons(plan: Plan) -> dict[str, UnassignedReason]:
    return {item.task: item.reason for item in plan.unassigned}


def test_skilled_technician_takes_the_task_and_unskilled_work_is_reported() -> None:
    plan = plan_for(
        [
            technician("novice", skills={"hvac": 1}),
            technician("expert", 50, 50, skills={"hvac": 4}),
        ],
        [task("repair", 1, 1, skills={"hvac": 3}), task("pipes", 1, 1, skills={"plumbing": 1})],
    )
    assert served_by(plan) == {"repair": "expert"}
    assert reasons(plan) == {"pipes": UnassignedReason.NO_SKILLED_TECHNICIAN}


def test_service_starts_inside_the_second_window_when_the_first_cannot_be_reached() -> None:
    plan = plan_for([technician("t1")], [task("j1", 30, 40, windows=[[0, 20], [100, 120]])])
    stop = plan.routes[0].stops[0]
    assert (stop.start, stop.end) == (100.0, 110.0)
    assert stop.arrival <= stop.start


def test_every_stop_has_arrival_start_and_end_in_order() -> None:
    plan = plan_for(
        [technician("t1")], [task(f"j{i}", 10 * i, 0, windows=[[0, 400]]) for i in range(1, 6)]
    )
    stops = plan.routes[0].stops
    assert len(stops) == 5
    for previous, stop in itertools.pairwise(stops):
        assert stop.arrival >= previous.end + 10 - 1e-6
    assert all(s.arrival <= s.start and s.end == s.start + 10 for s in stops)


def test_work_must_finish_in_time_to_return_to_the_end_of_the_shift() -> None:
    home = technician("t1", shift=[0, 100]) | {"end": {"x": 0, "y": 60}}
    plan = plan_for([home], [task("far", 0, 80, duration=30), task("near", 0, 20, duration=30)])
    assert served_by(plan) == {"near": "t1"}
    assert reasons(plan) == {"far": UnassignedReason.NO_TIME_WINDOW_FIT}
    assert plan.stats.distance == pytest.approx(60.0)


def test_pinned_work_stays_with_its_technician_in_sequence() -> None:
    tasks = [
        task("second", 90, 90, pinned={"technician": "far", "sequence": 2}),
        task("first", 10, 10, pinned={"technician": "far", "sequence": 1}),
    ]
    far = technician("far", 100, 100) | {"end": {"x": 0, "y": 0}}
    plan = plan_for([technician("near"), far], tasks)
    assert [(r.technician, [s.task for s in r.stops]) for r in plan.routes] == [
        ("far", ["first", "second"])
    ]


def test_serving_high_priority_work_beats_saving_travel() -> None:
    tasks = [
        task("urgent", 0, 150, duration=60, priority=5),
        task("routine", 0, 10, duration=60, priority=1),
    ]
    plan = plan_for([technician("t1", shift=[0, 410])], tasks)
    assert served_by(plan) == {"urgent": "t1"}
    assert reasons(plan) == {"routine": UnassignedReason.NOT_WORTH_IT}


def test_capacity_limits_the_load_and_the_dropped_task_says_so() -> None:
    tasks = [task("a", 5, 0, demand=6), task("b", 0, 5, demand=6), task("huge", 1, 1, demand=50)]
    plan = plan_for([technician("van", capacity=10)], tasks)
    assert len(served_by(plan)) == 1
    assert set(reasons(plan).values()) == {UnassignedReason.NO_CAPACITY}
    assert len(plan.unassigned) == 2


def test_max_tasks_caps_the_visits_per_technician() -> None:
    tasks = [task(f"j{i}", i, 0) for i in range(1, 5)]
    plan = plan_for([technician("t1", max_tasks=2), technician("t2", 5, 0, max_tasks=2)], tasks)
    counts = [len(route.stops) for route in plan.routes]
    assert sorted(counts) == [2, 2]


def test_allow_list_sends_the_task_to_a_far_technician() -> None:
    tasks = [
        task("vip", 1, 1, technicians=["far"]),
        task("nobody", 1, 1, technicians=["near"], skills={"gas": 4}),
    ]
    plan = plan_for(
        [technician("near", skills={"gas": 1}), technician("far", 100, 0, skills={"gas": 3})], tasks
    )
    assert served_by(plan) == {"vip": "far"}
    assert reasons(plan) == {"nobody": UnassignedReason.NO_SKILLED_TECHNICIAN}


def test_allow_list_without_a_suitable_technician_is_reported() -> None:
    plan = plan_for(
        [technician("near"), technician("other", skills={"gas": 3})],
        [task("gas", 1, 1, technicians=["near"], skills={"gas": 2})],
    )
    assert reasons(plan) == {"gas": UnassignedReason.NO_ALLOWED_TECHNICIAN}


def test_preferred_technician_gets_the_task_when_travel_is_close() -> None:
    plan = plan_for(
        [technician("a", 0, 0), technician("b", 12, 0)],
        [task("j1", 5, 0, preferred_technicians=["b"])],
    )
    assert served_by(plan) == {"j1": "b"}


def test_deadline_is_soft_and_orders_the_work() -> None:
    # Both orders travel 60; "late" ends at 40 when first, at 50 (past 45) after "early".
    tasks = [task("late", 0, 30, deadline=45), task("early", 0, 10, deadline=400)]
    plan = plan_for([technician("t1")], tasks)
    assert [s.task for s in plan.routes[0].stops] == ["late", "early"]
    impossible = plan_for([technician("t1")], [task("rush", 0, 100, deadline=50)])
    assert served_by(impossible) == {"rush": "t1"}


def test_matrix_travel_with_distances_reports_both() -> None:
    problem = parse_problem(
        {
            "travel": {
                "kind": "matrix",
                "durations": [[0, 0, 5], [0, 0, 5], [5, 5, 0]],
                "distances": [[0, 0, 2], [0, 0, 2], [2, 2, 0]],
            },
            "technicians": [
                {"id": "t1", "start": {"index": 0}, "end": {"index": 1}, "shift": [0, 60]}
            ],
            "tasks": [{"id": "j1", "location": {"index": 2}, "duration": 5}],
        }
    )
    plan = solve(problem, FAST)
    assert (plan.stats.travel_time, plan.stats.distance) == (10.0, 4.0)


def test_haversine_travel_uses_speed_and_detour() -> None:
    problem = parse_problem(
        {
            "travel": {"kind": "haversine", "speed_kmh": 60, "detour": 1.0},
            "technicians": [{"id": "t1", "start": {"lat": 0, "lng": 0}, "shift": [0, 600]}],
            "tasks": [{"id": "j1", "location": {"lat": 0, "lng": 1}, "duration": 0}],
        }
    )
    plan = solve(problem, FAST)
    assert plan.routes[0].stops[0].arrival == pytest.approx(111.19, abs=0.05)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"technicians": [technician("t1"), technician("t1")]}, "duplicate id"),
        ({"tasks": [task("j1", 0, 0, technicians=["ghost"])]}, "unknown technician 'ghost'"),
        (
            {"tasks": [task("j1", 0, 0, windows=[[50, 10]])]},
            "tasks[0].windows[0]: start 50 is after end 10",
        ),
        ({"tasks": [task("j1", 0, 0, priority=9)]}, "tasks[0].priority"),
        ({"travel": {"kind": "teleport"}}, "travel.kind"),
    ],
)
def test_invalid_problems_name_the_faulty_field(change: dict[str, Any], message: str) -> None:
    data = {
        "travel": {"kind": "euclidean"},
        "technicians": [technician("t1")],
        "tasks": [],
    } | change
    with pytest.raises(ProblemError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_problem(data)


def test_explain_lists_each_technician_that_cannot_take_the_task() -> None:
    problem = parse_problem(
        {
            "technicians": [
                technician("ok", skills={"hvac": 3}),
                technician("novice", skills={"hvac": 1}),
                technician("outsider", skills={"hvac": 5}),
                technician("small", skills={"hvac": 5}, capacity=1),
                technician("faraway", 5000, 0, skills={"hvac": 5}),
            ],
            "tasks": [
                task(
                    "j1",
                    1,
                    1,
                    skills={"hvac": 2},
                    demand=5,
                    technicians=["ok", "novice", "small", "faraway"],
                )
            ],
        }
    )
    explanation = explain(problem, "j1")
    found = {(r.technician, r.reason) for r in explanation.rejections}
    assert explanation.candidates == ("ok",)
    assert found == {
        ("novice", RejectionReason.MISSING_SKILL),
        ("outsider", RejectionReason.NOT_ALLOWED),
        ("small", RejectionReason.OVER_CAPACITY),
        ("faraway", RejectionReason.WINDOW_UNREACHABLE),
    }


def test_cli_solves_a_problem_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "problem.json"
    problem = {
        "technicians": [technician("t1")],
        "tasks": [task("j1", 3, 4), task("j2", 3, 4, skills={"x": 1})],
    }
    path.write_text(json.dumps(problem))
    assert solve_command([str(path), "--time-limit", "1", "--workers", "1"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["routes"][0]["stops"][0]["task"] == "j1"
    assert plan["unassigned"] == [{"task": "j2", "reason": "NO_SKILLED_TECHNICIAN"}]
    assert plan["stats"]["distance"] == 10.0


def test_cli_reports_an_invalid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "problem.json"
    path.write_text(json.dumps({"technicians": [{"id": "t1"}]}))
    assert solve_command([str(path)]) == 1
    assert "technicians[0].start" in capsys.readouterr().err


def test_cli_starts_from_an_earlier_plan_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plan file's routes reach the solver as its start (preferences alone would give
    # the same plan, so the start the solver was handed is checked too).
    handed: list[SolveOptions] = []

    def solve_and_record(problem: Any, options: SolveOptions) -> Plan:
        handed.append(options)
        return solve(problem, options)

    monkeypatch.setattr(cli, "solve", solve_and_record)
    problem = tmp_path / "problem.json"
    problem.write_text(
        json.dumps(
            {
                "technicians": [technician("a"), technician("b", 10, 0)],
                "tasks": [
                    task("j1", 4, 0, preferred_technicians=["b"]),
                    task("j2", 6, 0, preferred_technicians=["a"]),
                ],
            }
        )
    )
    earlier = tmp_path / "plan.json"
    earlier.write_text(json.dumps({"routes": [{"technician": "b", "stops": [{"task": "j1"}]}]}))
    arguments = [str(problem), "--time-limit", "1", "--workers", "1", "--start-from"]
    assert solve_command([*arguments, str(earlier)]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert {r["technician"]: [s["task"] for s in r["stops"]] for r in plan["routes"]} == {
        "a": ["j2"],
        "b": ["j1"],
    }
    assert [options.start_from for options in handed] == [{"b": ["j1"]}]
    earlier.write_text(json.dumps({"routes": [{"stops": []}]}))
    assert solve_command([*arguments, str(earlier)]) == 1
    assert "not a plan" in capsys.readouterr().err


def test_a_replan_from_the_plan_in_force_keeps_it_and_fits_the_new_task_in() -> None:
    # Each technician's own tasks lie on their side; a better split would not exist, so the
    # start is kept as it is and the new task goes to the nearer technician.
    technicians = [technician("west", 0, 0), technician("east", 100, 0)]
    tasks = [
        task("w1", 10, 0, preferred_technicians=["west"]),
        task("w2", 20, 0, preferred_technicians=["west"]),
        task("e1", 90, 0, preferred_technicians=["east"]),
        task("new", 80, 5),
    ]
    problem = parse_problem(
        {"travel": {"kind": "euclidean"}, "technicians": technicians, "tasks": tasks}
    )
    start_from = {"west": ["w1", "w2"], "east": ["e1"]}
    plan = solve(problem, SolveOptions(time_limit=1.0, workers=1, start_from=start_from))
    assert served_by(plan) == {"w1": "west", "w2": "west", "e1": "east", "new": "east"}


def test_a_start_that_no_longer_fits_is_repaired_not_refused() -> None:
    # "gone" closed before the technician can get there; "kept" still fits; unknown ids and
    # a task on a technician who may not take it are ignored.
    tasks = [
        task("gone", 50, 0, windows=[[0, 10]]),
        task("kept", 10, 0, preferred_technicians=["a"]),
        task("gas", 5, 0, technicians=["b"]),
    ]
    problem = parse_problem(
        {
            "travel": {"kind": "euclidean"},
            "technicians": [technician("a"), technician("b", 5, 5)],
            "tasks": tasks,
        }
    )
    start_from = {"a": ["gone", "kept", "gas", "nope"], "ghost": ["kept"]}
    plan = solve(problem, SolveOptions(time_limit=1.0, workers=1, start_from=start_from))
    assert served_by(plan) == {"kept": "a", "gas": "b"}
    assert reasons(plan) == {"gone": UnassignedReason.NO_TIME_WINDOW_FIT}


def test_servable_routes_drop_what_the_order_makes_late_and_what_overfills() -> None:
    data = compiled(
        [technician("a", max_tasks=2) | {"shift": [0, 200]}],
        [task("far", 60, 0), task("tight", 10, 0, windows=[[0, 40]]), task("near", 5, 0),
         task("extra", 6, 0)],
    )  # fmt: skip
    # After "far" (arrive 60, leave 70) "tight" closed at 40; the count allows two stops.
    assert servable_routes(data, [[0, 1, 2, 3]]) == ((0, 2),)
