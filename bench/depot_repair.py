"""Depot repair reads at scale: the bench queue and the depot report over many orders.

    python -m bench.depot_repair [--orders N] [--quick]

Builds its own database (`<DATABASE_URL's name>_bench_depot`, recreated each run) by migrating
it and filling it with N repair orders over the last 60 days at two depots (every status,
audit events, QC failures, parts fitted), then times the service's own reads: the bench queue
of one depot (first 50) and the 30-day report of every depot, each the median of 5 runs.
Targets: the bench queue <= 50 ms, the report of both depots <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.core import bootstrap
from app.depot_repair import reports, repository
from app.depot_repair.models import RepairStatus
from bench.service_plans import _recreate

STATUSES = "ARRAY[" + ", ".join(f"'{s.value}'" for s in RepairStatus) + "]"
FILL = f"""
INSERT INTO stock_locations (id, kind, code, name, point, created_at, updated_at, version)
SELECT g, 'WAREHOUSE', 'DEPOT-' || g, 'Depot ' || g,
       ST_SetSRID(ST_MakePoint(77.6, 12.9 + g * 0.01), 4326)::geography, now(), now(), 1
FROM generate_series(1, 2) g;
INSERT INTO depots (id, stock_location_id, time_zone, opening_hours, turnaround_hours,
                    diagnosis_fee, storage_free_days, storage_fee, created_at, updated_at, version)
SELECT g, g, 'Asia/Kolkata', '[]', 72, 349, 30, 500, now(), now(), 1 FROM generate_series(1, 2) g;
INSERT INTO customers (id, name, type, language, preferred_channels, created_at, updated_at,
                       version)
SELECT g, 'Bench customer ' || g, 'CONSUMER', 'en', '{{}}', now(), now(), 1
FROM generate_series(1, :n) g;
INSERT INTO sites (id, customer_id, name, address_line, city, country, point, created_at,
                   updated_at, version)
SELECT g, g, 'Home', g || ' Ring Road', 'Bengaluru', 'IN',
       ST_SetSRID(ST_MakePoint(77.5, 12.9), 4326)::geography, now(), now(), 1
FROM generate_series(1, :n) g;
INSERT INTO product_models (id, code, name, category, warranty_months, created_at, updated_at,
                            version)
SELECT g, 'TV-' || g, 'Bench TV ' || g, 'ELECTRONICS', 12, now(), now(), 1
FROM generate_series(1, 8) g;
INSERT INTO assets (id, site_id, customer_id, product_model_id, serial_number, created_at,
                    updated_at, version)
SELECT g, g, g, g % 8 + 1, 'BENCH-' || g, now(), now(), 1 FROM generate_series(1, :n) g;
INSERT INTO parts (id, sku, name, unit, unit_cost, unit_price, currency, is_accessory,
                   created_at, updated_at, version)
SELECT g, 'BP-' || g, 'Bench part ' || g, 'EA', 100, 150, 'INR', false, now(), now(), 1
FROM generate_series(1, 20) g;
INSERT INTO repair_orders (id, number, tracking_code, depot_id, customer_id, asset_id, status,
                           priority, reported_fault, fault_code, accessories, coverage,
                           received_at, due_at, ready_at, qc_failures, on_account, created_at,
                           updated_at, version)
SELECT g, 'RO-B-' || g, 'T' || g, g % 2 + 1, g, g, s.status, g % 5 + 1, 'No power',
       (ARRAY['NO_POWER', 'NO_PICTURE', 'NOISE'])[g % 3 + 1], '[]', 'CHARGEABLE', r.at,
       r.at + interval '72 hours',
       CASE WHEN s.status IN ('READY', 'DELIVERED') THEN r.at + (g % 120) * interval '1 hour' END,
       0, false, r.at, r.at, 1
FROM generate_series(1, :n) g
CROSS JOIN LATERAL (SELECT now() - (g % 1440) * interval '1 hour' AS at) r
CROSS JOIN LATERAL (SELECT ({STATUSES})[g % 11 + 1] AS status) s;
INSERT INTO repair_order_events (repair_order_id, action, from_status, to_status, at, actor,
                                 actor_role, actor_name)
SELECT id, 'RECEIVE', NULL, 'RECEIVED', received_at, 'bench', 'AGENT', '' FROM repair_orders;
INSERT INTO repair_order_events (repair_order_id, action, from_status, to_status, at, actor,
                                 actor_role, actor_name)
SELECT id, CASE WHEN id % 7 = 0 THEN 'FAIL_QC' ELSE 'PASS_QC' END, 'QC', 'READY', ready_at,
       'bench', 'TECHNICIAN', ''
FROM repair_orders WHERE ready_at IS NOT NULL;
INSERT INTO repair_part_uses (repair_order_id, part_id, quantity, unit_cost, operation_key,
                              used_at)
SELECT id, id % 20 + 1, 1 + id % 2, 100, 'bench:' || id, ready_at
FROM repair_orders WHERE ready_at IS NOT NULL;
ANALYZE
"""


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def run(orders: int) -> dict[str, float]:
    base = make_url(
        os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/fieldgraph")
    )
    url = base.set(database=f"{base.database}_bench_depot").render_as_string(hide_password=False)
    await _recreate(url)
    await asyncio.to_thread(bootstrap.upgrade, url)
    engine = create_async_engine(url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with sessions() as session:
            for statement in FILL.split(";\n"):
                if statement.strip():
                    await session.execute(text(statement), {"n": orders})
            await session.commit()
        queue, report = [], []
        end = datetime.now(UTC)
        for _ in range(5):
            async with sessions() as session:
                started = time.perf_counter()
                rows = (
                    await session.scalars(repository.bench_queue(None, depot_id=1).limit(50))
                ).all()
                queue.append(time.perf_counter() - started)
                started = time.perf_counter()
                found = await reports.depot_reports(session, [1, 2], end - timedelta(days=30), end)
                report.append(time.perf_counter() - started)
        return {
            "queue_ms": _median_ms(queue),
            "report_ms": _median_ms(report),
            "queue_rows": len(rows),
            "repaired": sum(r.repaired for r in found),
        }
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10,000 orders")
    args = parser.parse_args()
    orders = 10_000 if args.quick else args.orders
    figures = asyncio.run(run(orders))
    print(f"depot repair: {orders} repair orders at 2 depots")
    print(f"  bench queue (first 50) : {figures['queue_ms']:7.1f} ms median")
    print(f"  30-day report, 2 depots: {figures['report_ms']:7.1f} ms median")
    ok = figures["queue_ms"] <= 50 and figures["report_ms"] <= 1000
    print(f"  targets (queue <= 50 ms, report <= 1 s): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
