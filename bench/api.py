"""API latency on the demo city: typical dispatcher and customer queries through real HTTP.

    python -m bench.api [--quick] [--requests N] [--concurrency C]

Seeds its own database (BENCH_DATABASE_URL, or DATABASE_URL's name with `_bench` added; scale 1)
when it is empty, serves the app with uvicorn on a free
loopback port, and prints p50/p95/p99 latency and throughput per query. It then serves the API
from a uvicorn subprocess beside a plain Starlette + asyncpg endpoint answering the technicians
page with the same JSON from the same rows (bench/plain_api.py), and prints the server CPU per
request of each, read from the server processes (not wall time: the machine is shared), and
their ratio (`--cpu-only`: just that). It also measures the
CPU cost of parsing and validating a document with strawberry's caches on and off, and what the
query cost limit adds per request (`--cost-only`: just that, no database needed), and how
fast the nested-list query that once stalled the server is refused.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from app.core import bootstrap
from app.core.auth import Principal, Role, issue_token
from app.core.config import Settings
from app.demo.command import seed_command
from app.main import build_schema, create_app
from bench.realtime import (
    DEFAULT_DATABASE_URL,
    ServerProcess,
    bearer,
    cpu_seconds,
    database_beside,
)
from tests.support import serving

DATABASE = os.environ.get("BENCH_DATABASE_URL") or database_beside(
    os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL, "bench"
)

QUERIES = {
    "customers page (20, with sites and assets)": """
      { customers(first: 20) { totalCount edges { node { id name type
          sites { name location { lat lng } assets { serialNumber productModel { name } } } } } } }
    """,
    "technicians page (20, skills, territories)": """
      { technicians(first: 20) { totalCount edges { node { id name
          skills { skill { code } level } territories { name } partner { name } } } } }
    """,
    "techniciansNear (10 km, 10 nearest)": """
      { techniciansNear(point: {lat: 12.9716, lng: 77.5946}, radiusMeters: 10000, first: 10) {
          distanceMeters technician { id name } } }
    """,
    "territoryAt + territories": """
      { territoryAt(point: {lat: 12.9716, lng: 77.5946}) { name } territories { code timeZone } }
    """,
}


@dataclass
class Figures:
    latencies_ms: list[float]
    seconds: float

    def line(self, name: str) -> str:
        ordered = sorted(self.latencies_ms)

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

        rate = len(ordered) / self.seconds
        return (
            f"{name:45s} n={len(ordered):5d}  p50={pct(0.50):6.1f} ms  p95={pct(0.95):6.1f} ms"
            f"  p99={pct(0.99):6.1f} ms  {rate:7.1f} req/s"
        )


async def run_query(
    client: httpx.AsyncClient, query: str, requests: int, concurrency: int
) -> Figures:
    latencies: list[float] = []
    remaining = iter(range(requests))

    async def worker() -> None:
        for _ in remaining:
            started = time.perf_counter()
            response = await client.post("/graphql", json={"query": query})
            body = response.json()
            if "errors" in body:
                raise RuntimeError(body["errors"])
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Figures(latencies, time.perf_counter() - started)


TECHNICIANS_PAGE = "{ technicians(first: 20) { edges { node { id name } } } }"
"""The query compared with the plain endpoint: a dispatcher's first page, ids and names."""


class PlainServer(ServerProcess):
    """bench/plain_api.py in a subprocess: the yardstick for the API's per-request cost."""

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.plain_api", self.database_url, str(self.port)]
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://{self.address}/healthz", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the plain server did not start")


async def server_cpu_per_request(
    server: ServerProcess, query: str, requests: int, concurrency: int, headers: dict[str, str]
) -> tuple[float, str]:
    """Server CPU (user + system) per request in microseconds over `requests` requests,
    `concurrency` at once, after a warm-up; and the body of the last answer."""
    assert server.process is not None
    body = ""
    async with httpx.AsyncClient(base_url=f"http://{server.address}", headers=headers) as client:
        remaining = iter(range(requests))

        async def worker() -> None:
            nonlocal body
            for _ in remaining:
                response = await client.post("/graphql", json={"query": query})
                body = response.text
                if response.status_code != 200 or '"errors"' in body:
                    raise RuntimeError(body[:500])

        remaining = iter(range(100))  # warm-up: pools, caches, first-use imports
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        remaining = iter(range(requests))
        before = cpu_seconds(server.process.pid)
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        after = cpu_seconds(server.process.pid)
    if before is None or after is None:
        return float("nan"), body
    return (after - before) / requests * 1e6, body


