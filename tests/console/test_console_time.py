"""The console's day (console/src/time.ts) is the territory's calendar day: from its midnight to
the next one, 23 or 25 hours long on the days the clocks change. Run in node, bundled by the
console's own esbuild."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from app.console.routes import DIST

CONSOLE = DIST.parent
ESBUILD = CONSOLE / "node_modules" / ".bin" / "esbuild"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NODE is None or not ESBUILD.is_file(),
    reason="needs node and the console's node_modules (`make console`)",
)

CASES = [
    # zone, an instant of the day: [start with the zone's offset at midnight, end in UTC]
    (
        "Asia/Kolkata",
        "2026-06-10T12:00:00Z",
        ["2026-06-10T00:00:00+05:30", "2026-06-10T18:30:00.000Z"],
    ),
    ("UTC", "2026-06-10T23:59:00Z", ["2026-06-10T00:00:00+00:00", "2026-06-11T00:00:00.000Z"]),
    # clocks forward at 02:00: a 23-hour day that starts on standard time
    (
        "America/New_York",
        "2026-03-08T12:00:00Z",
        ["2026-03-08T00:00:00-05:00", "2026-03-09T04:00:00.000Z"],
    ),
    # clocks back at 02:00: a 25-hour day that starts on summer time
    (
        "America/New_York",
        "2026-11-01T12:00:00Z",
        ["2026-11-01T00:00:00-04:00", "2026-11-02T05:00:00.000Z"],
    ),
    (
        "Europe/London",
        "2026-03-29T12:00:00Z",
        ["2026-03-29T00:00:00+00:00", "2026-03-29T23:00:00.000Z"],
    ),
    (
        "Europe/London",
        "2026-10-25T12:00:00Z",
        ["2026-10-25T00:00:00+01:00", "2026-10-26T00:00:00.000Z"],
    ),
]


def test_a_day_runs_from_its_midnight_to_the_next_across_clock_changes(tmp_path: Path) -> None:
    bundle = tmp_path / "time.mjs"
    subprocess.run(
        [str(ESBUILD), "src/time.ts", "--format=esm", f"--outfile={bundle}", "--log-level=error"],
        cwd=CONSOLE,
        check=True,
        timeout=60,
    )
    script = (
        f"const {{ dayBounds }} = await import({json.dumps(bundle.as_uri())});"
        f"const cases = {json.dumps([[zone, at] for zone, at, _ in CASES])};"
        "console.log(JSON.stringify(cases.map(([zone, at]) => dayBounds(zone, new Date(at)))));"
    )
    assert NODE is not None
    found = subprocess.run(
        [NODE, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert json.loads(found.stdout) == [expected for *_, expected in CASES]


DROPS = [
    # zone, day, wall clock HH:MM where a bar is dropped: the instant it means
    ("Asia/Kolkata", "2026-06-10", "09:30", "2026-06-10T04:00:00.000Z"),
    # after the clocks go forward at 02:00 the day is on summer time
    ("America/New_York", "2026-03-08", "10:15", "2026-03-08T14:15:00.000Z"),
    ("America/New_York", "2026-03-08", "01:00", "2026-03-08T06:00:00.000Z"),
    # after the clocks go back the day is on standard time again
    ("Europe/London", "2026-10-25", "14:45", "2026-10-25T14:45:00.000Z"),
    ("Europe/London", "2026-03-29", "08:00", "2026-03-29T07:00:00.000Z"),
]


def test_a_drop_time_is_read_on_the_territorys_clocks_across_clock_changes(
    tmp_path: Path,
) -> None:
    bundle = tmp_path / "time.mjs"
    subprocess.run(
        [str(ESBUILD), "src/time.ts", "--format=esm", f"--outfile={bundle}", "--log-level=error"],
        cwd=CONSOLE,
        check=True,
        timeout=60,
    )
    script = (
        f"const {{ atClock }} = await import({json.dumps(bundle.as_uri())});"
        f"const drops = {json.dumps([drop[:3] for drop in DROPS])};"
        "console.log(JSON.stringify(drops.map(([zone, day, time]) =>"
        " atClock(zone, day, time).toISOString())));"
    )
    assert NODE is not None
    found = subprocess.run(
        [NODE, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert json.loads(found.stdout) == [drop[3] for drop in DROPS]
