"""dispatchBoard: rows per technician for a Gantt view, the waiting work, bounds and roles."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.technicians.models import TimeOff
from tests.dispatch_board.factories import (
    assigned,
    day,
    day_range,
    gid,
    split_shift_technician,
    tomorrow_at,
    waiting,
)
from tests.support import GraphQLClient, StatementCounter
from tests.work_orders import factories

BOARD = """
query Board($territoryId: ID!, $from: DateTime!, $to: DateTime!) {
  dispatchBoard(territoryId: $territoryId, from: $from, to: $to) {
    from to territory { id }
    rows {
      technician { id name }
      shifts { start end }
      breaks { start end }
      timeOff { start end reason }
      assignments { task { id } start end status pinned }
      travel { fromTaskId toTaskId depart arrive minutes distanceKm slackMinutes fits }
      idle { start end }
    }
    unassigned { task { id } candidateCount }
  }
}
"""


def _vars(territory_id: int | None, days: float = 1) -> dict[str, Any]:
    start, _ = day_range()
    return {
        "territoryId": gid("Territory", territory_id),
        "from": start.isoformat(),
        "to": (start + timedelta(days=days)).isoformat(),
    }


def _row(board: dict[str, Any], technician_id: int | None) -> dict[str, Any]:
    wanted = gid("Technician", technician_id)
    (row,) = [r for r in board["rows"] if r["technician"]["id"] == wanted]
    return row


def _at(hour: float) -> str:
    return tomorrow_at(hour).astimezone(UTC).isoformat()


async def test_a_row_shows_shifts_breaks_time_off_assignments_travel_and_idle_time(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a technician working 09-13 and 14-18, off 16-18, with two visits far apart
    d = await day(session, technicians=1)
    tech = await split_shift_technician(session, d)
    far = await factories.site(session, d.customer, lat=12.99, lng=77.70)
    first = await assigned(session, d, tech, 9, duration=60)
    second = await assigned(session, d, tech, 10.25, duration=60, site=far)
    assert tech.id is not None
    session.add(TimeOff(technician_id=tech.id, starts_at=tomorrow_at(16), ends_at=tomorrow_at(18)))
    await session.flush()

    # when a dispatcher reads the board for the day
    data = await gql.as_role(Role.DISPATCHER)(BOARD, _vars(d.territory.id))

    # then the row reads as a Gantt chart does
    row = _row(data["dispatchBoard"], tech.id)
    assert row["shifts"] == [
        {"start": _at(9), "end": _at(13)},
        {"start": _at(14), "end": _at(16)},
    ]
    assert row["breaks"] == [{"start": _at(13), "end": _at(14)}]
    assert row["timeOff"] == [{"start": _at(16), "end": _at(18), "reason": None}]
    assert [
        (a["task"]["id"], a["start"], a["status"], a["pinned"]) for a in row["assignments"]
    ] == [
        (gid("Task", first.id), _at(9), "DISPATCHED", False),
        (gid("Task", second.id), _at(10.25), "DISPATCHED", False),
    ]
    (leg,) = row["travel"]
    assert leg["fromTaskId"] == gid("Task", first.id)
    assert leg["toTaskId"] == gid("Task", second.id)
    assert leg["depart"] == _at(10)
    assert leg["minutes"] > 15 and leg["distanceKm"] > 5
    assert leg["fits"] is False and leg["slackMinutes"] == pytest.approx(
        15 - leg["minutes"], abs=0.2
    )
    idle = [(i["start"], i["end"]) for i in row["idle"]]
    assert idle[-2:] == [(_at(11.25), _at(13)), (_at(14), _at(16))]


async def test_waiting_tasks_carry_how_many_technicians_could_take_them(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given two HVAC technicians, one excluded from a task, and a plumbing task nobody can do
    d = await day(session, technicians=2)
    hvac = await waiting(session, d)
    plumbing = await waiting(session, d, skill=d.plumbing)
    excluded = await waiting(session, d)
    excluded.excluded_technician_ids = [d.technicians[0].id or 0]
    await session.flush()

    data = await gql.as_role(Role.MANAGER)(BOARD, _vars(d.territory.id))

    counts = {u["task"]["id"]: u["candidateCount"] for u in data["dispatchBoard"]["unassigned"]}
    assert counts == {
        gid("Task", hvac.id): 2,
        gid("Task", plumbing.id): 0,
        gid("Task", excluded.id): 1,
    }


async def _territory_with(session: AsyncSession, technicians: int) -> dict[str, Any]:
    d = await day(session, technicians=technicians)
    for tech in d.technicians:
        await assigned(session, d, tech, 9)
        await assigned(session, d, tech, 11)
    await waiting(session, d)
    await waiting(session, d, skill=d.plumbing)
    return _vars(d.territory.id)


async def test_the_board_reads_in_as_many_statements_for_2_or_12_technicians(
    gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    small = await _territory_with(session, 2)
    large = await _territory_with(session, 12)
    counts = []
    for variables in (small, large):
        statements.reset()
        data = await gql.as_role(Role.DISPATCHER)(BOARD, variables)
        assert data["dispatchBoard"]["rows"]
        counts.append(statements.total)
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize(
    ("days", "field"), [(7.5, "to"), (0, "to"), (-1, "to")], ids=["too long", "empty", "backwards"]
)
async def test_the_range_is_bounded(
    gql: GraphQLClient, session: AsyncSession, days: float, field: str
) -> None:
    d = await day(session, technicians=1)
    body = await gql.as_role(Role.DISPATCHER).raw(BOARD, _vars(d.territory.id, days))
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "INVALID"
    assert error["extensions"]["field"] == [field]


async def test_without_to_the_board_shows_a_day(gql: GraphQLClient, session: AsyncSession) -> None:
    d = await day(session, technicians=1)
    query = BOARD.replace("$to: DateTime!", "$to: DateTime")
    variables = _vars(d.territory.id) | {"to": None}
    data = await gql.as_role(Role.DISPATCHER)(query, variables)
    assert data["dispatchBoard"]["to"] == _at(24)


async def test_an_unknown_territory_is_not_found(gql: GraphQLClient, session: AsyncSession) -> None:
    body = await gql.as_role(Role.DISPATCHER).raw(BOARD, _vars(10**12))
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.ADMIN, True),
        (Role.DISPATCHER, True),
        (Role.MANAGER, True),
        (Role.AGENT, False),
        (Role.TECHNICIAN, False),
        (Role.CUSTOMER, False),
        (Role.PARTNER, False),
        (None, False),
    ],
)
async def test_who_may_read_the_board(
    gql: GraphQLClient, session: AsyncSession, role: Role | None, allowed: bool
) -> None:
    d = await day(session, technicians=1)
    links = {
        Role.TECHNICIAN: {"technician_id": d.technicians[0].id},
        Role.CUSTOMER: {"customer_id": d.customer.id},
    }.get(role, {})  # type: ignore[arg-type]
    body = await gql.as_role(role, **links).raw(BOARD, _vars(d.territory.id))
    if allowed:
        assert "errors" not in body, body
        assert len(body["data"]["dispatchBoard"]["rows"]) == 1
    else:
        assert body["errors"][0]["extensions"]["code"] in {"FORBIDDEN", "UNAUTHENTICATED"}
        assert body["data"] is None
