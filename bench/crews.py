"""Crew and multi-day planning at scale, every plan verified by the independent checker.

    python -m bench.crews [--tasks N] [--technicians M] [--seeds K]

Random problems on a 100 x 100 plane over two days: a quarter of the tasks need a crew of 2
or 3 (lead skilled), one in ten runs over two days in daily segments, a third have a two-hour
window. Prints per seed the solve time, tasks planned and `bench.plan_check`'s verdict
(crews start together, segments in order on later days, nobody double-booked).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from typing import Any

from app.dispatch.solver import SolveOptions, solve
from app.dispatch.solver.problem import parse_problem, plan_to_dict
from bench.plan_check import check_plan

DAY = 1440


def problem(tasks: int, technicians: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    crew = [
        {"id": f"t{i}", "start": {"x": rng.uniform(0, 100), "y": rng.uniform(0, 100)},
         "shift": [0, 2 * DAY], "skills": {"hvac": rng.randint(1, 5)}}
        for i in range(technicians)
    ]  # fmt: skip
    work = []
    for i in range(tasks):
        task: dict[str, Any] = {
            "id": f"j{i}",
            "location": {"x": rng.uniform(0, 100), "y": rng.uniform(0, 100)},
            "duration": rng.choice([30, 60, 90, 120]),
            "priority": rng.randint(1, 5),
        }
        if i % 4 == 0:
            task |= {"crew": rng.randint(2, 3), "lead_skills": {"hvac": 3}}
        if i % 10 == 0:
            task["segments"] = [
                {"duration": 300, "windows": [[d * DAY + 480, d * DAY + 600]]} for d in (0, 1)
            ]
        elif i % 3 == 0:
            day = rng.choice([0, DAY])
            start = day + rng.uniform(480, 900)
            task["windows"] = [[start, start + 120]]
        work.append(task)
    return {"travel": {"kind": "euclidean", "speed": 1.0}, "technicians": crew, "tasks": work}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--technicians", type=int, default=25)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    seconds = []
    for seed in range(args.seeds):
        data = problem(args.tasks, args.technicians, seed)
        started = time.perf_counter()
        plan = plan_to_dict(solve(parse_problem(data), SolveOptions(time_limit=10)))
        elapsed = time.perf_counter() - started
        seconds.append(elapsed)
        errors = check_plan(data, plan)
        print(
            f"seed {seed}: {args.tasks} tasks, {args.technicians} technicians: "
            f"{plan['stats']['assigned']} planned, {plan['stats']['unassigned']} left, "
            f"travel {plan['stats']['travel_time']:.0f} min, {elapsed:.2f} s, "
            f"checker: {'feasible' if not errors else f'{len(errors)} errors: {errors[:3]}'}"
        )
    print(f"median solve {statistics.median(seconds):.2f} s")


if __name__ == "__main__":
    main()
