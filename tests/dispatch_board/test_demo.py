"""The demo city's board: today's rows carry assignments, drives and pins; work waits."""

from __future__ import annotations

import io
from datetime import date, time, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.auth import Role
from app.core.db import SessionFactory
from app.demo.command import seed_database
from app.demo.generator import LOCAL, local_time
from tests.dispatch_board.factories import gid
from tests.support import GraphQLClient

TODAY = date(2026, 11, 24)
NOW = local_time(TODAY, time(11))
BOARD = """
query Board($territoryId: ID!, $from: DateTime!, $to: DateTime!) {
  dispatchBoard(territoryId: $territoryId, from: $from, to: $to) {
    rows {
      shifts { start }
      assignments { task { id } status pinned crewRole }
      attendance { status clockInAt }
      travel { minutes fits }
      idle { start end }
    }
    unassigned { candidateCount }
  }
}
"""


async def test_the_demo_board_shows_a_day_of_work_with_pins(
    sessions: SessionFactory, connection: AsyncConnection, gql: GraphQLClient
) -> None:
    out = io.StringIO()
    assert await seed_database(sessions, today=TODAY, customers=150, technicians=20, out=out) == 0
    assert "task_pins" in out.getvalue()
    pins = await connection.scalar(sa.text("SELECT count(*) FROM task_pins"))
    territories = (
        await connection.execute(sa.text("SELECT id FROM territories ORDER BY id"))
    ).all()
    assert pins and pins <= 3 * len(territories)

    start = NOW.astimezone(LOCAL).replace(hour=0, minute=0)
    pinned: set[str] = set()
    seen = {"assignments": 0, "legs": 0, "working": 0, "waiting": 0, "idle": 0}
    attendance: list[str] = []
    for (territory_id,) in territories:
        data = await gql.as_role(Role.DISPATCHER)(
            BOARD,
            {
                "territoryId": gid("Territory", territory_id),
                "from": start.isoformat(),
                "to": (start + timedelta(days=1)).isoformat(),
            },
        )
        board = data["dispatchBoard"]
        for row in board["rows"]:
            seen["working"] += bool(row["shifts"])
            seen["assignments"] += len(row["assignments"])
            pinned |= {a["task"]["id"] for a in row["assignments"] if a["pinned"]}
            seen["legs"] += len(row["travel"])
            seen["idle"] += len(row["idle"])
            attendance += [day["status"] for day in row["attendance"]]
        seen["waiting"] += len(board["unassigned"])
    # (a technician of two territories shows on both boards)
    assert len(pinned) == pins
    assert seen["working"] >= 10 and seen["assignments"] >= 20 and seen["legs"] >= 10, seen
    assert seen["idle"] > 0, seen
    # each row carries the day's attendance: who came, who came late and who did not
    assert {"PRESENT", "LATE", "ABSENT"} <= set(attendance), attendance

    # tomorrow the two-day crew install is on its lead's row and on its member's
    roles = []
    for (territory_id,) in territories:
        data = await gql.as_role(Role.DISPATCHER)(
            BOARD,
            {
                "territoryId": gid("Territory", territory_id),
                "from": (start + timedelta(days=1)).isoformat(),
                "to": (start + timedelta(days=2)).isoformat(),
            },
        )
        roles += [
            a["crewRole"]
            for row in data["dispatchBoard"]["rows"]
            for a in row["assignments"]
            if a["crewRole"]
        ]
    assert "LEAD" in roles and "MEMBER" in roles, roles
