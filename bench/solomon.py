"""Benchmark the dispatch solver on Solomon and Gehring-Homberger VRPTW instances.

    python -m bench.solomon --set solomon --time-limit 10
    python -m bench.solomon --set gh1000 --instances 'R1*' --limit 3 --time-limit 60
    python -m bench.solomon --set gh1000-1      # the six *_10_1 instances at 60 s each

Every plan is checked by `bench.vrptw_check`; gaps are to the distance-only best-known
solutions of `bks_dimacs.csv`. Data: `../shared/bench-data` beside the repository, or
the folder named by FIELDGRAPH_BENCH_DATA.
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import logging
import os
import statistics
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from app.dispatch.solver import SolveOptions, solve
from app.dispatch.solver.problem import plan_to_dict
from bench.vrplib import VrptwInstance, read_instance, synthetic_instance, to_problem
from bench.vrptw_check import check_plan

SETS = ("solomon", "gh200", "gh400", "gh600", "gh800", "gh1000")
SELECTIONS = {"gh1000-1": ("gh1000", "*_10_1", 60.0)}
"""Named selections: set, instance pattern and time limit (unless given)."""


def bench_data_dir() -> Path:
    override = os.environ.get("FIELDGRAPH_BENCH_DATA")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "shared" / "bench-data"


@dataclass(frozen=True)
class Outcome:
    name: str
    vehicles: int
    distance: float
    unassigned: int
    errors: tuple[str, ...]
    seconds: float
    best_known: float | None
    handover_failures: int = 0

    @property
    def gap(self) -> float | None:
        if self.best_known is None or self.unassigned or self.errors:
            return None
        return 100.0 * (self.distance - self.best_known) / self.best_known


def best_known(data_dir: Path) -> dict[str, float]:
    with (data_dir / "bks_dimacs.csv").open() as handle:
        return {row["instance"]: float(row["distance"]) for row in csv.DictReader(handle)}


def run_instance(path: Path, time_limit: float, workers: int, bks: float | None) -> Outcome:
    return solve_instance(read_instance(path), time_limit, workers, bks)


def solve_instance(
    instance: VrptwInstance,
    time_limit: float,
    workers: int,
    bks: float | None,
    euclidean: bool = False,
) -> Outcome:
    problem = to_problem(instance, euclidean=euclidean)
    plan = solve(problem, SolveOptions(time_limit=time_limit, workers=workers))
    check = check_plan(instance, plan_to_dict(plan))
    return Outcome(
        name=instance.name,
        vehicles=check.vehicles,
        distance=check.distance,
        unassigned=check.unassigned,
        errors=tuple(check.errors),
        seconds=plan.stats.solve_seconds,
        best_known=bks,
        handover_failures=plan.stats.handover_failures,
    )


def instance_class(name: str) -> str:
    """'RC101' -> 'RC1', 'C1_10_1' -> 'C1'."""
    stem = name.split("_")[0]
    return stem if "_" in name else stem[:-2]


def print_outcome(outcome: Outcome) -> None:
    gap = "-" if outcome.gap is None else f"{outcome.gap:6.2f}%"
    bks = "-" if outcome.best_known is None else f"{outcome.best_known:.1f}"
    status = "ok" if not outcome.errors else "INFEASIBLE: " + "; ".join(outcome.errors[:3])
    if outcome.unassigned:
        status += f" ({outcome.unassigned} unassigned)"
    if outcome.handover_failures:
        status += f" [{outcome.handover_failures} hand-over failures]"
    print(
        f"{outcome.name:10s} veh {outcome.vehicles:3d}  dist {outcome.distance:10.1f}  "
        f"bks {bks:>9s}  gap {gap:>8s}  {outcome.seconds:6.1f}s  {status}",
        flush=True,
    )


def print_totals(outcomes: list[Outcome]) -> None:
    by_class: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_class[instance_class(outcome.name)].append(outcome)
    for name in sorted(by_class):
        _print_summary(name, by_class[name])
    _print_summary("ALL", outcomes)


def _print_summary(label: str, outcomes: list[Outcome]) -> None:
    gaps = [o.gap for o in outcomes if o.gap is not None]
    failed = sum(1 for o in outcomes if o.gap is None)
    mean_gap = f"{statistics.fmean(gaps):.2f}%" if gaps else "-"
    print(
        f"{label:5s} instances {len(outcomes):3d}  mean gap {mean_gap:>7s}  "
        f"vehicles {sum(o.vehicles for o in outcomes):5d}  "
        f"distance {sum(o.distance for o in outcomes):11.1f}  "
        f"mean seconds {statistics.fmean(o.seconds for o in outcomes):5.1f}  "
        f"infeasible/incomplete {failed}"
    )


def select_instances(data_dir: Path, set_name: str, pattern: str, limit: int | None) -> list[Path]:
    paths = sorted((data_dir / set_name).glob("*.vrp"), key=_natural_key)
    chosen = [p for p in paths if fnmatch.fnmatch(p.stem, pattern)]
    return chosen[:limit] if limit else chosen


def _natural_key(path: Path) -> tuple[object, ...]:
    parts = path.stem.replace("_", " ").split()
    return tuple(int(p) if p.isdigit() else p for p in parts)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", default="solomon", choices=SETS + tuple(SELECTIONS))
    parser.add_argument("--instances", default="*", help="glob on instance names, e.g. 'R1*'")
    parser.add_argument("--limit", type=int, default=None, help="run at most N instances")
    parser.add_argument(
        "--time-limit", type=float, default=None, help="seconds per instance (default: 10)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="instances solved at once")
    parser.add_argument("--verbose", action="store_true", help="log the solver's rounds")
    parser.add_argument(
        "--synthetic",
        type=int,
        default=0,
        metavar="N",
        help="instead of a set, one random instance of N customers and N/10 vehicles",
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="solver processes per instance (default: cores/jobs)"
    )
    args = parser.parse_args(argv)
    if args.set in SELECTIONS:
        args.set, pattern, seconds = SELECTIONS[args.set]
        args.instances = pattern if args.instances == "*" else args.instances
        args.time_limit = args.time_limit or seconds
    args.time_limit = args.time_limit or 10.0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.verbose:
        logging.basicConfig(level=logging.INFO)
        logging.getLogger("app.dispatch").setLevel(logging.DEBUG)
    workers = args.workers or max(1, (os.cpu_count() or 1) // args.jobs)
    if args.synthetic:
        return _run_synthetic(args.synthetic, args.time_limit, workers)
    data_dir = bench_data_dir()
    paths = select_instances(data_dir, args.set, args.instances, args.limit)
    if not paths:
        print(f"no instances match {args.instances!r} in {data_dir / args.set}", file=sys.stderr)
        return 1
    bks = best_known(data_dir)
    started = time.perf_counter()
    outcomes = _run_all(paths, args, workers, bks)
    print_totals(outcomes)
    print(
        f"wall {time.perf_counter() - started:.0f}s, time limit {args.time_limit:g}s, "
        f"jobs {args.jobs}, workers {workers}"
    )
    return 0 if all(not o.errors for o in outcomes) else 2


def _run_synthetic(customers: int, time_limit: float, workers: int) -> int:
    instance = synthetic_instance(customers, max(1, customers // 10))
    outcome = solve_instance(instance, time_limit, workers, None, euclidean=True)
    print_outcome(outcome)
    return 0 if not outcome.errors else 2


def _run_all(
    paths: list[Path], args: argparse.Namespace, workers: int, bks: dict[str, float]
) -> list[Outcome]:
    outcomes = []
    if args.jobs <= 1:
        for path in paths:
            outcomes.append(run_instance(path, args.time_limit, workers, bks.get(path.stem)))
            print_outcome(outcomes[-1])
        return outcomes
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [
            pool.submit(run_instance, p, args.time_limit, workers, bks.get(p.stem)) for p in paths
        ]
        for future in futures:
            outcomes.append(future.result())
            print_outcome(outcomes[-1])
    return outcomes


if __name__ == "__main__":
    sys.exit(main())
