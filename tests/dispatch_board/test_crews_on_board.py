"""A crew member's time on the board and in manual assignment: their crew task (led by
someone else) is on their row, holds them, and a move onto that time overlaps it."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.crews.service import assign_crew
from app.work_orders.models import Task
from tests.dispatch_board.factories import (
    DISPATCHER,
    Day,
    day,
    day_range,
    gid,
    tomorrow_at,
    waiting,
)
from tests.support import GraphQLClient
from tests.work_orders import factories

BOARD = """
query Board($territoryId: ID!, $from: DateTime!, $to: DateTime!) {
  dispatchBoard(territoryId: $territoryId, from: $from, to: $to) {
    rows {
      technician { id }
      assignments { taskId start end crewRole crew { technicianId name role } segments { start } }
      idle { start end }
    }
  }
}
"""
MOVE = """
mutation Move($input: MoveAssignmentInput!) {
  moveAssignment(input: $input) {
    applied warnings { code message } userErrors { code }
  }
}
"""


def _at(hour: float) -> str:
    return tomorrow_at(hour).astimezone(UTC).isoformat()


async def _crew_task(session: AsyncSession, d: Day, hour: float) -> Task:
    """A two-technician task led by the first technician with the second as member."""
    lead, member = d.technicians[:2]
    task = await waiting(session, d, start=8, end=17)
    task.crew_size = 2
    await session.flush()
    assert task.id and lead.id and member.id
    await assign_crew(
        session, DISPATCHER, task.id, lead.id, [member.id], tomorrow_at(hour), reason="set up"
    )
    return task


def _board_vars(d: Day) -> dict[str, Any]:
    start, _ = day_range()
    return {
        "territoryId": gid("Territory", d.territory.id),
        "from": start.isoformat(),
        "to": (start + timedelta(days=1)).isoformat(),
    }


async def test_a_move_onto_a_crew_members_busy_time_warns_of_the_overlap(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a crew task at 10:00-11:00 led by one technician, the other a member
    d = await day(session, technicians=2)
    crew_task = await _crew_task(session, d, 10)
    member = d.technicians[1]
    moving = await waiting(session, d, start=8, end=17)

    # when the member's row gets another task at 10:30
    payload = await gql.as_role(Role.DISPATCHER).mutate(
        MOVE,
        {
            "taskId": gid("Task", moving.id),
            "technicianId": gid("Technician", member.id),
            "start": tomorrow_at(10.5).isoformat(),
            "dryRun": True,
        },
    )

    # then the member's crew task overlaps it
    overlaps = [w["message"] for w in payload["warnings"] if w["code"] == "OVERLAPPING_TASK"]
    assert overlaps == [f"overlaps crew task T-{crew_task.id} (id {gid('Task', crew_task.id)})"]


async def test_a_crew_members_row_shows_the_crew_task_and_is_not_idle_then(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    d = await day(session, technicians=2)
    crew_task = await _crew_task(session, d, 10)
    lead, member = d.technicians

    data = await gql.as_role(Role.DISPATCHER)(BOARD, _board_vars(d))

    rows = {r["technician"]["id"]: r for r in data["dispatchBoard"]["rows"]}
    crew = [
        {"technicianId": gid("Technician", lead.id), "name": lead.name, "role": "LEAD"},
        {"technicianId": gid("Technician", member.id), "name": member.name, "role": "MEMBER"},
    ]
    for tech, role in ((lead, "LEAD"), (member, "MEMBER")):
        row = rows[gid("Technician", tech.id)]
        (bar,) = row["assignments"]
        assert bar["taskId"] == gid("Task", crew_task.id)
        assert (bar["start"], bar["end"], bar["crewRole"]) == (_at(10), _at(11), role)
        assert bar["crew"] == crew and bar["segments"] == []
        assert not any(i["start"] < _at(11) and i["end"] > _at(10) for i in row["idle"])


async def test_a_move_right_after_a_crew_members_visit_counts_the_drive_from_it(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a crew task at 10:00-11:00 with the second technician as member
    d = await day(session, technicians=2)
    crew_task = await _crew_task(session, d, 10)
    member = d.technicians[1]
    # and a task across town for the member at 11:05
    far = await factories.site(session, d.customer, lat=12.99, lng=77.70)
    moving = await waiting(session, d, start=8, end=17, site=far)

    payload = await gql.as_role(Role.DISPATCHER).mutate(
        MOVE,
        {
            "taskId": gid("Task", moving.id),
            "technicianId": gid("Technician", member.id),
            "start": tomorrow_at(11 + 5 / 60).isoformat(),
            "dryRun": True,
        },
    )

    # then the drive from the crew visit does not fit
    tight = [w["message"] for w in payload["warnings"] if w["code"] == "TRAVEL_TOO_TIGHT"]
    assert len(tight) == 1 and f"from task {crew_task.id}," in tight[0], payload["warnings"]
