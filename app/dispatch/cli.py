"""`fieldgraph solve PROBLEM.json [--time-limit SECONDS] [--start-from PLAN.json]`: print the
plan as JSON. A plan given with `--start-from` (this command's own output, e.g. before the day
changed) is the search's start: a re-plan moves only what pays."""

from __future__ import annotations

import argparse
import json
import sys

from app.dispatch.solver import SolveOptions, solve
from app.dispatch.solver.problem import ProblemError, load_problem, plan_to_json


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldgraph solve", description="Plan a dispatch problem file (see DISPATCH.md)."
    )
    parser.add_argument("problem", help="path of the problem JSON file")
    parser.add_argument(
        "--time-limit", type=float, default=10.0, help="seconds to search (default: 10)"
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="solver processes (default: every core)"
    )
    parser.add_argument("--start-from", help="path of a plan JSON file to start from")
    return parser


def _routes_of(path: str) -> dict[str, list[str]]:
    """Technician -> task ids of a plan file; a malformed one raises ProblemError."""
    with open(path, encoding="utf-8") as handle:
        try:
            plan = json.load(handle)
            return {
                str(route["technician"]): [str(stop["task"]) for stop in route["stops"]]
                for route in plan["routes"]
            }
        except (ValueError, KeyError, TypeError) as error:
            message = f"{path}: not a plan (routes/technician/stops/task): {error}"
            raise ProblemError(message) from error


def solve_command(argv: list[str]) -> int:
    """Run the `solve` subcommand; return the process exit status."""
    args = _parser().parse_args(argv)
    if args.time_limit <= 0:
        print("error: --time-limit must be positive", file=sys.stderr)
        return 2
    try:
        problem = load_problem(args.problem)
        start_from = _routes_of(args.start_from) if args.start_from else None
    except (OSError, ProblemError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    options = SolveOptions(time_limit=args.time_limit, workers=args.workers, start_from=start_from)
    plan = solve(problem, options)
    print(plan_to_json(plan))
    return 0


if __name__ == "__main__":
    sys.exit(solve_command(sys.argv[1:]))
