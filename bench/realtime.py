"""Realtime benchmark: location ingest rate through the HTTP API, and fan-out latency of
technicianLocations to many WebSocket subscribers. Loopback only, bounded in count and time.

    .venv/bin/python -m bench.realtime --quick       # a few seconds
    .venv/bin/python -m bench.realtime               # 100 and 1,000 subscribers

It builds its own committed database, named after DATABASE_URL's with `_bench_realtime` added
(so runs against different databases on one server never clash), serves the API from a uvicorn
subprocess on a free loopback port and prints its figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from app.core import bootstrap
from app.core.auth import Principal, Role, issue_token
from app.core.config import Settings
from app.core.geo import point_value
from app.core.models import utcnow
from app.technicians.models import Technician, TerritoryMembership
from app.territories.models import Territory
from app.tracking.models import TrackingMode, TrackingPolicy

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/fieldgraph"
JWT_SECRET = "bench-only-secret-for-fieldgraph-realtime"
REPORT = (
    "mutation R($input: ReportLocationsInput!) { reportLocations(input: $input) "
    "{ accepted rejected duplicates userErrors { code } } }"
)
LOCATIONS = "subscription { technicianLocations { technicianId location { lat lng } recordedAt } }"


def database_beside(url: str, suffix: str) -> str:
    """`url` with `_suffix` appended to its database name: a private database on the same
    server, distinct for every configured database (one per checkout, CI job or user)."""
    parsed = make_url(url)
    beside = parsed.set(database=f"{parsed.database}_{suffix}")
    return beside.render_as_string(hide_password=False)


def bench_database() -> str:
    return database_beside(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL, "bench_realtime")


async def fresh_database(url: str) -> None:
    """Drop and recreate the database named in `url`, then migrate it."""
    name = make_url(url).database
    admin = await asyncpg.connect(bootstrap._plain_dsn(url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
    await bootstrap.prepare_database(url)
    await asyncio.to_thread(bootstrap.upgrade, url)


async def seed_tracked_technicians(url: str, count: int) -> tuple[int, list[int]]:
    """A territory with an ALWAYS policy and `count` technicians in it; committed."""
    from geoalchemy2.shape import from_shape
    from shapely.geometry import MultiPolygon, Polygon
    from sqlalchemy.ext.asyncio import AsyncSession

    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            area = MultiPolygon([Polygon([(77.4, 12.8), (77.8, 12.8), (77.8, 13.2), (77.4, 13.2)])])
            territory = Territory(
                code="RT", name="Realtime", time_zone="UTC", area=from_shape(area, 4326)
            )
            session.add(territory)
            await session.flush()
            assert territory.id is not None
            session.add(TrackingPolicy(territory_id=territory.id, mode=TrackingMode.ALWAYS))
            technicians = [
                Technician(name=f"Tech {n}", home_base=point_value(12.97, 77.59))
                for n in range(count)
            ]
            session.add_all(technicians)
            await session.flush()
            today = utcnow().date()
            session.add_all(
                TerritoryMembership(technician_id=t.id, territory_id=territory.id, valid_from=today)
                for t in technicians
                if t.id is not None
            )
            await session.commit()
            return territory.id, [t.id for t in technicians if t.id is not None]
    finally:
        await engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServerProcess:
    """`uvicorn app.main:create_app` in a subprocess on a loopback port."""

    def __init__(
        self, database_url: str, redis_url: str | None = None, *, jobs: bool = False
    ) -> None:
        self.port = free_port()
        self.database_url = database_url
        self.redis_url = redis_url
        self.jobs = jobs
        """Run the periodic jobs too (off by default: benchmarks measure the API alone)."""
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def settings(self) -> Settings:
        return Settings(
            database_url=self.database_url,
            jwt_secret=JWT_SECRET,
            rate_limit_per_token=0,
            rate_limit_per_address=0,
        )

    def start(self) -> None:
        env = {
            **os.environ,
            "ENV": "test",
            "DATABASE_URL": self.database_url,
            "JWT_SECRET": JWT_SECRET,
            "LOG_LEVEL": "WARNING",
            "RUN_JOBS": "true" if self.jobs else "false",
            # The load comes from a few tokens on one address: the limits are not what is measured.
            "RATE_LIMIT_PER_TOKEN": "0",
            "RATE_LIMIT_PER_ADDRESS": "0",
        }
        env.pop("REDIS_URL", None)
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
                # Per-message deflate costs a zlib flush per message per socket and saves
                # nothing on ~150-byte positions; deploy without it for large fan-out.
                "--ws-per-message-deflate",
                "false",
            ],
            env=env,
        )
        deadline = time.monotonic() + 60  # a loaded machine imports slowly
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://{self.address}/healthz", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used so far; None where /proc is not there."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bearer(role: Role, **links: int) -> str:
    settings = Settings(jwt_secret=JWT_SECRET)
    principal = Principal(subject=f"bench:{role.value.lower()}", role=role, **links)  # type: ignore[arg-type]
    return f"Bearer {issue_token(settings, principal)}"


WARM_UP_SECONDS = 1.0


def batch(start: datetime, size: int, step: float = 1.0) -> list[dict[str, Any]]:
    return [
        {
            "point": {"lat": 12.97 + i * 1e-5, "lng": 77.59 + i * 1e-5},
            "recordedAt": (start + timedelta(seconds=i * step)).isoformat(),
            "accuracyMeters": 8.0,
        }
        for i in range(size)
    ]


async def ingest(
    address: str,
    technicians: list[int],
    seconds: float,
    size: int = 50,
    server_pid: int | None = None,
) -> dict[str, float]:
    """Each technician's phone sends batches back to back; returns accepted pings per second
    and, given the server's pid, the server's CPU time per batch: on a machine shared with
    other work the rate moves with the load, the CPU time much less."""
    accepted = requests = 0
    deadline = time.monotonic()
    origin = utcnow() - timedelta(hours=48)
    sent = dict.fromkeys(technicians, 0)
    headers = {t: {"Authorization": bearer(Role.TECHNICIAN, technician_id=t)} for t in technicians}

    async def phone(client: httpx.AsyncClient, technician_id: int) -> None:
        nonlocal accepted, requests
        while time.monotonic() < deadline:
            n = sent[technician_id]
            start = origin + timedelta(seconds=n * size)
            sent[technician_id] = n + 1
            body = {"query": REPORT, "variables": {"input": {"pings": batch(start, size)}}}
            response = await client.post("/graphql", json=body, headers=headers[technician_id])
            payload = response.json()["data"]["reportLocations"]
            accepted += payload["accepted"] or 0
            requests += 1

    limits = httpx.Limits(max_connections=len(technicians))
    async with httpx.AsyncClient(base_url=f"http://{address}", limits=limits, timeout=30) as client:
        # Warm-up, not counted: connections, caches and first-use imports, so a short (quick)
        # run and a long one measure the same steady state.
        deadline = time.monotonic() + WARM_UP_SECONDS
        await asyncio.gather(*(phone(client, t) for t in technicians))
        accepted = requests = 0
        deadline = time.monotonic() + seconds
        cpu_before = None if server_pid is None else cpu_seconds(server_pid)
        started = time.monotonic()
        await asyncio.gather(*(phone(client, t) for t in technicians))
        elapsed = time.monotonic() - started
        cpu_after = None if server_pid is None else cpu_seconds(server_pid)
    server_cpu = float("nan")
    if cpu_before is not None and cpu_after is not None:
        server_cpu = (cpu_after - cpu_before) * 1000 / max(requests, 1)
    return {
        "pings_per_s": accepted / elapsed,
        "pings_per_cpu_s": size * 1000 / server_cpu if server_cpu > 0 else float("nan"),
        "batches": requests,
        "ms_per_batch": elapsed * 1000 * len(technicians) / max(requests, 1),
        "server_cpu_ms_per_batch": server_cpu,
    }


async def subscriber(
    address: str, ready: asyncio.Event, latencies: list[float], stop: asyncio.Event
) -> None:
    socket_ = await connect(
        f"ws://{address}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")], max_queue=64
    )
    try:
        await socket_.send(
            json.dumps(
                {"type": "connection_init", "payload": {"Authorization": bearer(Role.DISPATCHER)}}
            )
        )
        await socket_.recv()
        await socket_.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": LOCATIONS}})
        )
        ready.set()
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(socket_.recv(), 1.0)
            except TimeoutError:
                continue
            message = json.loads(raw)
            if message.get("type") == "next":
                sent = datetime.fromisoformat(
                    message["payload"]["data"]["technicianLocations"]["recordedAt"]
                )
                latencies.append((datetime.now(UTC) - sent).total_seconds() * 1000)
    finally:
        await socket_.close()


def _subscriber_process(address: str, count: int, ready: Any, stop: Any, results: Any) -> None:
    """A client process holding `count` subscriber sockets; sends its latencies back."""

    async def run() -> list[float]:
        latencies: list[float] = []
        done = asyncio.Event()
        readies = [asyncio.Event() for _ in range(count)]
        tasks = []
        for i in range(count):
            tasks.append(asyncio.create_task(subscriber(address, readies[i], latencies, done)))
            if i % 50 == 49:
                await asyncio.sleep(0.05)
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
        ready.set()
        await asyncio.to_thread(stop.wait)
        done.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        return latencies

    results.put(asyncio.run(run()))


CLIENT_PROCESSES = 2
"""Subscriber sockets are spread over this many client processes, apart from the publisher:
one process receiving 10,000 messages a second saturates its own loop, delays the
publisher's timer and adds its queueing to every latency."""


