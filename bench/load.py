"""Mixed load on two API instances sharing PostgreSQL and Redis, driven by Locust.

    python -m bench.load [--run-time 60] [--technicians 40] [--customers 20] [--dispatchers 5]

Recreates its database (BENCH_LOAD_DATABASE_URL, or DATABASE_URL's name with `_bench_load`),
seeds the demo city, and through the API sets the tracking policy to ALWAYS and puts half of the
technicians' accepted visits en route and half at work. It starts two `fieldgraph serve`
processes on free loopback ports (jobs on, as in production) sharing the database and Redis
(BENCH_REDIS_URL, default redis://127.0.0.1:6379/0), runs bench/locustfile.py against them
headless and prints throughput, p50/p99 per operation and errors; then stops both servers with
SIGTERM. The offered rate is fixed by the users' pacing, printed first. Target: no errors and
p99 <= 300 ms on a 2-core machine (where Locust itself takes a share of the CPU).

It also prints how much of a core each server ran and how long it waited, runnable, for one
(the kernel's schedstat): on a machine shared with other work a large wait, not the servers' own
CPU, is what the latencies measure. Server logs at INFO: BENCH_SERVER_LOG_LEVEL=INFO; the
servers take every other setting (DB_POOL_SIZE...) from the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.auth import Principal, Role, issue_token
from app.core.config import Settings
from app.demo.command import seed_command
from bench.realtime import DEFAULT_DATABASE_URL, database_beside, fresh_database
from schema.ids import encode_id

ROOT = Path(__file__).resolve().parents[1]
DATABASE = os.environ.get("BENCH_LOAD_DATABASE_URL") or database_beside(
    os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL, "bench_load"
)
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
JWT_SECRET = "bench-only-secret-for-the-fieldgraph-load-test"
PACING = {"technicians": 2.0, "customers": 5.0, "dispatchers": 2.0}
"""Seconds between two actions of one user: the offered rate is users / pacing."""

STEP = """mutation Step($input: TaskStepInput!) {
  startTravel(input: $input) { task { status } userErrors { code message } } }"""
CHECK_IN = """mutation CheckIn($input: CheckInInput!) {
  checkIn(input: $input) { task { status } userErrors { code message } } }"""
START_WORK = """mutation Work($input: TaskStepInput!) {
  startWork(input: $input) { task { status } userErrors { code message } } }"""
ALWAYS = """mutation { setTrackingPolicy(input: {mode: ALWAYS}) { userErrors { code message } } }"""
ANY_TIME = """mutation { updateWorkPolicy(input: {checkInWindowMode: ALLOW}) {
  userErrors { code message } } }"""


def token(settings: Settings, role: Role, **links: int) -> str:
    subject = f"bench:{role.value.lower()}:{next(iter(links.values()), 0)}"
    principal = Principal(subject=subject, role=role, name=f"Load {role.value.title()}", **links)  # type: ignore[arg-type]
    return issue_token(settings, principal)


@dataclass
class Facts:
    accepted: list[dict[str, Any]]  # one accepted visit per technician
    technicians: list[dict[str, Any]]
    unassigned: list[dict[str, Any]]


async def read_facts() -> Facts:
    engine = create_async_engine(DATABASE)
    try:
        async with engine.connect() as conn:
            accepted = await conn.execute(
                sa.text(
                    "SELECT DISTINCT ON (technician_id) id, technician_id, customer_id,"
                    " ST_Y(location::geometry) AS lat, ST_X(location::geometry) AS lng FROM tasks"
                    " WHERE status = 'ACCEPTED' ORDER BY technician_id, scheduled_start"
                )
            )
            technicians = await conn.execute(
                sa.text(
                    "SELECT t.id, COALESCE(ST_Y(t.last_location::geometry), 12.97) AS lat,"
                    " COALESCE(ST_X(t.last_location::geometry), 77.59) AS lng,"
                    " array_agg(m.territory_id) AS territories FROM technicians t"
                    " JOIN territory_memberships m ON m.technician_id = t.id"
                    " WHERE t.status = 'ACTIVE' AND t.archived_at IS NULL GROUP BY t.id"
                    " ORDER BY t.id"
                )
            )
            unassigned = await conn.execute(
                sa.text(
                    "SELECT id, territory_id, ST_Y(location::geometry) AS lat,"
                    " ST_X(location::geometry) AS lng FROM tasks"
                    " WHERE status = 'UNSCHEDULED' AND territory_id IS NOT NULL"
                    " ORDER BY id"
                )
            )
            return Facts(
                [dict(r._mapping) for r in accepted],
                [dict(r._mapping) for r in technicians],
                [dict(r._mapping) for r in unassigned],
            )
    finally:
        await engine.dispose()


def call(client: httpx.Client, auth: str, query: str, variables: dict[str, Any]) -> Any:
    body = client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {auth}"},
    ).json()
    assert not body.get("errors"), body
    (payload,) = body["data"].values()
    assert not payload["userErrors"], payload
    return payload


def prepare(settings: Settings, host: str, facts: Facts, args: argparse.Namespace) -> dict:
    """Visits en route (their customers follow them) and at work (their technicians pause and
    resume), through the API as the apps would; the fixture of the Locust users."""
    technicians: dict[int, dict[str, Any]] = {
        t["id"]: {
            "token": token(settings, Role.TECHNICIAN, technician_id=t["id"]),
            "lat": t["lat"],
            "lng": t["lng"],
        }
        for t in facts.technicians
    }
    customers = []
    reason = "Load test: the day is run as it comes"
    with httpx.Client(base_url=host, timeout=30) as client:
        # A round-the-clock operation: positions kept at any hour, visits worked when they come.
        call(client, token(settings, Role.ADMIN), ALWAYS, {})
        call(client, token(settings, Role.ADMIN), ANY_TIME, {})
        for n, visit in enumerate(facts.accepted):
            actor = technicians.get(visit["technician_id"])
            if actor is None:
                continue
            task_id = encode_id("Task", visit["id"])
            step = {"taskId": task_id, "reason": reason}
            call(client, actor["token"], STEP, {"input": step})
            actor.update(taskId=task_id, status="EN_ROUTE")  # from where it last was
            if n % 2:
                point = {"lat": visit["lat"], "lng": visit["lng"]}
                call(client, actor["token"], CHECK_IN, {"input": {**step, "location": point}})
                call(client, actor["token"], START_WORK, {"input": {"taskId": task_id}})
                actor["status"] = "IN_PROGRESS"
            else:
                customer = token(settings, Role.CUSTOMER, customer_id=visit["customer_id"])
                customers.append({"token": customer, "taskId": task_id})
    by_territory: dict[int, list[str]] = {}
    for t in facts.technicians:
        for territory in t["territories"]:
            by_territory.setdefault(territory, []).append(encode_id("Technician", t["id"]))
    work = [
        {
            "id": encode_id("Task", u["id"]),
            "point": {"lat": u["lat"], "lng": u["lng"]},
            "technicianIds": by_territory.get(u["territory_id"], [])[:5],
        }
        for u in facts.unassigned
        if by_territory.get(u["territory_id"])
    ]
    dispatchers = [
        {"token": token(settings, Role.DISPATCHER), "tasks": work[d :: args.dispatchers][:10]}
        for d in range(args.dispatchers)
    ]
    ordered = sorted(technicians.values(), key=lambda t: "taskId" not in t)
    return {
        "technicians": ordered[: args.technicians],
        "customers": customers,
        "dispatchers": dispatchers,
        "counts": {
            "technicians": args.technicians,
            "customers": args.customers,
            "dispatchers": args.dispatchers,
        },
        "pacing": PACING,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(port: int, log: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE,
        "REDIS_URL": REDIS,
        "JWT_SECRET": JWT_SECRET,
        "LOG_LEVEL": os.environ.get("BENCH_SERVER_LOG_LEVEL", "WARNING"),
        "LOG_JSON": "true",
        # Jobs on, as in production: the fresh demo city has no webhook subscriptions or
        # notification providers, so nothing they do leaves the machine.
        "RUN_JOBS": "true",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        text=True,
    )


def wait_ready(port: int) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the server on port {port} did not become ready")


def cpu_seconds(pid: int) -> tuple[float, float]:
    """Seconds a process's threads have run and have waited, runnable, for a core (Linux
    schedstat): the wait shows how much other work on the machine held the servers back."""
    ran = waited = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        fields = stat.read_text().split()
        ran, waited = ran + int(fields[0]), waited + int(fields[1])
    return ran / 1e9, waited / 1e9


def report(stats_csv: Path, seconds: float) -> int:
    """The figures of Locust's CSV per operation; the number of failed requests."""
    rows = list(csv.DictReader(stats_csv.open()))
    print(
        f"\n{'operation':48s} {'requests':>8s} {'errors':>6s} {'req/s':>7s} {'p50':>6s} {'p99':>6s}"
    )
    failures = 0
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "all operations"
        count, failed = int(row["Request Count"]), int(row["Failure Count"])
        if row["Name"] == "Aggregated":
            failures = failed
            print("-" * 84)
        print(
            f"{name:48s} {count:8d} {failed:6d} {count / seconds:7.1f}"
            f" {row['50%']:>5s}ms {row['99%']:>5s}ms"
        )
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run-time", type=int, default=60, help="seconds of load")
    parser.add_argument("--technicians", type=int, default=40)
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--dispatchers", type=int, default=5)
    args = parser.parse_args()

    settings = Settings(database_url=DATABASE, jwt_secret=JWT_SECRET, log_level="WARNING")
    print(f"database {DATABASE.rsplit('/', 1)[-1]}: recreated and seeded (demo city, scale 1)")
    asyncio.run(fresh_database(DATABASE))
    with contextlib.redirect_stdout(io.StringIO()):
        seed_command(settings, scale=1, if_empty=True)
    facts = asyncio.run(read_facts())

    ports = [free_port(), free_port()]
    workdir = Path(tempfile.mkdtemp(prefix="fieldgraph-load-"))
    logs = [workdir / f"server-{port}.log" for port in ports]
    servers = [start_server(port, log) for port, log in zip(ports, logs, strict=True)]
    try:
        for port in ports:
            wait_ready(port)
        hosts = [f"http://127.0.0.1:{port}" for port in ports]
        fixture = {"hosts": hosts, **prepare(settings, hosts[0], facts, args)}
        (workdir / "fixture.json").write_text(json.dumps(fixture))
        users = args.technicians + args.customers + args.dispatchers
        rate = sum(getattr(args, kind) / PACING[kind] for kind in PACING)
        print(
            f"two instances {', '.join(hosts)}; {users} users for {args.run_time} s: "
            f"{args.technicians} technician apps (an action every {PACING['technicians']:g} s), "
            f"{args.customers} customer apps (every {PACING['customers']:g} s, each following "
            f"a visit live), {args.dispatchers} dispatcher consoles (every "
            f"{PACING['dispatchers']:g} s, live map open): ~{rate:.0f} requests/s offered"
        )
        load_before, cpu_before = os.getloadavg()[0], [cpu_seconds(s.pid) for s in servers]
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        locust = subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "--users",
                str(users),
                "--spawn-rate",
                str(users),
                "--run-time",
                f"{args.run_time}s",
                "--stop-timeout",
                "5",
                "--csv",
                str(workdir / "load"),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={**os.environ, "LOAD_FIXTURE": str(workdir / "fixture.json")},
            capture_output=True,
            text=True,
            timeout=args.run_time + 120,
        )
        cpu = [
            (after[0] - before[0], after[1] - before[1])
            for after, before in zip([cpu_seconds(s.pid) for s in servers], cpu_before, strict=True)
        ]
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        locust_cpu = (children.ru_utime - children_before.ru_utime) + (
            children.ru_stime - children_before.ru_stime
        )
        (workdir / "locust.log").write_text(locust.stdout + locust.stderr)
        messages = re.findall(r"subscription messages received: .*", locust.stdout)
        if locust.returncode not in (0, 1):
            print(locust.stdout[-3000:], locust.stderr[-3000:])
            return locust.returncode
        failures = report(workdir / "load_stats.csv", args.run_time)
        print(*messages)
        errors = list(csv.DictReader((workdir / "load_failures.csv").open()))
        for error in errors[:10]:
            print(f"  error x{error['Occurrences']}: {error['Name']}: {error['Error'][:160]}")
        crashes = list(csv.DictReader((workdir / "load_exceptions.csv").open()))
        for crash in crashes[:5]:
            print(f"  exception in the load script x{crash['Count']}: {crash['Message'][:160]}")
        print(
            "servers: "
            + ", ".join(
                f"ran {ran / args.run_time:.0%} of a core, waited {waited / args.run_time:.0%}"
                for ran, waited in cpu
            )
            + f"; Locust {locust_cpu / args.run_time:.0%} of a core"
            + f"; load average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
        )
        print(f"Locust's output: {workdir / 'locust.log'}; the servers': {workdir}/server-*.log")
        print(
            "\n(one shared 2-core machine: the servers, PostgreSQL, Redis and Locust take turns "
            "on it, and other work on the machine moves these figures)"
        )
        return 1 if failures or crashes else 0
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server, log in zip(servers, logs, strict=True):
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            if server.returncode:
                print(f"a server exited {server.returncode}; its log: {log}")


if __name__ == "__main__":
    sys.exit(main())
