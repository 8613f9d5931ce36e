"""Job engine figures: how fast queued work starts and how much two workers get through.

    python -m bench.jobs [--jobs N] [--workers W] [--concurrency C]

Migrates its own database (DATABASE_URL's name with `_bench_jobs` added), starts W workers of
the engine in this process (each with its own connections and LISTEN, as separate processes
would have), then prints: the latency from commit to start of a lone job on idle workers
(20 in turn, the wait a `runDispatch` sees), and for a burst of N small jobs queued in
transactions of 10 (as `runDispatch` queues its run) the latency from commit to start
(p50/p95/p99), the throughput, and how many jobs ran more than once (0 expected).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections import Counter

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.core.config import Settings
from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker
from app.core.jobs import Task, enqueue
from app.core.logging import configure_logging
from app.core.worker import Worker, WorkerSettings
from bench.realtime import DEFAULT_DATABASE_URL, database_beside, fresh_database

DATABASE = database_beside(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL, "bench_jobs")
LONE = 20


def percentiles(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=100)
    return f"p50 {cuts[49]:.1f} ms   p95 {cuts[94]:.1f} ms   p99 {cuts[98]:.1f} ms"


async def main(jobs: int, workers: int, concurrency: int) -> None:
    settings = Settings(database_url=DATABASE, log_level="WARNING")
    configure_logging(settings)
    await fresh_database(DATABASE)
    engine = create_async_engine(DATABASE, pool_size=4)
    sessions: SessionFactory = async_sessionmaker(engine, expire_on_commit=False)
    broker = Broker(None)
    await broker.connect()
    committed: dict[int, float] = {}
    started: dict[int, float] = {}
    runs: Counter[int] = Counter()
    done = asyncio.Event()

    async def work(sessions: SessionFactory, broker: Broker, *, retried: bool, item: int) -> None:
        started.setdefault(item, time.perf_counter())
        runs[item] += 1
        if item < 0 or len(started) == jobs + LONE:
            done.set()

    async def queue(items: range) -> None:
        async with unit_of_work(sessions, None) as session:
            for item in items:
                await enqueue(session, "bench.work", "bench", item=item)
        committed.update(dict.fromkeys(items, time.perf_counter()))

    task = Task("bench.work", "bench", work)
    config = WorkerSettings(concurrency=concurrency)
    pool = [
        Worker(settings, sessions, broker, queues=["bench"], config=config, jobs=[], tasks=[task])
        for _ in range(workers)
    ]
    for worker in pool:
        await worker.start()
    try:
        for lone in range(-LONE, 0):
            done.clear()
            await queue(range(lone, lone + 1))
            await asyncio.wait_for(done.wait(), timeout=30)
            await asyncio.sleep(0.05)
        done.clear()
        began = time.perf_counter()
        for first in range(0, jobs, 10):
            await queue(range(first, min(first + 10, jobs)))
        await asyncio.wait_for(done.wait(), timeout=300)
        elapsed = time.perf_counter() - began
    finally:
        for worker in pool:
            await worker.stop()
        await broker.disconnect()
        await engine.dispose()

    def latencies(items: range) -> list[float]:
        return [(started[i] - committed[i]) * 1000 for i in items]

    print(f"job engine: {workers} workers x {concurrency} concurrent")
    print(
        f"  lone job, commit -> start ({LONE} in turn): {percentiles(latencies(range(-LONE, 0)))}"
    )
    print(f"  burst of {jobs}, commit -> start:        {percentiles(latencies(range(jobs)))}")
    print(f"  throughput        {jobs / elapsed:.0f} jobs/s ({elapsed:.2f} s in all)")
    print(f"  ran more than once: {sum(1 for n in runs.values() if n > 1)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(main(args.jobs, args.workers, args.concurrency))
