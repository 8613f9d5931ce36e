"""Parts-aware planning at scale, every plan verified by the independent checker.

    python -m bench.dispatch_parts [--tasks N] [--technicians M] [--seeds K] [--seconds S]

Random one-day problems on a 100 x 100 plane: a third of the tasks need one or two of eight
parts, each van holds a few units of two parts, three depots stock most parts (one part is
stocked nowhere). Prints per seed the solve time, visits planned, pickups, visits left out for
PARTS and `bench.plan_check`'s verdict (parts from the van or right after a pickup holding
them, units counted), then the same problem without parts for comparison.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from app.dispatch.solver import SolveOptions, solve
from app.dispatch.solver.problem import parse_problem, plan_to_dict
from bench.plan_check import check_plan

PARTS = [f"p{i}" for i in range(8)]


def problem(tasks: int, technicians: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)

    def place() -> dict[str, float]:
        return {"x": rng.uniform(0, 100), "y": rng.uniform(0, 100)}

    vans = [
        {"id": f"t{i}", "start": place(), "shift": [0, 600],
         "stock": {part: rng.randint(1, 3) for part in rng.sample(PARTS[:-1], 2)}}
        for i in range(technicians)
    ]  # fmt: skip
    work = []
    for i in range(tasks):
        task: dict[str, Any] = {"id": f"j{i}", "location": place(), "duration": 45}
        if rng.random() < 1 / 3:
            task["parts"] = dict.fromkeys(rng.sample(PARTS, rng.randint(1, 2)), 1)
        work.append(task)
    depots = [
        {"id": f"d{i}", "location": place(), "stock": dict.fromkeys(PARTS[:-1], 20)}
        for i in range(3)
    ]
    return {"technicians": vans, "tasks": work, "depots": depots}


def _run(data: dict[str, Any], seconds: float) -> tuple[float, dict[str, Any], list[str]]:
    started = time.perf_counter()
    plan = plan_to_dict(solve(parse_problem(data), SolveOptions(time_limit=seconds, workers=1)))
    return time.perf_counter() - started, plan, check_plan(data, plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--technicians", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    for seed in range(args.seeds):
        data = problem(args.tasks, args.technicians, seed)
        seconds, plan, errors = _run(data, args.seconds)
        stops = [s for r in plan["routes"] for s in r["stops"]]
        pickups = sum(1 for s in stops if s.get("kind") == "pickup")
        parts_out = sum(1 for u in plan["unassigned"] if u["reason"] == "PARTS")
        bare = {**data, "depots": [], "tasks": [{**t, "parts": {}} for t in data["tasks"]]}
        bare_seconds, bare_plan, _ = _run(bare, args.seconds)
        print(
            f"seed {seed}: {seconds:.2f}s, {plan['stats']['assigned']}/{args.tasks} planned, "
            f"{pickups} pickups, {parts_out} left out for PARTS, travel "
            f"{plan['stats']['travel_time']:.0f} min, checker: {'ok' if not errors else errors[:3]}"
            f" | without parts: {bare_seconds:.2f}s, {bare_plan['stats']['assigned']} planned, "
            f"travel {bare_plan['stats']['travel_time']:.0f} min"
        )


if __name__ == "__main__":
    main()
