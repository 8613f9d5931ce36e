"""The optimizer plans crews and multi-day work: crews start together at one site, nobody is
double-booked, segments go in order on later days with the same crew; every plan is verified
by the independent plan checker the benchmarks use."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from app.dispatch.solver import SolveOptions, solve
from app.dispatch.solver.problem import parse_problem, plan_to_dict, problem_to_dict
from bench.plan_check import check_plan
from tests.dispatch.problem_factories import task, technician

DAY = 1440


def planned(data: dict[str, Any]) -> dict[str, Any]:
    plan = plan_to_dict(solve(parse_problem(data), SolveOptions(time_limit=5, workers=1)))
    assert check_plan(data, plan) == [], check_plan(data, plan)
    return plan


def stops_of(plan: dict[str, Any], task_id: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (route["technician"], stop)
        for route in plan["routes"]
        for stop in route["stops"]
        if stop["task"] == task_id
    ]


def test_a_crew_of_three_starts_together_led_by_the_skilled_technician() -> None:
    data = {
        "technicians": [
            technician("a", 0, 0),
            technician("b", 30, 0),
            technician("c", 0, 40),
            technician("d", 5, 5, skills={"hvac": 4}),
        ],
        "tasks": [
            task("big", 10, 10, duration=120, crew=3, lead_skills={"hvac": 3}),
            task("small", 1, 1),
        ],
    }
    plan = planned(data)
    visits = stops_of(plan, "big")
    assert len(visits) == 3 and len({who for who, _ in visits}) == 3
    assert len({stop["start"] for _, stop in visits}) == 1
    assert [who for who, stop in visits if stop.get("lead")] == ["d"]
    assert plan["unassigned"] == []


def test_the_crew_holds_the_tasks_skills_together() -> None:
    data = {
        "technicians": [
            technician("a", skills={"electrical": 2}),
            technician("b", skills={"hvac": 3}),
            technician("c"),
        ],
        "tasks": [task("install", 5, 5, duration=60, crew=2, skills={"hvac": 3, "electrical": 2})],
    }
    plan = planned(data)
    assert {who for who, _ in stops_of(plan, "install")} == {"a", "b"}


def test_a_crew_nobody_can_lead_is_left_out_with_its_reason() -> None:
    data = {
        "technicians": [technician("a"), technician("b")],
        "tasks": [task("x", 1, 1, crew=2, lead_skills={"hvac": 5})],
    }
    plan = planned(data)
    assert plan["unassigned"] == [{"task": "x", "reason": "NO_SKILLED_TECHNICIAN"}]


def test_multi_day_segments_go_in_order_on_later_days_with_the_same_crew() -> None:
    days = 3
    shift = [0, days * DAY]
    data = {
        "technicians": [technician(t, i * 3, 0, shift=shift) for i, t in enumerate("abcd")],
        "tasks": [
            task(
                "hvac",
                10,
                10,
                crew=2,
                segments=[
                    {"duration": 480, "windows": [[d * DAY + 540, d * DAY + 600]]}
                    for d in range(days)
                ],
            ),
            *[task(f"j{i}", i, 2 * i, duration=30, windows=[[560, 1000]]) for i in range(6)],
        ],
    }
    plan = planned(data)
    visits = stops_of(plan, "hvac")
    assert sorted(stop["segment"] for _, stop in visits) == [1, 1, 2, 2, 3, 3]
    crews: dict[int, set[str]] = {stop["segment"]: set() for _, stop in visits}
    for who, stop in visits:
        crews[stop["segment"]].add(who)
    assert crews[1] == crews[2] == crews[3]
    assert plan["unassigned"] == []


def test_random_crew_problems_are_never_double_booked() -> None:
    rng = random.Random(16)
    for _ in range(5):
        technicians = [
            technician(f"t{i}", rng.uniform(0, 50), rng.uniform(0, 50),
                       skills={"hvac": rng.randint(1, 5)}, shift=[0, 2 * DAY])
            for i in range(8)
        ]  # fmt: skip
        tasks = []
        for i in range(25):
            fields: dict[str, Any] = {"duration": rng.choice([20, 45, 90]),
                                      "priority": rng.randint(1, 5)}  # fmt: skip
            if i % 4 == 0:
                fields |= {"crew": rng.randint(2, 3), "lead_skills": {"hvac": 3}}
            if i % 7 == 0:
                fields["segments"] = [
                    {"duration": 240, "windows": [[d * DAY + 480, d * DAY + 720]]} for d in (0, 1)
                ]
            if i % 3 == 0:
                start = rng.uniform(0, 600)
                fields["windows"] = [[start, start + 120]]
            tasks.append(task(f"j{i}", rng.uniform(0, 50), rng.uniform(0, 50), **fields))
        plan = planned({"technicians": technicians, "tasks": tasks})
        assert plan["stats"]["assigned"] > 10


def test_the_checker_catches_a_crew_that_does_not_start_together() -> None:
    data = {
        "technicians": [technician("a"), technician("b")],
        "tasks": [task("x", 3, 4, crew=2)],
    }
    plan = planned(data)
    plan["routes"][1]["stops"][0]["start"] += 1
    plan["routes"][1]["stops"][0]["end"] += 1
    assert any("different times" in error for error in check_plan(data, plan))


def test_solve_reads_and_writes_the_crew_format(tmp_path: Path) -> None:
    data = {
        "travel": {"kind": "euclidean"},
        "technicians": [technician("a"), technician("b")],
        "tasks": [task("x", 3, 4, crew=2, lead_skills={}, segments=[{"duration": 30}])],
    }
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(problem_to_dict(parse_problem(data))))
    out = subprocess.run(
        [sys.executable, "-m", "app.dispatch.cli", str(path), "--time-limit", "2"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    plan = json.loads(out.stdout)
    assert check_plan(data, plan) == []
    assert [stop["segment"] for route in plan["routes"] for stop in route["stops"]] == [1, 1]


def test_a_problem_without_crews_keeps_its_file_form() -> None:
    data = {"travel": {"kind": "euclidean"}, "technicians": [technician("a")],
            "tasks": [task("x", 3, 4)]}  # fmt: skip
    written = problem_to_dict(parse_problem(data))
    assert "crew" not in written["tasks"][0] and "segments" not in written["tasks"][0]
    plan = plan_to_dict(solve(parse_problem(data), SolveOptions(time_limit=1, workers=1)))
    assert set(plan["routes"][0]["stops"][0]) == {"task", "arrival", "start", "end"}


def _job_with_a_day_off_for_the_nearest_crew() -> dict[str, Any]:
    """A two-day job whose second part may open on day 1 or day 2; the technician nearest to
    it is held all of day 1 by pinned work, the other is free."""
    shift = [0, 3 * DAY]

    def window(day: int) -> list[float]:
        return [day * DAY + 540, day * DAY + 600]

    return {
        "technicians": [
            technician("near", 10, 10, shift=shift),
            technician("far", 60, 60, shift=shift),
        ],
        "tasks": [
            task(
                "job",
                12,
                12,
                segments=[
                    {"duration": 480, "windows": [window(0)]},
                    {"duration": 480, "windows": [window(1), window(2)]},
                ],
            ),
            task(
                "held",
                10,
                11,
                duration=600,
                windows=[[DAY + 500, DAY + 520]],
                pinned={"technician": "near", "sequence": 0},
            ),
        ],
    }


def test_a_multi_day_job_goes_on_on_the_next_day_its_windows_open() -> None:
    # given a job whose nearest technician cannot work on it the next day
    data = _job_with_a_day_off_for_the_nearest_crew()

    # when it is planned
    plan = planned(data)

    # then the job runs on days 0 and 1 with the technician who is free both days, not with
    # a day's gap in the middle
    visits = sorted(stops_of(plan, "job"), key=lambda visit: visit[1]["segment"])
    assert [(who, int(stop["start"] // DAY)) for who, stop in visits] == [("far", 0), ("far", 1)]


def test_the_checker_refuses_a_gap_of_days_in_a_job() -> None:
    data = _job_with_a_day_off_for_the_nearest_crew()
    plan = planned(data)
    for route in plan["routes"]:
        for stop in route["stops"]:
            if stop["task"] == "job" and stop["segment"] == 2:
                stop["start"] += DAY
                stop["end"] += DAY
    assert any("next day its windows open" in error for error in check_plan(data, plan))
