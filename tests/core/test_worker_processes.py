"""The API and two `fieldgraph worker` processes on one committed database.

Dispatch runs asked for through the API are solved once each by the workers; periodic jobs
fire once per period across both; a worker killed with SIGKILL while solving has its run taken
over by the other one, which finishes it. Heartbeats are shortened so that a dead worker is
noticed within seconds. Uses its own database: the suite's rolled-back transaction is
invisible to other processes. Everything listens on 127.0.0.1 and is bounded in time.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from app.core.auth import Role
from app.core.config import Settings
from bench.realtime import JWT_SECRET, ServerProcess, bearer, database_beside, fresh_database
from schema.ids import decode_id, encode_id
from tests.dispatch import test_service_factories as f

RUN_DISPATCH = """
mutation Run($input: RunDispatchInput!) {
  runDispatch(input: $input) { dispatchRun { id status } userErrors { code message } }
}
"""
DISPATCH_RUN = "query Run($id: ID!) { dispatchRun(id: $id) { status progress error } }"

FAST_FAILOVER = {
    "WORKER_HEARTBEAT_SECONDS": "0.5",
    "WORKER_STALLED_SECONDS": "2",
    "WORKER_STALLED_CHECK_SECONDS": "1",
    "WORKER_CONCURRENCY": "1",
    "WORKER_SHUTDOWN_SECONDS": "5",
    "DISPATCH_WORKERS": "1",
}


class WorkerProcess:
    """`fieldgraph worker` in a subprocess, its log kept in a file to see which jobs it ran."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.database_url = database_url
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            **FAST_FAILOVER,
            "ENV": "test",
            "DATABASE_URL": self.database_url,
            "JWT_SECRET": JWT_SECRET,
            "LOG_LEVEL": "INFO",
            "LOG_JSON": "false",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("REDIS_URL", None)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "worker"], env=env, stdout=out, stderr=out
            )

    def ran(self, task: str, **arguments: int) -> bool:
        text = self.log.read_text(errors="replace")
        wanted = [f"task={task}", *(f"{k}={v}" for k, v in arguments.items())]
        return any(
            "job started" in line and all(re.search(rf"\b{re.escape(w)}\b", line) for w in wanted)
            for line in text.splitlines()
        )

    def stop(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            return None

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def database(settings: Settings) -> str:
    url = database_beside(settings.database_url, "workers")
    asyncio.run(fresh_database(url))
    return url


@pytest.fixture
async def engine(database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
def processes(database: str, tmp_path: Path) -> Iterator[tuple[ServerProcess, list[WorkerProcess]]]:
    api = ServerProcess(database, jobs=False)
    workers = [WorkerProcess(database, tmp_path / f"worker-{i}.log") for i in range(2)]
    try:
        yield api, workers
    finally:
        for worker in workers:
            worker.stop()
        api.stop()


async def seed(engine: AsyncEngine, *task_counts: int) -> list[int]:
    """A territory per count, each with two technicians and that many tasks; committed."""
    ids = []
    async with AsyncSession(engine, expire_on_commit=False) as session:
        for tasks in task_counts:
            day = await f.day(session)
            for i in range(tasks):
                task = await f.task(session, day, start=8 + i % 4, end=18)
                # the factories' territories overlap: each task goes to its own day's one
                task.territory_id = day.territory.id
            assert day.territory.id is not None
            ids.append(day.territory.id)
        await session.commit()
    return ids


async def ask_run(http: httpx.AsyncClient, territory_id: int, seconds: float) -> int:
    variables = {
        "input": {
            "territoryId": encode_id("Territory", territory_id),
            "from": f.tomorrow_at(0).isoformat(),
            "to": f.tomorrow_at(24).isoformat(),
            "timeLimitSeconds": seconds,
        }
    }
    body = (
        await http.post("/graphql", json={"query": RUN_DISPATCH, "variables": variables})
    ).json()
    payload = body["data"]["runDispatch"]
    assert payload["userErrors"] == [] and payload["dispatchRun"]["status"] == "QUEUED"
    return decode_id(payload["dispatchRun"]["id"], "DispatchRun")


async def run_state(http: httpx.AsyncClient, run_id: int) -> dict[str, Any]:
    variables = {"id": encode_id("DispatchRun", run_id)}
    body = (
        await http.post("/graphql", json={"query": DISPATCH_RUN, "variables": variables})
    ).json()
    state: dict[str, Any] = body["data"]["dispatchRun"]
    return state


async def wait_for(condition: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def job_history(engine: AsyncEngine, lock: str) -> list[tuple[str, int, int]]:
    """(status, attempts, times started) of each job queued under `lock`."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.text(
                "SELECT j.status::text, j.attempts, count(e.id) FROM procrastinate_jobs j"
                " LEFT JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'started'"
                " WHERE j.queueing_lock = :lock GROUP BY j.id ORDER BY j.id"
            ),
            {"lock": lock},
        )
        return [(r[0], r[1], r[2]) for r in rows]


async def live_workers(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(sa.text("SELECT count(*) FROM procrastinate_workers")) or 0)


async def test_runs_solve_once_periodic_jobs_fire_once_and_a_killed_worker_is_replaced(
    engine: AsyncEngine, processes: tuple[ServerProcess, list[WorkerProcess]]
) -> None:
    api, (first, second) = processes
    # three territories whose solving takes a couple of seconds, and a larger one (the solver
    # stops early on small problems: after about 1 + tasks²/1000 s)
    *territories, large = await seed(engine, 35, 35, 35, 90)
    await asyncio.to_thread(api.start)
    first.start()
    second.start()
    await wait_for(lambda: _is(live_workers(engine), 2), 60, "two workers")
    headers = {"Authorization": bearer(Role.DISPATCHER)}
    async with httpx.AsyncClient(base_url=f"http://{api.address}", headers=headers) as http:
        # when a run is asked for in each territory
        runs = [await ask_run(http, t, seconds=5) for t in territories]

        async def all_succeeded() -> bool:
            states = [await run_state(http, r) for r in runs]
            assert all(s["status"] != "FAILED" for s in states), states
            return all(s["status"] == "SUCCEEDED" for s in states)

        await wait_for(all_succeeded, 90, "the three runs")
        # then each run was solved by exactly one job, started once
        for run_id in runs:
            assert await job_history(engine, f"dispatch-run:{run_id}") == [("succeeded", 1, 1)]
        solvers = [[w.ran("dispatch.execute_run", run_id=r) for w in (first, second)] for r in runs]
        assert all(sum(by) == 1 for by in solvers), solvers
        # by both workers side by side (each takes one job at a time here)
        assert all(any(by[i] for by in solvers) for i in (0, 1)), solvers
        # and, over a few idle seconds, each period of a periodic job (every second here)
        # fired once across both workers
        since = time.time()
        await asyncio.sleep(5)
        async with engine.connect() as conn:
            periods = (
                await conn.execute(
                    sa.text(
                        "SELECT (j.args->>'timestamp')::bigint, count(DISTINCT j.id),"
                        " count(e.id) FROM procrastinate_jobs j"
                        " JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'started'"
                        " WHERE j.task_name = 'engine.retry_stalled'"
                        " AND (j.args->>'timestamp')::bigint BETWEEN :since AND :until"
                        " GROUP BY 1 ORDER BY 1"
                    ),
                    {"since": int(since) + 1, "until": int(since) + 4},
                )
            ).all()
        assert [(at, jobs, started) for at, jobs, started in periods] == [
            (at, 1, 1) for at in range(int(since) + 1, int(since) + 5)
        ]

        # when a long run is being solved and its worker is killed outright
        long_run = await ask_run(http, large, seconds=12)

        async def solving() -> bool:
            state = await run_state(http, long_run)
            return bool(state["status"] == "RUNNING" and state["progress"] > 0.05)

        await wait_for(solving, 60, "the long run to be solved")
        owner = first if first.ran("dispatch.execute_run", run_id=long_run) else second
        other = second if owner is first else first
        owner.kill()

        # then the other worker takes the run over and finishes it
        async def done() -> bool:
            state = await run_state(http, long_run)
            assert state["status"] != "FAILED", state
            return bool(state["status"] == "SUCCEEDED")

        await wait_for(done, 90, "the run to be taken over")
        assert other.ran("dispatch.execute_run", run_id=long_run)
        history = await job_history(engine, f"dispatch-run:{long_run}")
        assert history == [("succeeded", 2, 2)]  # one job, started twice: once per worker
        assert (await run_state(http, long_run))["progress"] == 1.0

    # and the surviving worker stops cleanly on SIGTERM; no worker is left registered (the
    # dead one was pruned once its jobs were taken over)
    assert other.stop() == 0
    await wait_for(lambda: _is(live_workers(engine), 0), 10, "deregistration")


async def _is(value: Any, expected: int) -> bool:
    return bool(await value == expected)


async def test_one_process_serves_the_api_and_runs_the_jobs_then_stops_cleanly(
    engine: AsyncEngine, database: str
) -> None:
    # given one server with its embedded worker (RUN_JOBS, as `make run` starts it)
    (territory,) = await seed(engine, 8)
    server = ServerProcess(database, jobs=True)
    await asyncio.to_thread(server.start)
    try:
        headers = {"Authorization": bearer(Role.DISPATCHER)}
        async with httpx.AsyncClient(base_url=f"http://{server.address}", headers=headers) as http:
            # when a run is asked for
            run_id = await ask_run(http, territory, seconds=1)

            async def succeeded() -> bool:
                return bool((await run_state(http, run_id))["status"] == "SUCCEEDED")

            # then the same process solves it
            await wait_for(succeeded, 60, "the run")
        assert await job_history(engine, f"dispatch-run:{run_id}") == [("succeeded", 1, 1)]
        assert await live_workers(engine) == 1
        # and on SIGTERM the server stops its worker, which leaves the database, and exits
        # (uvicorn re-raises the signal once shut down: its status is -SIGTERM either way)
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(server.process.wait, 30) in (0, -signal.SIGTERM)
        assert await live_workers(engine) == 0
    finally:
        server.stop()
