"""The dispatch board shows each technician's attendance on every day of its range."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.models import AttendanceBreak, AttendanceEntry, BreakKind, ClockSource
from app.core.auth import Role
from schema.ids import encode_id
from tests.attendance.support import at, nine_to_five, yesterday
from tests.support import GraphQLClient
from tests.work_orders import factories

BOARD = """
query Board($territoryId: ID!, $from: DateTime!, $to: DateTime!) {
  dispatchBoard(territoryId: $territoryId, from: $from, to: $to) {
    rows {
      technician { id }
      attendance {
        date status clockInAt clockOutAt lateMinutes breaks { kind startedAt endedAt }
      }
    }
  }
}
"""


async def test_the_board_shows_who_came_late_with_their_breaks_and_who_did_not_come(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given two technicians working 09-17 yesterday: one clocked in at 09:40, paused
    # 13:00-13:30 and left at 17:00; the other never came
    area = await factories.territory(session)
    came, absent = await nine_to_five(session, area), await nine_to_five(session, area)
    day = yesterday()
    entry = AttendanceEntry(
        technician_id=came.id or 0,
        territory_id=area.id,
        day=day,
        clock_in_at=at(day, 9, 40),
        clock_in_source=ClockSource.MANUAL,
        clock_out_at=at(day, 17),
    )
    session.add(entry)
    await session.flush()
    session.add(
        AttendanceBreak(
            entry_id=entry.id or 0,
            kind=BreakKind.MEAL,
            started_at=at(day, 13),
            ended_at=at(day, 13, 30),
        )
    )
    await session.flush()

    # when a dispatcher reads yesterday's board
    data = await gql.as_role(Role.DISPATCHER)(
        BOARD,
        {
            "territoryId": encode_id("Territory", area.id or 0),
            "from": at(day, 0).isoformat(),
            "to": (at(day, 0) + timedelta(days=1)).isoformat(),
        },
    )

    # then each row carries the day's attendance
    rows = {r["technician"]["id"]: r["attendance"] for r in data["dispatchBoard"]["rows"]}
    (late,) = rows[encode_id("Technician", came.id or 0)]
    assert late["date"] == day.isoformat() and late["status"] == "LATE"
    assert late["lateMinutes"] == 40
    assert late["clockInAt"] == at(day, 9, 40).isoformat()
    assert late["clockOutAt"] == at(day, 17).isoformat()
    assert late["breaks"] == [
        {
            "kind": "MEAL",
            "startedAt": at(day, 13).isoformat(),
            "endedAt": at(day, 13, 30).isoformat(),
        }
    ]
    (no_show,) = rows[encode_id("Technician", absent.id or 0)]
    assert no_show["status"] == "ABSENT" and no_show["clockInAt"] is None
