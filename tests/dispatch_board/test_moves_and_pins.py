"""moveAssignment (warnings, knock-on effects, dry runs, versions) and pinAssignments (and the
optimizer keeping pinned work)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.models import utcnow
from app.dispatch.problem_builder import BuildOptions, build_problem, load_facts
from app.work_orders.models import Task
from tests.dispatch_board.factories import (
    assigned,
    assigned_to,
    day,
    day_range,
    gid,
    tomorrow_at,
    waiting,
)
from tests.support import GraphQLClient, error_codes

MOVE = """
mutation Move($input: MoveAssignmentInput!) {
  moveAssignment(input: $input) {
    applied
    task { id version status scheduledStart technician { id } }
    warnings { code message }
    knockOn { task { id } start newStart newEnd shiftMinutes late }
    userErrors { field message code }
  }
}
"""
PIN = """
mutation Pin($input: PinAssignmentsInput!) {
  pinAssignments(input: $input) {
    tasks { task { id } pinned }
    userErrors { field message code }
  }
}
"""
PINNED_ON_BOARD = """
query Board($territoryId: ID!, $from: DateTime!, $to: DateTime!) {
  dispatchBoard(territoryId: $territoryId, from: $from, to: $to) {
    rows { assignments { task { id } pinned } }
  }
}
"""


def _at(hour: float) -> str:
    return tomorrow_at(hour).astimezone(UTC).isoformat()


def _move(task: Task, technician_id: int | None, hour: float, **more: Any) -> dict[str, Any]:
    return {
        "taskId": gid("Task", task.id),
        "technicianId": gid("Technician", technician_id),
        "start": tomorrow_at(hour).isoformat(),
        **more,
    }


async def test_a_dry_run_shows_warnings_and_the_days_knock_on_and_writes_nothing(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a technician's day: 10:00, 11:00 (its window closes at 11:30) and 15:00
    d = await day(session, technicians=2)
    tech, other = d.technicians
    second = await assigned(session, d, tech, 10)
    third = await assigned(session, d, tech, 11, end=11.5)
    fourth = await assigned(session, d, tech, 15)
    # and a plumbing task (nobody holds the skill) on the other technician at 9:00
    moving = await waiting(session, d, skill=d.plumbing, start=8, end=17, duration=90)
    await assigned_to(session, moving, other.id, 9)
    version = moving.version

    # when a dispatcher drags it onto the first technician's row at 9:30, as a preview
    dispatcher = gql.as_role(Role.DISPATCHER)
    payload = await dispatcher.mutate(
        MOVE, _move(moving, tech.id, 9.5, expectedVersion=version, dryRun=True)
    )

    # then the warnings and knock-on effects come back, and nothing moved
    assert payload["userErrors"] == [] and payload["applied"] is False
    codes = {w["code"] for w in payload["warnings"]}
    assert {"SKILL_MISMATCH", "OVERLAPPING_TASK"} <= codes
    assert payload["task"]["version"] == version
    assert payload["task"]["technician"]["id"] == gid("Technician", other.id)
    effects = [
        (e["task"]["id"], e["start"], e["shiftMinutes"], e["late"]) for e in payload["knockOn"]
    ]
    assert effects == [
        (gid("Task", second.id), _at(10), 60, False),
        (gid("Task", third.id), _at(11), 60, True),
    ]
    assert all(e["task"]["id"] != gid("Task", fourth.id) for e in payload["knockOn"])


async def test_a_move_with_warnings_needs_a_reason_then_moves_the_task(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    d = await day(session, technicians=2)
    tech, other = d.technicians
    later = await assigned(session, d, tech, 10)
    moving = await assigned(session, d, other, 9)
    dispatcher = gql.as_role(Role.DISPATCHER)

    # without a reason the overlap refuses the move
    refused = await dispatcher.mutate(MOVE, _move(moving, tech.id, 9.5))
    assert error_codes(refused) == ["CONFLICT"]
    assert refused["applied"] is False

    # with one it moves, and says what it does to the rest of the day
    moved = await dispatcher.mutate(
        MOVE, _move(moving, tech.id, 9.5, reason="customer asked", expectedVersion=moving.version)
    )
    assert moved["userErrors"] == [] and moved["applied"] is True
    assert moved["task"]["technician"]["id"] == gid("Technician", tech.id)
    assert moved["task"]["scheduledStart"] == _at(9.5)
    assert moved["task"]["status"] == "DISPATCHED"
    assert [w["code"] for w in moved["warnings"]] == ["OVERLAPPING_TASK"]
    assert [(e["task"]["id"], e["shiftMinutes"]) for e in moved["knockOn"]] == [
        (gid("Task", later.id), 30)
    ]


async def test_a_move_on_a_stale_version_is_refused(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    d = await day(session, technicians=2)
    moving = await assigned(session, d, d.technicians[0], 9)
    stale = moving.version - 1
    for dry_run in (True, False):
        payload = await gql.as_role(Role.DISPATCHER).mutate(
            MOVE, _move(moving, d.technicians[1].id, 12, expectedVersion=stale, dryRun=dry_run)
        )
        assert error_codes(payload) == ["STALE_VERSION"]


@pytest.mark.parametrize(
    "role", [Role.MANAGER, Role.AGENT, Role.TECHNICIAN, Role.CUSTOMER, Role.PARTNER]
)
async def test_only_dispatchers_and_admins_move_and_pin(
    gql: GraphQLClient, session: AsyncSession, role: Role
) -> None:
    d = await day(session, technicians=1)
    task = await assigned(session, d, d.technicians[0], 9)
    caller = gql.as_role(role)
    move = await caller.mutate(MOVE, _move(task, d.technicians[0].id, 12, dryRun=True))
    pin = await caller.mutate(PIN, {"taskIds": [gid("Task", task.id)], "pinned": True})
    for payload in (move, pin):
        assert error_codes(payload) == ["FORBIDDEN"]


async def test_pins_show_on_the_board_and_the_optimizer_keeps_them(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    d = await day(session, technicians=2)
    first = await assigned(session, d, d.technicians[0], 9)
    second = await assigned(session, d, d.technicians[1], 11)
    open_task = await waiting(session, d)
    dispatcher = gql.as_role(Role.DISPATCHER)
    ids = [gid("Task", first.id), gid("Task", second.id)]

    # an unassigned task cannot be pinned, and then nothing is
    refused = await dispatcher.mutate(
        PIN, {"taskIds": [*ids, gid("Task", open_task.id)], "pinned": True}
    )
    assert error_codes(refused) == ["INVALID"]
    assert refused["userErrors"][0]["field"] == ["taskIds", "2"]

    # pinning twice is harmless
    for _ in range(2):
        pinned = await dispatcher.mutate(PIN, {"taskIds": ids, "pinned": True})
        assert pinned["userErrors"] == []
        assert [t["pinned"] for t in pinned["tasks"]] == [True, True]
    start, end = day_range()
    board = await dispatcher(
        PINNED_ON_BOARD,
        {
            "territoryId": gid("Territory", d.territory.id),
            "from": start.isoformat(),
            "to": end.isoformat(),
        },
    )
    flags = {
        a["task"]["id"]: a["pinned"]
        for row in board["dispatchBoard"]["rows"]
        for a in row["assignments"]
    }
    assert flags == {ids[0]: True, ids[1]: True}

    # the optimizer's problem holds both where they are
    assert d.territory.id is not None
    facts = await load_facts(session, d.territory.id, start, end)
    built = build_problem(facts, BuildOptions(now=utcnow()))
    assert built.pinned == {first.id, second.id}
    by_id = {t.id: t for t in built.problem.tasks}
    held = by_id[str(first.id)].pinned
    assert held is not None and held.technician.startswith(f"{d.technicians[0].id}#")
    assert by_id[str(open_task.id)].pinned is None

    # unpinned, the optimizer may move it again
    unpinned = await dispatcher.mutate(PIN, {"taskIds": ids[:1], "pinned": False})
    assert [t["pinned"] for t in unpinned["tasks"]] == [False]
    built = build_problem(
        await load_facts(session, d.territory.id, start, end), BuildOptions(now=utcnow())
    )
    assert built.pinned == {second.id}


async def test_pin_lists_are_bounded(gql: GraphQLClient, session: AsyncSession) -> None:
    dispatcher = gql.as_role(Role.DISPATCHER)
    empty = await dispatcher.mutate(PIN, {"taskIds": [], "pinned": True})
    assert error_codes(empty) == ["INVALID"]
    too_many = [gid("Task", n) for n in range(1, 103)]
    long = await dispatcher.mutate(PIN, {"taskIds": too_many, "pinned": False})
    assert error_codes(long) == ["INVALID"]
    # a long list of one id repeated, then another, is refused whole, not cut to the first
    repeated = [gid("Task", 1)] * 101 + [gid("Task", 2)]
    assert error_codes(await dispatcher.mutate(PIN, {"taskIds": repeated, "pinned": True})) == [
        "INVALID"
    ]
    missing = await dispatcher.mutate(PIN, {"taskIds": [gid("Task", 10**12)], "pinned": False})
    assert error_codes(missing) == ["NOT_FOUND"]
