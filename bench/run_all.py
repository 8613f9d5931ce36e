"""Run every benchmark and print its figures: `make bench` (quick) or `BENCH_FULL=1 make bench`.

Each benchmark is its own script (python -m bench.<name>); this runner only sequences them so
one command reproduces every number quoted in the project's notes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FULL = os.environ.get("BENCH_FULL") == "1"

# (module, quick arguments, full arguments); None: not run in that mode
BENCHMARKS: list[tuple[str, list[str] | None, list[str] | None]] = [
    (
        "bench.solomon",
        ["--set", "solomon", "--instances", "*01", "--time-limit", "10"],
        ["--set", "solomon", "--time-limit", "10"],
    ),
    ("bench.api", ["--quick"], []),
    ("bench.realtime", ["--quick"], []),
    ("bench.dispatch_scale", ["--quick"], []),
    ("bench.service_plans", ["--quick"], []),
    ("bench.jobs", ["--jobs", "300"], ["--jobs", "2000"]),
    ("bench.load", ["--run-time", "30"], ["--run-time", "120"]),
    ("bench.depot_repair", ["--quick"], []),
    ("bench.solomon", None, ["--set", "gh1000-1"]),
]


def main() -> int:
    failed = []
    for module, quick, full in BENCHMARKS:
        if not (ROOT / (module.replace(".", "/") + ".py")).exists():
            continue
        args = full if FULL else quick
        if args is None:
            continue
        print(f"\n=== {module} {' '.join(args)}", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, check=False)
        print(
            f"=== {module}: exit {result.returncode} in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        if result.returncode:
            failed.append(module)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
