"""Warranty replacements at scale: the report over a year of requests, and approvals one by one.

    python -m bench.replacements [--requests N] [--approvals M] [--quick]

Builds its own database (`<DATABASE_URL's name>_bench_replacements`, recreated each run):
N requests over the last 12 months across 4 depots (a third approved, a sixth rejected, some
withdrawn, the rest pending), then times `replacementReport`'s query for the year by month (all
depots, then one depot), and M approvals in turn through the service (each: lock, ledger
issue, retire, register, notify, commit). Targets: the report <= 1 s, an approval <= 50 ms
on average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.core import bootstrap
from app.core.auth import Principal, Role
from app.core.db import SerializedSession
from app.inventory import stock
from app.inventory.ledger import Stamp
from app.inventory.models import MovementLine
from app.replacements import repository, service
from app.replacements.models import ReplacementApproval

DEPOTS, PARTS = 4, 5
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
INSERT INTO assets (id, site_id, customer_id, product_model_id, serial_number, sold_on,
                    warranty_expires_on, created_at, updated_at, version)
SELECT g, g, g, 1, 'BENCH-' || g, CURRENT_DATE - 100, CURRENT_DATE + 200, now(), now(), 1
FROM generate_series(1, :n) g;
INSERT INTO parts (id, sku, name, unit, unit_cost, unit_price, currency, is_accessory,
                   created_at, updated_at, version)
SELECT g, 'BENCH-UNIT-' || g, 'Bench unit ' || g, 'EA', 1000 * g, 2000 * g, 'INR', false,
       now(), now(), 1
FROM generate_series(1, 5) g;
INSERT INTO stock_locations (id, kind, code, name, point, created_at, updated_at, version)
SELECT g, 'WAREHOUSE', 'BENCH-DEPOT-' || g, 'Bench depot ' || g,
       ST_SetSRID(ST_MakePoint(77.5 + g * 0.01, 12.9), 4326)::geography, now(), now(), 1
FROM generate_series(1, 4) g;
INSERT INTO replacement_requests (source, repair_order_id, customer_id, asset_id,
    product_category, replacement_part_id, replacement_model_id, stock_location_id, value,
    currency, approver_role, diagnosis, status, requested_by, requested_by_role, decided_by,
    decided_at, created_at, updated_at, version)
SELECT 'REPAIR_ORDER', g, g, g, 'HVAC', g % 5 + 1, 1, g % 4 + 1, 1000 * (g % 5 + 1), 'INR',
       'DISPATCHER', 'bench', s.status, 'bench', 'TECHNICIAN',
       CASE WHEN s.status IN ('APPROVED', 'REJECTED') THEN 'bench' END,
       CASE WHEN s.status IN ('APPROVED', 'REJECTED') THEN t.at + interval '5 hours' END,
       t.at, t.at + interval '5 hours', 1
FROM generate_series(1, :n) g,
     LATERAL (SELECT now() - (g % 365) * interval '1 day' AS at) t,
     LATERAL (SELECT CASE
         WHEN g <= :pending THEN 'PENDING_APPROVAL'
         WHEN g % 3 = 0 THEN 'APPROVED'
         WHEN g % 6 = 1 THEN 'REJECTED'
         WHEN g % 6 = 5 THEN 'WITHDRAWN'
         ELSE 'APPROVED' END AS status) s;
SELECT setval(pg_get_serial_sequence(t, 'id'), (SELECT 1000000))
FROM unnest(ARRAY['customers', 'sites', 'product_models', 'assets', 'parts',
                  'stock_locations']) t;
"""
APPROVER = Principal("bench:manager", Role.MANAGER, "Bench manager")


async def _recreate(url: str) -> None:
    name = make_url(url).database
    admin = await asyncpg.connect(bootstrap._plain_dsn(url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
    await bootstrap.prepare_database(url)


async def run(requests: int, approvals: int) -> dict[str, float]:
    base = make_url(
        os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/fieldgraph")
    )
    name = f"{base.database}_bench_replacements"
    url = base.set(database=name).render_as_string(hide_password=False)
    await _recreate(url)
    await asyncio.to_thread(bootstrap.upgrade, url)
    engine = create_async_engine(url)
    sessions = async_sessionmaker(engine, class_=SerializedSession, expire_on_commit=False)
    figures: dict[str, float] = {}
    try:
        async with sessions() as session:
            for statement in FILL.split(";\n"):
                if statement.strip():
                    await session.execute(text(statement), {"n": requests, "pending": approvals})
            stamp = Stamp(actor="bench", reason="bench units")
            for depot in range(1, DEPOTS + 1):
                lines = [MovementLine(part_id=p, quantity=approvals) for p in range(1, PARTS + 1)]
                await stock.receive(session, depot, lines, stamp)
            await session.execute(text("ANALYZE"))
            await session.commit()
        today = datetime.now(UTC).date()
        for label, depot in (("report_all", None), ("report_depot", 1)):
            started = time.perf_counter()
            async with sessions() as session:
                rows = await repository.report(
                    session, today - timedelta(days=365), today, repository.Period.MONTH, depot
                )
            figures[f"{label}_seconds"] = time.perf_counter() - started
            figures[f"{label}_rows"] = len(rows)
        started = time.perf_counter()
        for request_id in range(1, approvals + 1):
            async with sessions() as session, session.begin():
                approval = ReplacementApproval(new_serial_number=f"BENCH-NEW-{request_id}")
                await service.approve(session, APPROVER, request_id, approval, None)
        figures["approval_ms"] = (time.perf_counter() - started) * 1000 / max(approvals, 1)
        return figures
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--approvals", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="5,000 requests, 50 approvals")
    args = parser.parse_args()
    requests, approvals = (5_000, 50) if args.quick else (args.requests, args.approvals)
    figures = asyncio.run(run(requests, approvals))
    print(f"replacements: {requests} requests over 12 months at {DEPOTS} depots")
    print(
        f"  report, all depots : {figures['report_all_seconds'] * 1000:7.1f} ms, "
        f"{figures['report_all_rows']:.0f} rows"
    )
    print(
        f"  report, one depot  : {figures['report_depot_seconds'] * 1000:7.1f} ms, "
        f"{figures['report_depot_rows']:.0f} rows"
    )
    print(f"  approval (x{approvals})  : {figures['approval_ms']:7.1f} ms each on average")
    ok = figures["report_all_seconds"] <= 1 and figures["approval_ms"] <= 50
    print(f"  targets (report <= 1 s, approval <= 50 ms): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
