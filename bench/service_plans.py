"""Planned visit generation at scale: a 90-day horizon for 10,000 contracts, then a rerun.

    python -m bench.service_plans [--contracts N] [--horizon DAYS] [--quick]

Builds its own database (`<DATABASE_URL's name>_bench_plans`, recreated each run) by
migrating it and filling it with N customers, each with a site in the demo city, an AMC
covering the site's asset (or the site itself) and a plan (quarterly, monthly or every other
month, mixed), then times the service's own `generate` in one transaction, as the job runs it.
Targets: the first run <= 30 s, the rerun (which must create nothing) <= 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import date

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.core import bootstrap
from app.service_plans.generation import generate

TODAY = date(2026, 3, 2)
FILL = """
INSERT INTO customers (id, name, type, language, preferred_channels, created_at, updated_at,
                       version)
SELECT g, 'Bench customer ' || g, 'CONSUMER', 'en', '{}', now(), now(), 1
FROM generate_series(1, :n) g;
INSERT INTO sites (id, customer_id, name, address_line, city, country, point, created_at,
                   updated_at, version)
SELECT g, g, 'Home', g || ' Ring Road', 'Bengaluru', 'IN',
       ST_SetSRID(ST_MakePoint(77.45 + random() * 0.3, 12.85 + random() * 0.25), 4326)::geography,
       now(), now(), 1
FROM generate_series(1, :n) g;
INSERT INTO product_models (id, code, name, category, warranty_months, created_at, updated_at,
                            version)
VALUES (1, 'BENCH-AC', 'Bench AC', 'HVAC', 12, now(), now(), 1);
INSERT INTO assets (id, site_id, customer_id, product_model_id, serial_number, created_at,
                    updated_at, version)
SELECT g, g, g, 1, 'BENCH-' || g, now(), now(), 1 FROM generate_series(1, :n) g;
INSERT INTO contracts (id, number, kind, customer_id, starts_on, ends_on, covers_labour,
                       covers_parts, visits_per_year, currency, created_at, updated_at, version)
SELECT g, 'BENCH-' || g, 'AMC', g, DATE '2026-01-01', DATE '2026-12-31', true, false, 4, 'INR',
       now(), now(), 1
FROM generate_series(1, :n) g;
INSERT INTO contract_coverages (contract_id, asset_id, site_id)
SELECT g, CASE WHEN g % 2 = 0 THEN g END, CASE WHEN g % 2 = 1 THEN g END
FROM generate_series(1, :n) g;
INSERT INTO service_plans (contract_id, name, visit_type, target, asset_ids, frequency,
                           interval, by_months, starts_on, tolerance_before_days,
                           tolerance_after_days, duration_minutes, required_skills,
                           holiday_policy, non_working_weekdays, created_at, updated_at, version)
SELECT g, 'Plan ' || g, 'PREVENTIVE', 'ALL_COVERED', '{}', 'MONTHLY', (ARRAY[3, 1, 2])[g % 3 + 1],
       '{}', DATE '2026-01-01' + (g % 28), 2, 5, 60, '[]', 'NEXT_WORKING_DAY', '{6}', now(),
       now(), 1
FROM generate_series(1, :n) g;
"""


async def _recreate(url: str) -> None:
    name = make_url(url).database
    admin = await asyncpg.connect(bootstrap._plain_dsn(url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
    await bootstrap.prepare_database(url)


async def run(contracts: int, horizon: int) -> dict[str, float]:
    base = make_url(
        os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/fieldgraph")
    )
    url = base.set(database=f"{base.database}_bench_plans").render_as_string(hide_password=False)
    await _recreate(url)
    await asyncio.to_thread(bootstrap.upgrade, url)
    engine = create_async_engine(url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with sessions() as session:
            for statement in FILL.split(";\n"):
                if statement.strip():
                    await session.execute(text(statement), {"n": contracts})
            await session.commit()
        figures: dict[str, float] = {}
        for label in ("first", "rerun"):
            started = time.perf_counter()
            async with sessions() as session:
                counts = await generate(session, TODAY, horizon)
                await session.commit()
            figures[f"{label}_seconds"] = time.perf_counter() - started
            figures[f"{label}_created"] = counts["created"]
            figures["due"] = counts["due"]
        return figures
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contracts", type=int, default=10_000)
    parser.add_argument("--horizon", type=int, default=90)
    parser.add_argument("--quick", action="store_true", help="1,000 contracts")
    args = parser.parse_args()
    contracts = 1_000 if args.quick else args.contracts
    figures = asyncio.run(run(contracts, args.horizon))
    first, rerun = figures["first_seconds"], figures["rerun_seconds"]
    print(f"service plans: {contracts} contracts, {args.horizon}-day horizon")
    print(f"  first run : {first:6.2f} s, {figures['first_created']:.0f} visits+tasks created")
    print(f"  rerun     : {rerun:6.2f} s, {figures['rerun_created']:.0f} created (want 0)")
    ok = first <= 30 and rerun <= 5 and figures["rerun_created"] == 0
    print(f"  targets (first <= 30 s, rerun <= 5 s, nothing rerun): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
