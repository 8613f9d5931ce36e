"""Attendance at scale: a territory's day and the attendance round for many technicians.

    python -m bench.attendance [--technicians N] [--days D] [--quick]

Builds its own database (`<DATABASE_URL's name>_bench_attendance`, recreated each run): one
territory, N technicians on 09:00-17:00 every day, D past days clocked in and out with a
break each, and today's clock-ins for all but every tenth technician. Then times the sheets of
the whole territory for today (what `attendanceDay` and the dispatch board read), one
technician's sheet over D days (`attendanceSheet`), and one attendance round (automatic
clock-ins and alerts). Targets (100 technicians, the dispatch board's size): the territory's
day p95 <= 100 ms, a round <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import asyncpg
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.attendance.jobs import attendance_round
from app.attendance.models import (
    AttendanceBreak,
    AttendanceEntry,
    AttendancePolicy,
    BreakKind,
    ClockSource,
)
from app.attendance.service import attendance_for_day, attendance_for_days
from app.core import bootstrap
from app.core.db import SerializedSession
from app.core.geo import point_value
from app.technicians.models import Technician, TerritoryMembership, WorkingHours
from app.territories.models import Territory

ZONE = ZoneInfo("Asia/Kolkata")
RUNS = 30


async def _recreate(url: str) -> None:
    name = make_url(url).database
    admin = await asyncpg.connect(bootstrap._plain_dsn(url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
    await bootstrap.prepare_database(url)


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]


async def run(technicians: int, days: int) -> dict[str, float]:
    base = make_url(
        os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/fieldgraph")
    )
    url = base.set(database=f"{base.database}_bench_attendance").render_as_string(
        hide_password=False
    )
    await _recreate(url)
    await asyncio.to_thread(bootstrap.upgrade, url)
    engine = create_async_engine(url)
    sessions = async_sessionmaker(engine, class_=SerializedSession, expire_on_commit=False)
    now = datetime.now(UTC)
    today = now.astimezone(ZONE).date()
    figures: dict[str, float] = {}
    try:
        async with sessions() as session:
            square = Polygon([(77.4, 12.8), (77.8, 12.8), (77.8, 13.1), (77.4, 13.1)])
            area = Territory(
                name="Bench",
                code="BENCH",
                time_zone="Asia/Kolkata",
                area=from_shape(MultiPolygon([square]), srid=4326),
            )
            session.add(area)
            session.add(AttendancePolicy(territory_id=None, clock_in_required=True))
            await session.flush()
            techs = [
                Technician(name=f"Bench tech {n:04}", home_base=point_value(12.95, 77.6))
                for n in range(technicians)
            ]
            session.add_all(techs)
            await session.flush()
            ids = [t.id or 0 for t in techs]
            for tid in ids:
                session.add(
                    TerritoryMembership(
                        technician_id=tid,
                        territory_id=area.id or 0,
                        valid_from=today - timedelta(days=400),
                    )
                )
                session.add_all(
                    WorkingHours(
                        technician_id=tid, weekday=d, starts_at=clock(9), ends_at=clock(17)
                    )
                    for d in range(7)
                )
            entries = []
            for n in range(days, -1, -1):
                day = today - timedelta(days=n)
                start = datetime.combine(day, clock(9), ZONE)
                for k, tid in enumerate(ids):
                    if n == 0 and (k % 10 == 0 or start > now):
                        continue
                    entries.append(
                        AttendanceEntry(
                            technician_id=tid,
                            territory_id=area.id,
                            day=day,
                            clock_in_at=start + timedelta(minutes=k % 20),
                            clock_in_source=ClockSource.MANUAL,
                            clock_out_at=None
                            if n == 0
                            else start + timedelta(hours=8, minutes=k % 50),
                        )
                    )
            session.add_all(entries)
            await session.flush()
            session.add_all(
                AttendanceBreak(
                    entry_id=e.id or 0,
                    kind=BreakKind.MEAL,
                    started_at=(e.clock_in_at or now) + timedelta(hours=4),
                    ended_at=(e.clock_in_at or now) + timedelta(hours=4, minutes=30),
                )
                for e in entries
                if e.clock_out_at is not None
            )
            await session.commit()
        samples = []
        for _ in range(RUNS):
            started = time.perf_counter()
            async with sessions() as session:
                sheets = await attendance_for_day(session, ids, today)
            samples.append(time.perf_counter() - started)
        figures["day_p50_ms"] = statistics.median(samples) * 1000
        figures["day_p95_ms"] = _p95(samples) * 1000
        figures["day_rows"] = len(sheets)
        samples = []
        span = [today - timedelta(days=n) for n in range(min(days, 61), -1, -1)]
        for _ in range(RUNS):
            started = time.perf_counter()
            async with sessions() as session:
                await attendance_for_days(session, ids[:1], span)
            samples.append(time.perf_counter() - started)
        figures["sheet_p95_ms"] = _p95(samples) * 1000
        figures["sheet_days"] = len(span)
        started = time.perf_counter()
        async with sessions() as session:
            counts = await attendance_round(session, now)
            await session.rollback()
        figures["round_ms"] = (time.perf_counter() - started) * 1000
        figures["round_alerts"] = counts["late"] + counts["no_show"]
        return figures
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--technicians", type=int, default=100)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--quick", action="store_true", help="100 technicians, 14 days")
    args = parser.parse_args()
    technicians, days = (100, 14) if args.quick else (args.technicians, args.days)
    f = asyncio.run(run(technicians, days))
    print(f"attendance: {technicians} technicians, {days} past days clocked")
    print(
        f"  territory's day    : p50 {f['day_p50_ms']:6.1f} ms, p95 {f['day_p95_ms']:6.1f} ms "
        f"({f['day_rows']:.0f} sheets)"
    )
    print(f"  one sheet, {f['sheet_days']:.0f} days : p95 {f['sheet_p95_ms']:6.1f} ms")
    print(f"  attendance round   : {f['round_ms']:6.1f} ms ({f['round_alerts']:.0f} alerts)")
    ok = f["day_p95_ms"] <= 100 and f["round_ms"] <= 1000
    print(f"  targets (day p95 <= 100 ms, round <= 1 s): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