async def cpu_comparison(database: str, requests: int, concurrency: int, rounds: int) -> None:
    """The API and the plain endpoint, served side by side, each answering the technicians page
    `requests` times per round; rounds alternate between them so both see the same load."""
    api, plain = ServerProcess(database), PlainServer(database)
    api.start()
    try:
        plain.start()
        try:
            api_headers = {"Authorization": bearer(Role.DISPATCHER)}
            api_us: list[float] = []
            plain_us: list[float] = []
            for _ in range(rounds):
                cost, api_body = await server_cpu_per_request(
                    api, TECHNICIANS_PAGE, requests, concurrency, api_headers
                )
                api_us.append(cost)
                cost, plain_body = await server_cpu_per_request(
                    plain, TECHNICIANS_PAGE, requests, concurrency, {}
                )
                plain_us.append(cost)
        finally:
            plain.stop()
    finally:
        api.stop()
    import json

    if json.loads(api_body) != json.loads(plain_body):
        raise RuntimeError(f"the answers differ:\n{api_body[:300]}\n{plain_body[:300]}")
    api_best, plain_best = min(api_us), min(plain_us)
    print(
        f"\nserver CPU per request, {TECHNICIANS_PAGE!r} (dispatcher), {requests} requests x "
        f"{rounds} rounds, concurrency {concurrency}:"
    )
    for name, best, rounds_us in (
        ("API", api_best, api_us),
        ("plain endpoint", plain_best, plain_us),
    ):
        spread = ", ".join(f"{u:.0f}" for u in rounds_us)
        print(f"  {name:14s} {best:7.0f} µs  (rounds: {spread})")
    print(f"  ratio          {api_best / plain_best:7.1f}x (best rounds)")


def cache_effect(settings: Settings, repeats: int) -> None:
    """CPU per parse+validate of one document: strawberry's caches on vs. a cold parse."""
    from graphql import parse, validate

    schema = build_schema(settings)._schema
    document = QUERIES["customers page (20, with sites and assets)"]
    started = time.perf_counter()
    for _ in range(repeats):
        validate(schema, parse(document))
    cold = (time.perf_counter() - started) / repeats * 1e6
    print(f"parse + validate without caches: {cold:7.0f} µs per request (cached: a dict lookup)")


def cost_effect(settings: Settings, repeats: int) -> None:
    """What the cost limit adds per request: the estimate from its cache (every repeated
    document) and computed afresh (a document's first request), beside a cold parse+validate,
    for each query above; and the estimate of each, against the dispatcher's budget."""
    from graphql import parse, validate

    from schema.cost import CostEstimator

    schema = build_schema(settings)._schema
    estimator = CostEstimator(schema, settings)
    print(f"\nquery cost (dispatcher budget {settings.cost_limit_dispatcher})")
    for name, query in QUERIES.items():
        document = parse(query)

        def per_call(work: Callable[[], object]) -> float:
            started = time.perf_counter()
            for _ in range(repeats):
                work()
            return (time.perf_counter() - started) / repeats * 1e6

        validate_us = per_call(lambda: validate(schema, document))  # noqa: B023
        role = Role.DISPATCHER
        fresh_us = per_call(lambda: estimator.cost(document, role=role))  # noqa: B023
        cached = lambda: estimator.estimate(query, document, None, {}, role)  # noqa: B023, E731
        cached_us = per_call(cached)
        cost = estimator.cost(document, role=role)
        print(
            f"{name:45s} cost={cost:6d}  validate={validate_us:6.0f} µs"
            f"  estimate fresh={fresh_us:5.0f} µs  cached={cached_us:5.2f} µs"
        )


NESTED_LISTS = """
{ technicians(first: 100) { edges { node { territories { technicians { territories {
    technicians { territories { technicians { id } } } } } } } } } }
"""


