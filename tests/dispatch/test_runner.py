"""The solver's process pool: degenerate problems answer plans, a dead worker fails only the
run it was planning, and the next run gets a new pool."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.db import SessionFactory
from app.core.models import utcnow
from app.dispatch import runner, service
from app.dispatch.solver.problem import Problem, parse_problem
from app.technicians.models import WorkingHours
from schema.ids import decode_id
from tests.dispatch import test_service_factories as f
from tests.dispatch.problem_factories import task, technician
from tests.dispatch.test_service import DISPATCH_RUN, RUN_DISPATCH, gid, run_input
from tests.support import GraphQLClient
from tests.work_orders import factories


def _problem(technicians: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"travel": {"kind": "euclidean"}, "technicians": technicians, "tasks": tasks}


EMPTY_CASES = {
    "nothing": ({"tasks": []}, {}),
    "one task, no technician": (_problem([], [task("j1", 1, 1)]), {"j1": "NO_TECHNICIAN"}),
    "technicians, no task": (_problem([technician("t1")], []), {}),
    "zero-length shifts": (
        _problem(
            [technician("t1", shift=[0, 0]), technician("t2", shift=[60, 60])], [task("j1", 5, 5)]
        ),
        {"j1": "NO_TIME_WINDOW_FIT"},
    ),
    "shift over before the horizon": (
        _problem([technician("t1", shift=[-100, -50])], [task("j1", 0, 0, duration=0)]),
        {"j1": "NO_TIME_WINDOW_FIT"},
    ),
    "nobody skilled": (
        _problem([technician("t1")], [task("j1", 1, 1, skills={"solar": 1})]),
        {"j1": "NO_SKILLED_TECHNICIAN"},
    ),
}


@pytest.mark.parametrize("case", list(EMPTY_CASES))
def test_the_command_answers_degenerate_problems_with_a_plan(case: str, tmp_path: Path) -> None:
    problem, expected = EMPTY_CASES[case]
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(problem))
    done = subprocess.run(
        [sys.executable, "-m", "app.dispatch.cli", str(path), "--time-limit", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["routes"] == []
    assert {u["task"]: u["reason"] for u in plan["unassigned"]} == expected


async def _planned(gql: GraphQLClient, sessions: SessionFactory, variables: dict[str, Any]) -> Any:
    payload = await gql.as_role(Role.DISPATCHER).mutate(RUN_DISPATCH, variables)
    assert payload["userErrors"] == []
    run_id = payload["dispatchRun"]["id"]
    await service.execute_run(sessions, None, decode_id(run_id, "DispatchRun"), now=utcnow())
    data = await gql.as_role(Role.DISPATCHER)(DISPATCH_RUN, {"id": run_id})
    return data["dispatchRun"]


async def test_run_dispatch_on_a_territory_without_technicians_explains_every_task(
    gql: GraphQLClient, session: AsyncSession, sessions: SessionFactory
) -> None:
    d = await f.day(session, technicians=0)
    tasks = [await f.task(session, d), await f.task(session, d)]
    await session.commit()
    shown = await _planned(gql, sessions, run_input(d))
    assert shown["status"] == "SUCCEEDED"
    assert shown["routes"] == []
    assert sorted((u["taskId"], u["reason"]) for u in shown["unassigned"]) == sorted(
        (gid("Task", t.id), "NO_TECHNICIAN") for t in tasks
    )
    # and once a technician joins, the same pool plans the territory's work
    await factories.technician(session, skills=[(d.hvac, 3)], area=d.territory)
    await session.commit()
    shown = await _planned(gql, sessions, run_input(d))
    assert shown["status"] == "SUCCEEDED" and shown["unassigned"] == []
    assert len(shown["routes"][0]["stops"]) == 2


async def test_run_dispatch_on_a_night_horizon_explains_every_task(
    gql: GraphQLClient, session: AsyncSession, sessions: SessionFactory
) -> None:
    # given a technician who works 9:00-17:00 and a task whose window is at night
    d = await f.day(session, technicians=0)
    tech = await factories.technician(
        session, skills=[(d.hvac, 3)], area=d.territory, all_day=False
    )
    session.add_all(
        WorkingHours(technician_id=tech.id, weekday=day, starts_at=time(9), ends_at=time(17))
        for day in range(7)
    )
    night_task = await f.task(session, d, start=1, end=4)
    await session.commit()
    # when a dispatcher plans the night
    night = {"from": f.tomorrow_at(1).isoformat(), "to": f.tomorrow_at(5).isoformat()}
    shown = await _planned(gql, sessions, run_input(d, **night))
    # then the run succeeds with an empty plan and a reason for the task
    assert shown["status"] == "SUCCEEDED" and shown["routes"] == []
    assert shown["unassigned"] == [
        {
            "task": {"id": gid("Task", night_task.id)},
            "taskId": gid("Task", night_task.id),
            "reason": "NO_TECHNICIAN",
        }
    ]


def _small_problem() -> Problem:
    return parse_problem(_problem([technician("t1")], [task("j1", 3, 4), task("j2", 5, 1)]))


def _worker_pids() -> list[int]:
    workers = runner.pool()._processes  # the pool's worker processes, by pid
    return list(workers)


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


async def _until_a_worker_computes() -> None:
    """Until a worker's CPU time grows: the run is being solved, not still on its way (on a
    loaded machine a fixed wait could kill idle workers, which only replaces the pool)."""
    before: dict[int, int] = {}
    for _ in range(400):
        await asyncio.sleep(0.025)
        now = {pid: _cpu_ticks(pid) for pid in _worker_pids()}
        if any(pid in before and ticks > before[pid] for pid, ticks in now.items()):
            return
        before = now
    raise AssertionError("no solver worker started computing")


async def _until_broken(executor: Any) -> None:
    for _ in range(100):
        if executor._broken:
            return
        await asyncio.sleep(0.05)


async def test_a_worker_killed_while_idle_is_replaced_before_the_next_run() -> None:
    plan = await runner.solve_off_loop(_small_problem(), 0.5)  # starts the pool's workers
    assert plan.stats.assigned == 2
    broken = runner.pool()
    for pid in _worker_pids():
        os.kill(pid, signal.SIGKILL)
    await _until_broken(broken)
    plan = await runner.solve_off_loop(_small_problem(), 0.5)
    assert plan.stats.assigned == 2
    assert runner.pool() is not broken


async def test_a_worker_killed_during_a_run_fails_that_run_only() -> None:
    await runner.solve_off_loop(_small_problem(), 0.5)
    replaced = runner.replaced_pools
    planning = asyncio.ensure_future(runner.solve_off_loop(_small_problem(), 5.0))
    await _until_a_worker_computes()
    for pid in _worker_pids():
        os.kill(pid, signal.SIGKILL)
    with pytest.raises(runner.SolverCrashed, match="stopped unexpectedly"):
        await planning
    assert runner.replaced_pools == replaced + 1
    plan = await runner.solve_off_loop(_small_problem(), 0.5)
    assert plan.stats.assigned == 2


def _problem_of(tasks: int) -> Problem:
    work = [task(f"j{i}", i % 50, i // 50) for i in range(tasks)]
    return parse_problem(_problem([technician("t1")], work))


def test_a_large_territory_is_searched_by_parts_in_the_pools_worth_of_processes() -> None:
    # a territory searched whole takes one process; one planned by parts, DISPATCH_WORKERS
    assert runner.search_processes(_problem_of(2000)) == 1
    workers = runner.dispatch_settings().workers
    assert runner.search_processes(_problem_of(2001)) == workers


def test_a_large_run_keeps_part_of_its_limit_to_assemble_its_plan() -> None:
    # 0.3 s per 1,000 tasks, never more than a quarter of the limit
    assert runner.search_seconds(_problem_of(10), 10.0) == pytest.approx(9.997)
    assert runner.search_seconds(_problem_of(10_000), 60.0) == pytest.approx(57.0)
    assert runner.search_seconds(_problem_of(10_000), 4.0) == pytest.approx(3.0)
