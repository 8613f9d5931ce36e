"""Dispatch at city scale through the service: `runDispatch` over GraphQL to offers published.

    python -m bench.dispatch_service_scale [--tasks 10000] [--technicians 1000]
        [--time-limit 60] [--database-url URL --territory ID] [--no-publish]

Builds its own database (`<DATABASE_URL's name>_bench_dispatch_service`, recreated each run):
one territory of N technicians working 08:00-18:00 with two skills each, and M unscheduled
tasks with two-hour (or all-day) appointment windows tomorrow. With `--database-url` and
`--territory` it plans a database seeded beforehand instead (`fieldgraph seed --scale N`),
tomorrow in that territory, as it stands.

Then, as a dispatcher would: the `runDispatch` mutation over HTTP through the real app (the
in-process ASGI transport), a worker of the job engine in this process (its dispatch queue
only) takes the run's job and solves it in the service's solver pool, and the `dispatchRun`
query polls the run's progress until it ends. Prints each phase (enqueue, queue wait, facts
read, problem build, solve, plan record, offers published, commit, total wall), the statements
each phase sent, CPU seconds, the peak resident memory of this process with its solver
processes (children of children included), and the machine's load average: on a shared
machine wall-clock time is mostly waiting for a core.
Target: 10,000 tasks x 1,000 technicians in <= 90 s from mutation to offers published, the
solver <= 60 s, memory <= 2 GB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psutil
from sqlalchemy import DateTime, bindparam, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app.core import bootstrap
from app.core.auth import Principal, Role, issue_token
from app.core.config import Settings
from app.core.db import create_session_factory
from app.core.events import Broker
from app.core.ids import global_id
from app.core.jobs import DISPATCH_QUEUE
from app.core.worker import Worker, WorkerSettings
from app.dispatch import jobs as dispatch_jobs
from app.dispatch import plans, runner, service
from app.main import create_app
from bench.dispatch_board import _recreate

ZONE = ZoneInfo("Asia/Kolkata")
RUN_DISPATCH = """
mutation Run($input: RunDispatchInput!) {
  runDispatch(input: $input) {
    dispatchRun { id status }
    userErrors { field message code }
  }
}
"""
PROGRESS = """
query Run($id: ID!) {
  dispatchRun(id: $id) {
    status progress error
    stats { taskCount assignedCount unassignedCount technicianCount publishedCount solveSeconds }
  }
}
"""
FILL = """
INSERT INTO territories (id, name, code, time_zone, area, created_at, updated_at, version)
VALUES (1, 'Bench city', 'BENCH', 'Asia/Kolkata', ST_Multi(ST_MakeEnvelope(77.3, 12.7, 77.9,
        13.2, 4326)), now(), now(), 1);
INSERT INTO skills (id, code, name, created_at, updated_at, version)
VALUES (1, 'HVAC', 'HVAC', now(), now(), 1), (2, 'PLUMBING', 'Plumbing', now(), now(), 1),
       (3, 'ELECTRICAL', 'Electrical', now(), now(), 1);
INSERT INTO technicians (id, name, employment, status, currency, home_base, created_at,
                         updated_at, version)
SELECT g, 'Tech ' || lpad(g::text, 4, '0'), 'EMPLOYEE', 'ACTIVE', 'INR',
       ST_SetSRID(ST_MakePoint(77.35 + random() * 0.5, 12.75 + random() * 0.4), 4326)::geography,
       now(), now(), 1
FROM generate_series(1, :n) g;
INSERT INTO technician_skills (technician_id, skill_id, level)
SELECT g, s, 3 FROM generate_series(1, :n) g, generate_series(1, 3) s WHERE s <> 1 + g % 3;
INSERT INTO territory_memberships (technician_id, territory_id, valid_from, is_primary)
SELECT g, 1, DATE '2020-01-01', true FROM generate_series(1, :n) g;
INSERT INTO working_hours (technician_id, weekday, starts_at, ends_at)
SELECT g, d, TIME '08:00', TIME '18:00' FROM generate_series(1, :n) g, generate_series(0, 6) d;
INSERT INTO customers (id, name, type, language, preferred_channels, created_at, updated_at,
                       version)
VALUES (1, 'Bench customer', 'CONSUMER', 'en', '{}', now(), now(), 1);
INSERT INTO sites (id, customer_id, name, address_line, city, country, point, created_at,
                   updated_at, version)
SELECT g, 1, 'Site ' || g, g || ' Ring Road', 'Bengaluru', 'IN',
       ST_SetSRID(ST_MakePoint(77.35 + random() * 0.5, 12.75 + random() * 0.4), 4326)::geography,
       now(), now(), 1
FROM generate_series(1, :m) g;
INSERT INTO work_orders (id, customer_id, site_id, status, created_at, updated_at, version)
SELECT g, 1, g, 'OPEN', now(), now(), 1 FROM generate_series(1, :m) g;
INSERT INTO tasks (id, type, priority, duration_minutes, crew_size, work_order_id, customer_id,
                   site_id, territory_id, location, status, preferred_technician_ids,
                   excluded_technician_ids, prerequisites, window_start, window_end,
                   rejection_count, outside_geofence, off_schedule, sla_state, created_at,
                   updated_at, version)
