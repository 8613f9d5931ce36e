"""Travel release at scale: what the release check adds to each check-in, and the release of a
page of tasks as the Task fields read it.

    python -m bench.travel_requests [--tasks N] [--quick]

Builds its own database (`<DATABASE_URL's name>_bench_travel`, recreated each run): N tasks
across 200 technicians, a travel policy by distance (beyond 20 km) and one for installations
(always), and approved requests for a third of the tasks. Times `refuse_unreleased` (the check
`startTravel` and `checkIn` run) on 500 tasks one by one, and `releases` (one batch, as a
`tasks(first: 100) { releasedForExecution }` page loads it) on pages of 100. Targets: the
check <= 10 ms, a page <= 50 ms on average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.core import bootstrap
from app.core.db import SerializedSession
from app.core.errors import DomainError
from app.travel_requests import policy

TECHNICIANS = 200
CHECKS, PAGES = 500, 50
FILL = """
INSERT INTO customers (id, name, type, language, preferred_channels, created_at, updated_at,
                       version)
SELECT g, 'Bench customer ' || g, 'CONSUMER', 'en', '{}', now(), now(), 1
FROM generate_series(1, :n) g;
INSERT INTO sites (id, customer_id, name, address_line, city, country, point, created_at,
                   updated_at, version)
SELECT g, g, 'Home', g || ' Ring Road', 'Bengaluru', 'IN',
       ST_SetSRID(ST_MakePoint(77.2 + random() * 0.8, 12.6 + random() * 0.7), 4326)::geography,
       now(), now(), 1
FROM generate_series(1, :n) g;
INSERT INTO technicians (id, name, employment, status, currency, home_base, created_at,
                         updated_at, version)
SELECT g, 'Bench technician ' || g, 'EMPLOYEE', 'ACTIVE', 'INR',
       ST_SetSRID(ST_MakePoint(77.45 + random() * 0.3, 12.85 + random() * 0.25), 4326)::geography,
       now(), now(), 1
FROM generate_series(1, :technicians) g;
INSERT INTO work_orders (id, customer_id, site_id, status, created_at, updated_at, version)
SELECT g, g, g, 'OPEN', now(), now(), 1 FROM generate_series(1, :n) g;
INSERT INTO tasks (id, type, priority, duration_minutes, crew_size, work_order_id, customer_id,
    site_id, location, status, rejection_count, outside_geofence, sla_state,
    preferred_technician_ids, excluded_technician_ids, technician_id, created_at, updated_at,
    version)
SELECT g, CASE WHEN g % 5 = 0 THEN 'INSTALLATION' ELSE 'REPAIR' END, 3, 60, 1, g, g, g, s.point,
       'ACCEPTED', 0, false, 'ON_TRACK', '{}', '{}', g % :technicians + 1, now(), now(), 1
FROM generate_series(1, :n) g JOIN sites s ON s.id = g;
INSERT INTO travel_policies (task_type, requires_approval, approval_beyond_km, currency,
    auto_approve_below, dispatcher_limit, manager_limit, created_at, updated_at, version)
VALUES (NULL, false, 20, 'INR', 500, 5000, 25000, now(), now(), 1),
       ('INSTALLATION', true, NULL, 'INR', 0, 3000, 15000, now(), now(), 1);
INSERT INTO travel_requests (task_id, technician_id, mode, origin, destination, departs_on,
    returns_on, estimated_cost, lodging_nights, advance_amount, currency, status, approver_role,
    requested_by, settlement_status, created_at, updated_at, version)
SELECT g, g % :technicians + 1, 'CAR', 'Depot', 'Site', CURRENT_DATE, CURRENT_DATE + 1, 2500, 0,
       0, 'INR', 'APPROVED', 'DISPATCHER', 'bench', 'NO_ADVANCE', now(), now(), 1
FROM generate_series(1, :n) g WHERE g % 3 = 0
"""


async def _recreate(url: str) -> None:
    name = make_url(url).database
    admin = await asyncpg.connect(bootstrap._plain_dsn(url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
    await bootstrap.prepare_database(url)


async def run(tasks: int) -> dict[str, float]:
    base = make_url(
        os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/fieldgraph")
    )
    url = base.set(database=f"{base.database}_bench_travel").render_as_string(hide_password=False)
    await _recreate(url)
    await asyncio.to_thread(bootstrap.upgrade, url)
    engine = create_async_engine(url)
    sessions = async_sessionmaker(engine, class_=SerializedSession, expire_on_commit=False)
    figures: dict[str, float] = {}
    try:
        async with sessions() as session:
            for statement in FILL.split(";\n"):
                await session.execute(text(statement), {"n": tasks, "technicians": TECHNICIANS})
            await session.execute(text("ANALYZE"))
            await session.commit()
        step = max(tasks // CHECKS, 1)
        refused = 0
        started = time.perf_counter()
        async with sessions() as session:
            for task_id in range(1, tasks + 1, step)[:CHECKS]:
                try:
                    await policy.refuse_unreleased(session, task_id)
                except DomainError:
                    refused += 1
        checks = len(range(1, tasks + 1, step)[:CHECKS])
        figures["check_ms"] = (time.perf_counter() - started) * 1000 / checks
        figures["refused_share"] = refused / checks
        started = time.perf_counter()
        async with sessions() as session:
            for page in range(PAGES):
                first = page * 100 % max(tasks - 100, 1) + 1
                await policy.releases(session, list(range(first, first + 100)))
        figures["page_ms"] = (time.perf_counter() - started) * 1000 / PAGES
        return figures
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10,000 tasks")
    args = parser.parse_args()
    tasks = 10_000 if args.quick else args.tasks
    figures = asyncio.run(run(tasks))
    print(f"travel release: {tasks} tasks, {TECHNICIANS} technicians, 2 policies")
    print(
        f"  check before travel/check-in (x{CHECKS}): {figures['check_ms']:6.2f} ms each "
        f"({figures['refused_share']:.0%} NOT_RELEASED)"
    )
    print(f"  release of a 100-task page (x{PAGES})  : {figures['page_ms']:6.2f} ms each")
    ok = figures["check_ms"] <= 10 and figures["page_ms"] <= 50
    print(f"  targets (check <= 10 ms, page <= 50 ms): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
