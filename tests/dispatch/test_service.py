"""Dispatch runs: queued by the mutation, solved in a worker process, recorded, published."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.db import SessionFactory
from app.core.models import utcnow
from app.dispatch import service
from app.dispatch.models import DispatchRun, DispatchRunCreate, RunStatus
from app.work_orders import offers
from app.work_orders.models import TaskStatus
from tests.dispatch import test_service_factories as f
from tests.support import GraphQLClient, StatementCounter, error_codes
from tests.work_orders.factories import SITE_LAT, SITE_LNG

RUN_DISPATCH = """
mutation Run($input: RunDispatchInput!) {
  runDispatch(input: $input) {
    dispatchRun { id status kind publish from to timeLimitSeconds }
    userErrors { field message code }
  }
}
"""

DISPATCH_RUN = """
query Run($id: ID!) {
  dispatchRun(id: $id) {
    id status progress
    territory { id }
    stats { taskCount assignedCount unassignedCount technicianCount publishedCount solveSeconds }
    routes { technician { id } stops { task { id status } taskId start end pinned } }
    unassigned { task { id } taskId reason }
  }
}
"""

DISPATCH_RUNS = """
query Runs($territoryId: ID, $first: Int) {
  dispatchRuns(territoryId: $territoryId, first: $first) {
    totalCount
    edges { node { id status territory { id } routes { technician { id } } } }
  }
}
"""


def gid(type_name: str, db_id: int | None) -> str:
    from schema.ids import encode_id

    assert db_id is not None
    return encode_id(type_name, db_id)


def run_input(d: f.Day, **extra: Any) -> dict[str, Any]:
    return {
        "territoryId": gid("Territory", d.territory.id),
        "from": f.tomorrow_at(0).isoformat(),
        "to": f.tomorrow_at(24).isoformat(),
        "timeLimitSeconds": 1,
    } | extra


async def _queued(
    session: AsyncSession, d: f.Day, publish: bool = False, from_current_plan: bool = False
) -> DispatchRun:
    assert d.territory.id is not None
    data = DispatchRunCreate(
        territory_id=d.territory.id,
        horizon_start=f.tomorrow_at(0),
        horizon_end=f.tomorrow_at(24),
        time_limit_seconds=1,
        publish=publish,
        from_current_plan=from_current_plan,
    )
    run = await service.request_run(session, f.DISPATCHER, data)
    await session.commit()
    return run


async def test_run_dispatch_queues_a_run_and_returns_at_once(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a territory with work
    d = await f.day(session)
    await f.task(session, d)
    await session.commit()
    # when a dispatcher asks for a plan
    payload = await gql.as_role(Role.DISPATCHER).mutate(RUN_DISPATCH, run_input(d, publish=True))
    # then the run is queued (jobs are off in tests: nothing has planned it yet)
    assert payload["userErrors"] == []
    run = payload["dispatchRun"]
    assert (run["status"], run["kind"], run["publish"]) == ("QUEUED", "PLAN", True)
    assert run["timeLimitSeconds"] == 1


@pytest.mark.parametrize(
    ("extra", "code", "field"),
    [
        ({"territoryId": "VGVycml0b3J5Ojk5OTk5OQ=="}, "NOT_FOUND", ["territoryId"]),
        ({"timeLimitSeconds": 0}, "INVALID", ["timeLimitSeconds"]),
        ({"timeLimitSeconds": 601}, "INVALID", ["timeLimitSeconds"]),
    ],
)
async def test_bad_run_input_is_refused_on_its_field(
    gql: GraphQLClient,
    session: AsyncSession,
    extra: dict[str, Any],
    code: str,
    field: list[str],
) -> None:
    d = await f.day(session)
    await session.commit()
    payload = await gql.as_role(Role.ADMIN).mutate(RUN_DISPATCH, run_input(d) | extra)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    assert payload["dispatchRun"] is None


async def test_a_horizon_that_ends_before_it_starts_is_invalid(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    d = await f.day(session)
    await session.commit()
    payload = await gql.as_role(Role.ADMIN).mutate(
        RUN_DISPATCH,
        run_input(d, **{"from": f.tomorrow_at(10).isoformat(), "to": f.tomorrow_at(9).isoformat()}),
    )
    assert error_codes(payload) == ["INVALID"]


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (None, False),
        (Role.CUSTOMER, False),
        (Role.TECHNICIAN, False),
        (Role.PARTNER, False),
        (Role.AGENT, False),
        (Role.DISPATCHER, True),
        (Role.ADMIN, True),
    ],
)
async def test_who_may_run_dispatch(
    gql: GraphQLClient, session: AsyncSession, role: Role | None, allowed: bool
) -> None:
    d = await f.day(session)
    await session.commit()
    payload = await gql.as_role(role, customer_id=d.customer.id).mutate(RUN_DISPATCH, run_input(d))
    if allowed:
        assert payload["userErrors"] == [] and payload["dispatchRun"]["status"] == "QUEUED"
    else:
        expected = "UNAUTHENTICATED" if role is None else "FORBIDDEN"
        assert error_codes(payload) == [expected]


async def test_a_run_plans_in_a_worker_process_with_reasons_for_what_is_left(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    # given two hvac technicians, two hvac tasks and one plumbing task nobody can do
    d = await f.day(session)
    hvac = [await f.task(session, d, start=9, end=12), await f.task(session, d, start=13, end=16)]
    plumbing = await f.task(session, d, skill=d.plumbing)
    run = await _queued(session, d)
    # when the run executes (the solver runs in the module's process pool)
    done = await service.execute_run(sessions, None, run.id or 0, now=utcnow())
    # then every hvac task has a stop inside its window and the plumbing one a reason
    assert done is not None and done.status is RunStatus.SUCCEEDED, done and done.error
    stops = {s["task_id"]: s for r in done.routes for s in r["stops"]}
    assert set(stops) == {t.id for t in hvac}
    for t in hvac:
        assert t.window_start <= _at(stops[t.id]["start"]) <= t.window_end
    assert done.unassigned == [{"task_id": plumbing.id, "reason": "NO_SKILLED_TECHNICIAN"}]
    assert (done.task_count, done.assigned_count, done.unassigned_count) == (3, 2, 1)
    assert done.technician_count == 2 and done.progress == 1.0
    # and a second executor cannot take the same run again
    assert await service.execute_run(sessions, None, run.id or 0) is None


def _at(value: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value)


async def test_accepted_work_stays_pinned_to_its_technician(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    # given a task the first technician accepted for 10:00 and a new one
    d = await f.day(session)
    kept = await f.task(session, d)
    first = d.technicians[0]
    await offers.assign_task(session, f.DISPATCHER, kept.id or 0, first.id or 0, f.tomorrow_at(10))
    tech = f.Principal(subject="t", role=Role.TECHNICIAN, technician_id=first.id)
    await offers.accept_task(session, tech, kept.id or 0)
    other = await f.task(session, d)
    run = await _queued(session, d)
    # when planned
    done = await service.execute_run(sessions, None, run.id or 0, now=utcnow())
    # then the accepted task is a pinned stop of its technician, near its time
    assert done is not None and done.status is RunStatus.SUCCEEDED
    route = next(r for r in done.routes if any(s["task_id"] == kept.id for s in r["stops"]))
    stop = next(s for s in route["stops"] if s["task_id"] == kept.id)
    assert route["technician_id"] == first.id and stop["pinned"] is True
    assert f.tomorrow_at(10) <= _at(stop["start"]) <= f.tomorrow_at(10.5)
    assert done.pinned_count == 1 and done.assigned_count == 1
    assert other.id in {s["task_id"] for r in done.routes for s in r["stops"]}


async def test_a_run_from_the_current_plan_keeps_offered_work_near_its_time(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    # given two visits offered for 10:00 whose windows open at 9:00, at a site so near the
    # technicians' base that one doing both would save far less than moving one costs
    d = await f.day(session)
    near = await f.site_at(session, d, SITE_LAT + 0.04, SITE_LNG)
    tasks = [await f.task(session, d, site=near) for _ in range(2)]
    for t, tech in zip(tasks, d.technicians, strict=True):
        await offers.assign_task(session, f.DISPATCHER, t.id or 0, tech.id or 0, f.tomorrow_at(10))
    fresh = await _queued(session, d)
    kept = await _queued(session, d, from_current_plan=True)
    # when both runs plan the day
    fresh_done = await service.execute_run(sessions, None, fresh.id or 0, now=utcnow())
    kept_done = await service.execute_run(sessions, None, kept.id or 0, now=utcnow())
    # then a fresh plan moves work in time as it likes; the other keeps each where it was
    assert fresh_done is not None and kept_done is not None
    assert fresh_done.moved_count >= 1
    assert kept_done.moved_count == 0
    expected = {t.id: tech.id for t, tech in zip(tasks, d.technicians, strict=True)}
    assert {s["task_id"]: r["technician_id"] for r in kept_done.routes for s in r["stops"]} == (
        expected
    )


async def test_publishing_offers_each_planned_task_to_its_technician(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    d = await f.day(session)
    tasks = [await f.task(session, d, start=9 + i, end=11 + i) for i in range(3)]
    run = await _queued(session, d, publish=True)
    done = await service.execute_run(sessions, None, run.id or 0, now=utcnow())
    assert done is not None and done.published_count == 3
    planned = {s["task_id"]: r["technician_id"] for r in done.routes for s in r["stops"]}
    for t in tasks:
        await session.refresh(t)
        assert t.status is TaskStatus.DISPATCHED
        assert t.technician_id == planned[t.id]


async def test_dispatch_run_shows_stats_routes_and_unassigned_with_reasons(
    gql: GraphQLClient, session: AsyncSession, sessions: SessionFactory
) -> None:
    d = await f.day(session)
    done_task = await f.task(session, d)
    left = await f.task(session, d, skill=d.plumbing)
    run = await _queued(session, d)
    await service.execute_run(sessions, None, run.id or 0, now=utcnow())
    data = await gql.as_role(Role.DISPATCHER)(DISPATCH_RUN, {"id": gid("DispatchRun", run.id)})
    shown = data["dispatchRun"]
    assert shown["status"] == "SUCCEEDED" and shown["progress"] == 1.0
    assert shown["territory"]["id"] == gid("Territory", d.territory.id)
    assert shown["stats"]["taskCount"] == 2 and shown["stats"]["assignedCount"] == 1
    stops = [s for r in shown["routes"] for s in r["stops"]]
    assert [(s["taskId"], s["task"]["id"]) for s in stops] == [(gid("Task", done_task.id),) * 2]
    assert shown["unassigned"] == [
        {
            "task": {"id": gid("Task", left.id)},
            "taskId": gid("Task", left.id),
            "reason": "NO_SKILLED_TECHNICIAN",
        }
    ]


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        (Role.CUSTOMER, False),
        (Role.TECHNICIAN, False),
        (Role.PARTNER, False),
        (Role.MANAGER, True),
        (Role.DISPATCHER, True),
        (Role.ADMIN, True),
    ],
)
async def test_who_may_read_dispatch_runs(
    gql: GraphQLClient, session: AsyncSession, role: Role, visible: bool
) -> None:
    d = await f.day(session)
    run = await _queued(session, d)
    body = await gql.as_role(role).raw(DISPATCH_RUN, {"id": gid("DispatchRun", run.id)})
    if visible:
        assert body["data"]["dispatchRun"]["status"] == "QUEUED"
    else:
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_dispatch_runs_list_costs_the_same_statements_for_2_and_20_rows(
    gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    d = await f.day(session)
    for _ in range(20):
        await _queued(session, d)
    counts = []
    for first in (2, 20):
        statements.reset()
        data = await gql.as_role(Role.DISPATCHER)(
            DISPATCH_RUNS, {"territoryId": gid("Territory", d.territory.id), "first": first}
        )
        assert len(data["dispatchRuns"]["edges"]) == first
        counts.append(statements.total)
    assert counts[0] == counts[1]