async def refusal_effect(settings: Settings, attempts: int) -> None:
    """The nested-list query that once ran for minutes, sent `attempts` times, 4 at once, while
    /healthz is polled: how fast it is refused and how long health checks wait meanwhile."""
    token = issue_token(settings, Principal(subject="bench", role=Role.ADMIN))
    logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL)  # refusals expected
    async with serving(create_app(settings)) as address:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=f"http://{address}", headers=headers) as client:
            refusals: list[float] = []
            health: list[float] = []
            remaining = iter(range(attempts))

            async def attack() -> None:
                for _ in remaining:
                    started = time.perf_counter()
                    response = await client.post("/graphql", json={"query": NESTED_LISTS})
                    code = response.json()["errors"][0]["extensions"]["code"]
                    assert code == "QUERY_TOO_COSTLY", code
                    refusals.append((time.perf_counter() - started) * 1000)

            async def poll() -> None:
                while len(refusals) < attempts:
                    started = time.perf_counter()
                    await client.get("/healthz")
                    health.append((time.perf_counter() - started) * 1000)

            await asyncio.gather(poll(), *(attack() for _ in range(4)))
    refusals.sort()
    print(
        f"\nnested-list query refused: n={attempts}  p50={refusals[len(refusals) // 2]:.1f} ms"
        f"  max={refusals[-1]:.1f} ms;  /healthz meanwhile: n={len(health)}"
        f"  max={max(health):.1f} ms"
    )


async def encoding_effect(technicians: int) -> None:
    """The longest event-loop stall while a large result is encoded: the C encoder on the loop
    (what the view did) vs. the capped incremental encoder in a worker thread (what it does for
    costly results)."""
    import json

    from schema.cost import encode_capped

    nodes = [
        {"node": {"id": f"VGVjaG5pY2lhbjo{i}", "name": f"Technician {i}", "territories": [
            {"code": "BLR", "name": "Bengaluru"}] * 3}}
        for i in range(technicians)
    ]  # fmt: skip
    data = {"data": {"technicians": {"edges": nodes}}}

    async def longest_stall(work: Callable[[], Any]) -> tuple[float, float]:
        stalls: list[float] = []
        done = False

        async def tick() -> None:
            while not done:
                started = time.perf_counter()
                await asyncio.sleep(0.001)
                stalls.append((time.perf_counter() - started) * 1000)

        ticker = asyncio.create_task(tick())
        await asyncio.sleep(0.01)
        started = time.perf_counter()
        await work()
        took = (time.perf_counter() - started) * 1000
        done = True
        await ticker
        return took, max(stalls)

    async def on_loop() -> None:
        json.dumps(data, separators=(",", ":"))

    async def in_thread() -> None:
        await asyncio.to_thread(encode_capped, data, 1 << 40)

    size = len(json.dumps(data, separators=(",", ":"))) / 1e6
    for name, work in (("C encoder on the loop", on_loop), ("capped, in a thread", in_thread)):
        took, stall = await longest_stall(work)
        print(f"encode {size:5.1f} MB {name:22s} took {took:7.0f} ms  loop stalled {stall:6.0f} ms")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer requests")
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--cost-only", action="store_true", help="only the query cost figures")
    parser.add_argument(
        "--cpu-only", action="store_true", help="only server CPU per request beside plain"
    )
    args = parser.parse_args()
    requests = args.requests or (200 if args.quick else 1000)

    # One token on one address sends every request: the rate limits are not what is measured.
    settings = Settings(
        database_url=DATABASE, log_level="WARNING", rate_limit_per_token=0, rate_limit_per_address=0
    )
    if args.cost_only:
        cost_effect(settings, 50 if args.quick else 500)
        await refusal_effect(settings, 50 if args.quick else 200)
        await encoding_effect(10_000 if args.quick else 60_000)
        return
    await bootstrap.prepare_database(DATABASE)
    await asyncio.to_thread(bootstrap.upgrade, DATABASE)
    await asyncio.to_thread(seed_command, settings, 1, True)

    cpu_requests = 1000 if args.quick else 3000
    await cpu_comparison(DATABASE, cpu_requests, args.concurrency, 3)
    if args.cpu_only:
        return

    token = issue_token(settings, Principal(subject="bench", role=Role.DISPATCHER))
    async with serving(create_app(settings)) as address:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=f"http://{address}", headers=headers) as client:
            print(f"\nAPI latency, {requests} requests per query, concurrency {args.concurrency}")
            for name, query in QUERIES.items():
                await run_query(client, query, 10, 2)  # warm-up: pools, caches
                figures = await run_query(client, query, requests, args.concurrency)
                print(figures.line(name))
    cache_effect(settings, 50 if args.quick else 200)
    cost_effect(settings, 50 if args.quick else 500)
    await refusal_effect(settings, 50 if args.quick else 200)
    await encoding_effect(10_000 if args.quick else 60_000)


if __name__ == "__main__":
    asyncio.run(main())
