"""A pin holds a task to its technician and start: any other reassignment, taking it back or
cancelling it ends the pin; a moveAssignment moves it with its pin; pinAssignments refuses a
stale version, all or none."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.dispatch_board import repository
from app.work_orders.customer import cancel_task
from app.work_orders.models import Task
from app.work_orders.offers import unassign_task
from tests.dispatch_board.factories import (
    DISPATCHER,
    assigned,
    assigned_to,
    day,
    gid,
    tomorrow_at,
)
from tests.support import GraphQLClient, error_codes

PIN = """
mutation Pin($input: PinAssignmentsInput!) {
  pinAssignments(input: $input) {
    tasks { task { id } pinned }
    userErrors { field message code }
  }
}
"""
MOVE = """
mutation Move($input: MoveAssignmentInput!) {
  moveAssignment(input: $input) { applied userErrors { code } }
}
"""


async def _pinned(gql: GraphQLClient, *tasks: Task, **more: Any) -> dict[str, Any]:
    return await gql.as_role(Role.DISPATCHER).mutate(
        PIN, {"taskIds": [gid("Task", t.id) for t in tasks], "pinned": True, **more}
    )


async def _still_pinned(session: AsyncSession, *tasks: Task) -> set[int]:
    await session.flush()
    return await repository.pinned_ids(session, [t.id for t in tasks if t.id is not None])


async def test_reassigning_taking_back_or_cancelling_a_pinned_task_ends_its_pin(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    d = await day(session, technicians=2)
    tech, other = d.technicians
    reassigned = await assigned(session, d, tech, 9)
    taken_back = await assigned(session, d, tech, 11)
    cancelled = await assigned(session, d, tech, 13)
    kept = await assigned(session, d, tech, 15)
    assert (await _pinned(gql, reassigned, taken_back, cancelled, kept))["userErrors"] == []
    assert len(await _still_pinned(session, reassigned, taken_back, cancelled, kept)) == 4

    await assigned_to(session, reassigned, other.id, 9)
    assert taken_back.id and cancelled.id
    await unassign_task(session, DISPATCHER, taken_back.id, "customer called")
    await cancel_task(session, DISPATCHER, cancelled.id, "no longer needed")

    assert await _still_pinned(session, reassigned, taken_back, cancelled, kept) == {kept.id}


async def test_a_move_on_the_board_keeps_the_pin(gql: GraphQLClient, session: AsyncSession) -> None:
    d = await day(session, technicians=2)
    tech, other = d.technicians
    task = await assigned(session, d, tech, 9)
    assert (await _pinned(gql, task))["userErrors"] == []

    moved = await gql.as_role(Role.DISPATCHER).mutate(
        MOVE,
        {
            "taskId": gid("Task", task.id),
            "technicianId": gid("Technician", other.id),
            "start": tomorrow_at(10).isoformat(),
            "reason": "closer",
        },
    )

    assert moved["userErrors"] == [] and moved["applied"] is True
    assert await _still_pinned(session, task) == {task.id}


async def test_a_stale_version_refuses_the_whole_pin(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    d = await day(session, technicians=2)
    tech, other = d.technicians
    fresh = await assigned(session, d, tech, 9)
    stale = await assigned(session, d, tech, 11)
    seen = stale.version
    await assigned_to(session, stale, other.id, 11)  # the board is now out of date

    refused = await _pinned(
        gql,
        fresh,
        stale,
        expectedVersions=[
            {"taskId": gid("Task", fresh.id), "expectedVersion": fresh.version},
            {"taskId": gid("Task", stale.id), "expectedVersion": seen},
        ],
    )

    assert error_codes(refused) == ["STALE_VERSION"]
    assert refused["userErrors"][0]["field"] == ["taskIds", "1"]
    assert await _still_pinned(session, fresh, stale) == set()

    pinned = await _pinned(
        gql,
        fresh,
        stale,
        expectedVersions=[{"taskId": gid("Task", stale.id), "expectedVersion": stale.version}],
    )
    assert pinned["userErrors"] == []
    assert await _still_pinned(session, fresh, stale) == {fresh.id, stale.id}