async def fanout(
    address: str, technicians: list[int], subscribers: int, rate: float, seconds: float
) -> dict[str, float]:
    """`subscribers` dispatchers follow the map while `rate` positions a second are reported
    (one ping per batch, so each is the latest and none is coalesced); latency is from the
    ping's recorded time to its arrival at each subscriber."""
    spawn = multiprocessing.get_context("spawn")
    stop = spawn.Event()
    results = spawn.Queue()
    shares = [subscribers // CLIENT_PROCESSES] * CLIENT_PROCESSES
    shares[0] += subscribers - sum(shares)
    workers = []
    for share in shares:
        ready = spawn.Event()
        worker = spawn.Process(
            target=_subscriber_process, args=(address, share, ready, stop, results)
        )
        worker.start()
        workers.append((worker, ready))
    for _, ready in workers:
        if not await asyncio.to_thread(ready.wait, 90):
            raise RuntimeError("subscribers did not connect")
    await asyncio.sleep(1.0)  # subscriptions start asynchronously on the server
    sent = 0
    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as client:
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            technician = technicians[sent % len(technicians)]
            headers = {"Authorization": bearer(Role.TECHNICIAN, technician_id=technician)}
            body = {"query": REPORT, "variables": {"input": {"pings": batch(datetime.now(UTC), 1)}}}
            await client.post("/graphql", json=body, headers=headers)
            sent += 1
            await asyncio.sleep(max(0.0, started + sent / rate - time.monotonic()))
    await asyncio.sleep(2.0)
    stop.set()
    latencies: list[float] = []
    for _ in workers:
        latencies += await asyncio.to_thread(results.get, True, 60)
    for worker, _ in workers:
        worker.join(10)
    ordered = sorted(latencies)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    return {
        "subscribers": subscribers,
        "events": sent,
        "delivered": len(latencies),
        "expected": sent * subscribers,
        "p50_ms": pick(0.50),
        "p99_ms": pick(0.99),
        "mean_ms": statistics.fmean(ordered) if ordered else float("nan"),
    }


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (100 subscribers)")
    parser.add_argument("--redis", help="redis:// URL for the broker (default: in memory)")
    parser.add_argument("--ingest-only", action="store_true", help="no fan-out figures")
    args = parser.parse_args(argv)
    ingest_seconds, fan_seconds = (4.0, 4.0) if args.quick else (15.0, 10.0)
    audiences = [100] if args.quick else [100, 1000]

    database = bench_database()
    await fresh_database(database)
    _, technicians = await seed_tracked_technicians(database, 20)
    server = ServerProcess(database, args.redis)
    server.start()
    try:
        assert server.process is not None
        rate = await ingest(
            server.address, technicians[:8], ingest_seconds, server_pid=server.process.pid
        )
        print(
            f"ingest ({ingest_seconds:.0f} s after {WARM_UP_SECONDS:.0f} s of warm-up, 8 clients, "
            f"batches of 50): {rate['pings_per_s']:.0f} pings/s accepted "
            f"({rate['batches']} batches, {rate['ms_per_batch']:.1f} ms per batch per client); "
            f"server CPU {rate['server_cpu_ms_per_batch']:.2f} ms per batch = "
            f"{rate['pings_per_cpu_s']:.0f} pings per server CPU second"
        )
        if args.ingest_only:
            return
        for count in audiences:
            result = await fanout(server.address, technicians, count, 10.0, fan_seconds)
            print(
                f"fan-out {count} subscribers x 10 msg/s: p50 {result['p50_ms']:.1f} ms, "
                f"p99 {result['p99_ms']:.1f} ms, "
                f"delivered {result['delivered']}/{result['expected']}"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