SELECT g, 'REPAIR', 1 + g % 5, (ARRAY[30, 45, 60, 90])[1 + g % 4], 1, g, 1, s.id, 1, s.point,
       'UNSCHEDULED', '{}', '{}', '[]',
       CASE WHEN g % 5 = 4 THEN :day_start + interval '8 hours'
            ELSE :day_start + interval '8 hours' + (g % 5) * interval '2 hours' END,
       CASE WHEN g % 5 = 4 THEN :day_start + interval '18 hours'
            ELSE :day_start + interval '10 hours' + (g % 5) * interval '2 hours' END,
       0, false, false, 'ON_TRACK', now(), now(), 1
FROM generate_series(1, :m) g, LATERAL (SELECT id, point FROM sites WHERE id = g) s;
INSERT INTO task_skills (task_id, skill_id, min_level)
SELECT g, 1 + g % 3, 1 FROM generate_series(1, :m) g;
SELECT setval(pg_get_serial_sequence(t, 'id'), 1000000)
FROM unnest(ARRAY['territories', 'skills', 'technicians', 'customers', 'sites', 'work_orders',
                  'tasks']) t;
"""


class Phases:
    """Wall time, CPU time of this process and statements sent, per phase of the run."""

    def __init__(self) -> None:
        self.statements = 0
        self.figures: dict[str, tuple[float, float, int]] = {}

    @contextlib.contextmanager
    def measure(self, name: str) -> Iterator[None]:
        wall, cpu, sent = time.perf_counter(), time.process_time(), self.statements
        try:
            yield
        finally:
            self.figures[name] = (
                time.perf_counter() - wall,
                time.process_time() - cpu,
                self.statements - sent,
            )

    def wrap(self, owner: Any, attribute: str, name: str) -> None:
        original = getattr(owner, attribute)
        if asyncio.iscoroutinefunction(original):

            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                with self.measure(name):
                    return await original(*args, **kwargs)

            setattr(owner, attribute, timed_async)
        else:

            def timed(*args: Any, **kwargs: Any) -> Any:
                with self.measure(name):
                    return original(*args, **kwargs)

            setattr(owner, attribute, timed)


class PeakMemory:
    """The peak of this process's resident memory plus its descendants' (the solver pool and
    the processes it starts), sampled every 100 ms in a thread."""

    def __init__(self) -> None:
        self.peak = 0
        self.peak_processes = 0
        self.cpu: dict[int, float] = {}
        """CPU seconds of each descendant process, as last seen."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.1):
            total, count = 0, 0
            for process in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += process.memory_info().rss
                    count += 1
                    if process.pid != me.pid:
                        times = process.cpu_times()
                        self.cpu[process.pid] = times.user + times.system
            if total > self.peak:
                self.peak, self.peak_processes = total, count

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _bench_url(given: str | None) -> str:
    if given:
        return given
    base = make_url(
        os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/fieldgraph")
    )
    name = f"{base.database}_bench_dispatch_service"
    return base.set(database=name).render_as_string(hide_password=False)


