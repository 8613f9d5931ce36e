"""`fieldgraph solve PROBLEM.json [--time-limit SECONDS]`: print the plan as JSON."""

from __future__ import annotations

import argparse
import sys

from app.dispatch.problem import ProblemError, load_problem, plan_to_json
from app.dispatch.solver import SolveOptions, solve


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
    return parser


def solve_command(argv: list[str]) -> int:
    """Run the `solve` subcommand; return the process exit status."""
    args = _parser().parse_args(argv)
    if args.time_limit <= 0:
        print("error: --time-limit must be positive", file=sys.stderr)
        return 2
    try:
        problem = load_problem(args.problem)
    except (OSError, ProblemError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    plan = solve(problem, SolveOptions(time_limit=args.time_limit, workers=args.workers))
    print(plan_to_json(plan))
    return 0


if __name__ == "__main__":
    sys.exit(solve_command(sys.argv[1:]))
