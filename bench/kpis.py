"""A management dashboard over a year of KPI history: 12 tiles, p50 / p95 per dashboard.

    python -m bench.kpis [--territories T] [--technicians N] [--rows-per-day R] [--runs K]

Builds its own database (`<DATABASE_URL's name>_bench_kpis`, recreated each run) and writes
12 months of rollup history straight into `kpi_daily`, at about what `seed --scale 10` would
give (defaults: 10 territories, 400 technicians, 3 slicer rows per technician-day: ~440k rows),
then times a dashboard of 12 tiles read through `app.kpis` (as a manager, all territories, and
again for one territory), K times each. Target from the issue: p95 <= 200 ms per dashboard.
Whole months and week parts are read from `kpi_spans` (kept by triggers on `kpi_daily`), the
days at the range's edges from `kpi_daily`. By default each technician works the same slicers
every day (the best case for folding days together); `--varied` shifts them daily over a week.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import date, timedelta

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.core import bootstrap
from app.core.auth import Principal, Role
from app.core.db import SerializedSession
from app.kpis.query import Dimension, Filters, Metric, kpis
from app.kpis.scoreboard import scoreboard

MANAGER = Principal("bench:manager", Role.MANAGER, "Bench manager")
FILL = """
INSERT INTO kpi_daily (day, territory_id, partner_id, technician_id, product_category, channel,
    priority, task_type, facts, jobs_completed, first_visits_closed, first_time_fixes,
    response_due, response_met, resolution_due, resolution_met, arrivals, arrivals_on_time,
    offers_made, offers_rejected, offers_expired, rating_count, rating_sum, rating_1, rating_2,
    rating_3, rating_4, rating_5, repeat_visits, repair_count, repair_seconds, travels,
    travel_seconds, onsite_seconds, busy_seconds, parts_used, shift_seconds, break_seconds,
    idle_seconds, shift_days, revenue_net)
SELECT d::date, 1 + tech % :territories, CASE WHEN tech % 5 = 0 THEN 1 + tech % 7 END, tech,
    (ARRAY['HVAC','APPLIANCE','ELECTRICAL','PLUMBING'])[1 + (tech + k + {shift}) % 4],
    (ARRAY['PHONE','WEB','APP','EMAIL'])[1 + (tech * 7 + k + {shift}) % 4],
    1 + (tech + k + {shift}) % 5, (ARRAY['REPAIR','INSTALLATION','MAINTENANCE'])[1 + k],
    3, 2, 2, 1 + (random() < 0.8)::int, 2, 1 + (random() < 0.9)::int, 2,
    1 + (random() < 0.85)::int, 2, 1 + (random() < 0.8)::int, 3, (random() < 0.2)::int,
    (random() < 0.1)::int, 1, 3 + (random() * 2)::int, 0, 0, 0, 1, 0, (random() < 0.1)::int, 2,
    (3600 * (4 + random() * 40))::bigint, 3, (600 + random() * 3000)::bigint,
    (5400 + random() * 9000)::bigint, (9000 + random() * 9000)::bigint, (random() * 4)::int,
    0, 0, 0, 0, round((1500 + random() * 3000)::numeric, 2)
FROM generate_series(CURRENT_DATE - 364, CURRENT_DATE, interval '1 day') d,
     generate_series(1, :technicians) tech, generate_series(0, :rows_per_day - 1) k
"""


def _tiles(first: date, last: date, filters: Filters) -> list[tuple[list[Metric], list[Dimension]]]:
    m, d = Metric, Dimension
    return [
        ([m.JOBS_COMPLETED], [d.MONTH]),
        ([m.FIRST_TIME_FIX_RATE], [d.MONTH]),
        ([m.SLA_RESPONSE_RATE, m.SLA_RESOLUTION_RATE], [d.WEEK]),
        ([m.ON_TIME_ARRIVAL_RATE], [d.TERRITORY]),
        ([m.MEAN_TIME_TO_REPAIR_HOURS], [d.TASK_TYPE]),
        ([m.OFFER_REJECTION_RATE, m.OFFER_EXPIRY_RATE], [d.MONTH]),
        ([m.REPEAT_VISIT_RATE], [d.PRODUCT_CATEGORY]),
        ([m.CSAT_AVERAGE, m.CSAT_1, m.CSAT_2, m.CSAT_3, m.CSAT_4, m.CSAT_5], []),
        ([m.REVENUE_NET], [d.MONTH, d.TERRITORY]),
        ([m.JOBS_COMPLETED], [d.CHANNEL]),
        ([m.JOBS_COMPLETED, m.SLA_RESOLUTION_RATE], [d.PRIORITY]),
    ]


async def dashboard(session: AsyncSession, filters: Filters, territory: int | None) -> float:
    last = date.today()
    first = last - timedelta(days=364)
    started = time.perf_counter()
    for metrics, dimensions in _tiles(first, last, filters):
        await kpis(session, MANAGER, metrics, dimensions, first, last, filters)
    await scoreboard(session, MANAGER, Metric.FIRST_TIME_FIX_RATE, first, last, territory)
    return (time.perf_counter() - started) * 1000


async def _recreate(url: str) -> None:
    name = make_url(url).database
    admin = await asyncpg.connect(bootstrap._plain_dsn(url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
    await bootstrap.prepare_database(url)


def _line(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"  {name:<34} p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms"


async def run(
    territories: int, technicians: int, rows_per_day: int, runs: int, varied: bool
) -> None:
    base = make_url(
        os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/fieldgraph")
    )
    url = base.set(database=f"{base.database}_bench_kpis").render_as_string(hide_password=False)
    await _recreate(url)
    await asyncio.to_thread(bootstrap.upgrade, url)
    engine = create_async_engine(url)
    sessions = async_sessionmaker(engine, class_=SerializedSession, expire_on_commit=False)
    try:
        async with sessions() as session:
            params = {
                "territories": territories,
                "technicians": technicians,
                "rows_per_day": rows_per_day,
            }
            shift = "(d::date - CURRENT_DATE + 700) % 7" if varied else "0"
            await session.execute(text(FILL.format(shift=shift)), params)
            await session.commit()
            await session.execute(text("ANALYZE kpi_daily"))
            await session.execute(text("ANALYZE kpi_spans"))
            spans = await session.scalar(text("SELECT count(*) FROM kpi_spans"))
            rows = await session.scalar(text("SELECT count(*) FROM kpi_daily"))
        print(
            f"kpi_daily: {rows:,} rows over 365 days, {territories} territories, "
            f"{technicians} technicians; kpi_spans: {spans:,} month and week-part rows"
        )
        for label, filters, territory in (
            ("dashboard, all territories", Filters(), None),
            ("dashboard, one territory", Filters(territory_ids=[1]), 1),
        ):
            samples = []
            async with sessions() as session:
                await dashboard(session, filters, territory)  # warm the cache
                for _ in range(runs):
                    samples.append(await dashboard(session, filters, territory))
            print(_line(label + " (12 tiles)", samples))
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territories", type=int, default=10)
    parser.add_argument("--technicians", type=int, default=400)
    parser.add_argument("--rows-per-day", type=int, default=3, choices=[1, 2, 3])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--varied",
        action="store_true",
        help="each technician's slicers (category, channel, priority) change from day to day "
        "over a week, so months and weeks fold fewer days into a row",
    )
    args = parser.parse_args()
    asyncio.run(run(args.territories, args.technicians, args.rows_per_day, args.runs, args.varied))


if __name__ == "__main__":
    main()