async def _fill(url: str, technicians: int, tasks: int, day_start: datetime) -> float:
    started = time.perf_counter()
    await _recreate(url)
    await asyncio.to_thread(bootstrap.upgrade, url)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            fill = FILL.replace(":n", str(int(technicians))).replace(":m", str(int(tasks)))
            for statement in fill.split(";\n"):
                if statement.strip():
                    typed = text(statement)
                    if ":day_start" in statement:
                        typed = typed.bindparams(
                            bindparam("day_start", type_=DateTime(timezone=True))
                        )
                    await connection.execute(typed, {"day_start": day_start})
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def _graphql(
    http: httpx.AsyncClient, headers: dict[str, str], query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    body = response.json()
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def _until(check: Callable[[], Awaitable[bool]], every: float) -> None:
    """Polls as a client would (the run's progress field)."""
    while True:
        if await check():
            return
        await asyncio.sleep(every)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = _bench_url(args.database_url)
    day: date = (datetime.now(ZONE) + timedelta(days=1)).date()
    start = datetime.combine(day, clock(0), ZONE)
    figures: dict[str, Any] = {}
    if args.database_url is None:
        figures["seeded"] = await _fill(url, args.technicians, args.tasks, start)
    engine = create_async_engine(url, pool_size=10)
    phases = Phases()

    def count(*_: Any) -> None:
        phases.statements += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    sessions = create_session_factory(engine)
    settings = Settings(
        database_url=url,
        log_level="WARNING",
        redis_url=None,
        rate_limit_per_token=0,
        rate_limit_per_address=0,
        run_jobs=False,
    )
    broker = Broker(None)
    await broker.connect()
    for owner, attribute, name in (
        (service, "load_facts", "facts read"),
        (service, "build_problem", "problem build"),
        (service, "solve_off_loop", "solve"),
        (plans, "record", "plan record"),
        (plans, "publish", "offers published"),
        (service, "plan_run", "plan run"),
        (service, "execute_run", "job (claim to commit)"),
    ):
        phases.wrap(owner, attribute, name)
    app = create_app(settings, sessions=sessions, broker=broker)
    worker = Worker(
        settings,
        sessions,
        broker,
        queues=[DISPATCH_QUEUE],
        config=WorkerSettings(concurrency=1),
        jobs=[],
        tasks=dispatch_jobs.TASKS,
    )
    principal = Principal(subject="bench:dispatcher", role=Role.DISPATCHER, name="Bench")
    headers = {"Authorization": f"Bearer {issue_token(settings, principal)}"}
    variables = {
        "input": {
            "territoryId": global_id("Territory", args.territory),
            "from": start.isoformat(),
            "to": (start + timedelta(days=1)).isoformat(),
            "timeLimitSeconds": args.time_limit,
            "publish": not args.no_publish,
        }
    }
    # A server's solver processes outlive its runs: started here, as an earlier run would have.
    await asyncio.wrap_future(runner.pool().submit(int))
    cpu_started = time.process_time()
    transport = httpx.ASGITransport(app=app)
    try:
        with PeakMemory() as memory:
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                started = time.perf_counter()
                payload = await _graphql(http, headers, RUN_DISPATCH, variables)
                figures["enqueue"] = time.perf_counter() - started
                result = payload["runDispatch"]
                assert not result["userErrors"], result["userErrors"]
                run_id = result["dispatchRun"]["id"]
                await worker.start()
                taken = time.perf_counter()

                async def running() -> bool:
                    state = await _graphql(http, headers, PROGRESS, {"id": run_id})
                    return bool(state["dispatchRun"]["status"] != "QUEUED")

                await _until(running, 0.05)
                figures["queue wait"] = time.perf_counter() - taken
                last: dict[str, Any] = {}

                async def finished() -> bool:
                    last.update(await _graphql(http, headers, PROGRESS, {"id": run_id}))
                    return last["dispatchRun"]["status"] in ("SUCCEEDED", "FAILED")

                await _until(finished, 0.5)
                figures["total"] = time.perf_counter() - started
                figures["run"] = last["dispatchRun"]
        await worker.stop()
    finally:
        runner.shutdown()
        await broker.disconnect()
        await engine.dispose()
    figures["cpu"] = time.process_time() - cpu_started
    figures["children cpu"] = sum(memory.cpu.values())
    figures["phases"] = phases.figures
    figures["peak"] = memory.peak
    figures["processes"] = memory.peak_processes
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--technicians", type=int, default=1_000)
    parser.add_argument("--time-limit", type=float, default=60.0, help="the run's solver limit")
    parser.add_argument("--database-url", help="plan this seeded database instead")
    parser.add_argument("--territory", type=int, default=1, help="with --database-url")
    parser.add_argument("--no-publish", action="store_true", help="record the plan only")
    args = parser.parse_args()
    figures = asyncio.run(run(args))
    run_state = figures["run"]
    stats = run_state["stats"] or {}
    print(
        f"dispatch run through the service: {stats.get('taskCount')} tasks x "
        f"{stats.get('technicianCount')} technicians, limit {args.time_limit:.0f} s, "
        f"status {run_state['status']} {run_state['error'] or ''}"
    )
    if "seeded" in figures:
        print(f"  {'seeded (not counted)':<22}{figures['seeded']:8.1f} s")
    print(f"  {'enqueue (mutation)':<22}{figures['enqueue']:8.2f} s")
    print(f"  {'queue wait':<22}{figures['queue wait']:8.2f} s")
    for name, (wall, cpu, sent) in figures["phases"].items():
        print(f"  {name:<22}{wall:8.2f} s   CPU {cpu:7.2f} s   statements {sent:>7,}")
    job = figures["phases"].get("job (claim to commit)", (0.0, 0.0, 0))[0]
    rest = figures["total"] - figures["enqueue"] - figures["queue wait"] - job
    print(f"  {'job start, last poll':<22}{rest:8.2f} s")
    print(f"  {'total wall':<22}{figures['total']:8.2f} s")
    print(
        f"  assigned {stats.get('assignedCount')}, unassigned {stats.get('unassignedCount')}, "
        f"offers published {stats.get('publishedCount')}, solver {stats.get('solveSeconds')} s"
    )
    print(
        f"  CPU: this process {figures['cpu']:.1f} s, "
        f"solver processes {figures['children cpu']:.1f} s"
    )
    print(
        f"  peak resident memory {figures['peak'] / 2**20:,.0f} MiB over "
        f"{figures['processes']} processes"
    )
    print(f"  load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    solver = figures["phases"].get("solve", (0.0, 0.0, 0))[0]
    ok = (
        run_state["status"] == "SUCCEEDED"
        and figures["total"] <= 90
        and solver <= 60
        and figures["peak"] <= 2 * 2**30
    )
    print(f"  target (<= 90 s total, solver <= 60 s, <= 2 GB): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
