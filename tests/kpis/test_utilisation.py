"""Utilisation against the shift: work, travel, break and idle time over the technician-day's
planned hours (weekly hours less time off), kept in the committing transaction and read exactly
through `kpis` and `scoreboard`."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.models import AttendanceBreak, AttendanceEntry, BreakKind
from app.core.auth import Role
from app.kpis.hooks import note_tasks
from app.kpis.service import reconcile
from app.technicians.models import TimeOff, WorkingHours
from schema.ids import encode_id
from tests.kpis import helpers
from tests.support import GraphQLClient
from tests.work_orders import factories

KPIS = """
query ($day: Date!, $territory: ID!) {
  kpis(metrics: [UTILISATION, WORK_SHARE, TRAVEL_SHARE, IDLE_SHARE, BREAK_SHARE, SHIFT_HOURS,
                 BREAK_HOURS, JOBS_PER_TECHNICIAN_DAY],
       dimensions: [DAY, TECHNICIAN], from: $day, to: $day,
       filters: { territoryIds: [$territory] }) {
    rows { bucket technicianId values { metric value numerator denominator } }
    userErrors { code }
  }
}
"""
SCOREBOARD = """
query ($territory: ID!) {
  scoreboard(metric: UTILISATION, period: LAST_30_DAYS, territoryId: $territory) {
    entries { rank technicianId value score volume }
  }
}
"""


async def _plan_day(session: AsyncSession, w: factories.World, day: date, zone: ZoneInfo) -> None:
    """08:00-16:00 on that weekday only, an hour off at noon, a 30-minute break at 13:00."""
    tech_id = w.technician.id
    assert tech_id is not None
    async with session.begin_nested():
        await session.execute(
            sa.delete(WorkingHours).where(WorkingHours.technician_id == tech_id)  # type: ignore[arg-type]
        )
        session.add(
            WorkingHours(
                technician_id=tech_id, weekday=day.weekday(), starts_at=time(8), ends_at=time(16)
            )
        )
    async with session.begin_nested():
        session.add(
            TimeOff(
                technician_id=tech_id,
                starts_at=datetime.combine(day, time(12), zone),
                ends_at=datetime.combine(day, time(13), zone),
                reason="doctor",
            )
        )
        entry = AttendanceEntry(technician_id=tech_id, territory_id=w.territory.id, day=day)
        session.add(entry)
        await session.flush()
        assert entry.id is not None
        session.add(
            AttendanceBreak(
                entry_id=entry.id,
                kind=BreakKind.MEAL,
                started_at=datetime.combine(day, time(13), zone),
                ended_at=datetime.combine(day, time(13, 30), zone),
            )
        )


async def _job_on(session: AsyncSession, w: factories.World, day: date, zone: ZoneInfo) -> None:
    """A job left for at 09:00, checked in at 09:30, closed at 11:00 (as the device reported)."""
    task = await helpers.new_task(session, w)
    assert task.id is not None
    for step in (helpers.assign, helpers.arrive, helpers.complete):
        assert await helpers.committed(session, step(session, w, task.id))
    left, arrived, done = (
        datetime.combine(day, time(h, m), zone) for h, m in ((9, 0), (9, 30), (11, 0))
    )
    await session.execute(
        sa.text(
            "UPDATE task_events SET at = CAST(CASE WHEN to_status = 'EN_ROUTE' THEN :left "
            "WHEN to_status = 'ON_SITE' THEN :arrived ELSE :done END AS timestamptz) "
            "WHERE task_id = :id"
        ),
        {"left": str(left), "arrived": str(arrived), "done": str(done), "id": task.id},
    )
    await session.execute(
        sa.text("UPDATE tasks SET finished_at = :done WHERE id = :id"),
        {"done": done, "id": task.id},
    )
    async with session.begin_nested():
        note_tasks(session.sync_session, {task.id})


async def test_a_technician_day_splits_into_work_travel_break_and_idle(
    session: AsyncSession, gql: GraphQLClient
) -> None:
    # given a 7-hour shift (8 planned, 1 off), 30 min on the road, 90 at the site, 30 on break
    w = await factories.world(session)
    zone = ZoneInfo(w.territory.time_zone)
    day = date.today() - timedelta(days=2)
    await _job_on(session, w, day, zone)
    await _plan_day(session, w, day, zone)
    # when a manager reads the day per technician
    data = await gql.as_role(Role.MANAGER)(
        KPIS, {"day": day.isoformat(), "territory": encode_id("Territory", w.territory.id)}
    )
    rows = data["kpis"]["rows"]
    assert [r["technicianId"] for r in rows] == [encode_id("Technician", w.technician.id)]
    values = {v["metric"]: v for v in rows[0]["values"]}
    shift = 7 * 3600
    # then each share is its seconds over the shift's, and they add up to the whole shift
    expected = {
        "UTILISATION": (7200, shift),
        "WORK_SHARE": (5400, shift),
        "TRAVEL_SHARE": (1800, shift),
        "BREAK_SHARE": (1800, shift),
        "IDLE_SHARE": (shift - 7200 - 1800, shift),
        "JOBS_PER_TECHNICIAN_DAY": (1, 1),
    }
    for metric, (numerator, denominator) in expected.items():
        assert Decimal(values[metric]["numerator"]) == numerator, metric
        assert Decimal(values[metric]["denominator"]) == denominator, metric
        assert Decimal(values[metric]["value"]) == Decimal(numerator) / Decimal(denominator)
    assert Decimal(values["SHIFT_HOURS"]["value"]) == 7
    assert Decimal(values["BREAK_HOURS"]["value"]) == Decimal("0.5")
    # and the scoreboard ranks the technician on the raw utilisation
    board = await gql.as_role(Role.DISPATCHER)(
        SCOREBOARD, {"territory": encode_id("Territory", w.territory.id)}
    )
    entries = board["scoreboard"]["entries"]
    assert Decimal(entries[0]["value"]) == Decimal(7200) / Decimal(shift)
    assert Decimal(entries[0]["volume"]) == shift
    # and a full recompute of those days finds nothing to repair
    assert await reconcile(session, day - timedelta(days=1), date.today() + timedelta(days=1)) == 0


async def test_time_off_taken_later_shortens_the_shift_in_the_same_transaction(
    session: AsyncSession, gql: GraphQLClient
) -> None:
    # given the day above, then two more hours off recorded afterwards
    w = await factories.world(session)
    zone = ZoneInfo(w.territory.time_zone)
    day = date.today() - timedelta(days=2)
    await _job_on(session, w, day, zone)
    await _plan_day(session, w, day, zone)
    async with session.begin_nested():
        session.add(
            TimeOff(
                technician_id=w.technician.id,
                starts_at=datetime.combine(day, time(14), zone),
                ends_at=datetime.combine(day, time(17), zone),
            )
        )
    data = await gql.as_role(Role.MANAGER)(
        KPIS, {"day": day.isoformat(), "territory": encode_id("Territory", w.territory.id)}
    )
    values = {v["metric"]: v for v in data["kpis"]["rows"][0]["values"]}
    # then the shift is 5 hours (16:00 ends it, not the time off's 17:00)
    assert Decimal(values["SHIFT_HOURS"]["value"]) == 5
    assert Decimal(values["UTILISATION"]["value"]) == Decimal(7200) / Decimal(5 * 3600)
    assert await reconcile(session, day - timedelta(days=1), date.today() + timedelta(days=1)) == 0
