"""Attendance in the demo city: today's clock-ins of the technicians whose shift has begun
(some late, one absent: a no-show), and the last two weeks' days clocked in and out with a
meal break, some with overtime; clock-ins are required (late starts and no-shows alerted).

Deterministic: technicians are taken by id, offsets follow from the id and the day.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.attendance.models import (
    AttendanceBreak,
    AttendanceEntry,
    AttendancePolicy,
    AttendanceStatus,
    BreakKind,
    ClockSource,
)
from app.attendance.service import DaySheet, attendance_for_days
from app.core.geo import LatLng, point_value, to_lat_lng
from app.demo.generator import LOCAL
from app.technicians.models import Technician, TechnicianStatus

PAST_DAYS = 14
LATE_EVERY = 4
"""Every fourth technician starts late today."""


def _offset(tech_id: int, day_number: int) -> int:
    """Minutes from the shift's start to the clock-in: mostly a few minutes either side."""
    return (tech_id * 7 + day_number * 3) % 13 - 5


async def seed_attendance(session: AsyncSession, now: datetime) -> dict[str, int]:
    session.add(
        AttendancePolicy(
            territory_id=None,
            clock_in_required=True,
            late_after_minutes=10,
            no_show_after_minutes=120,
            overtime_daily_minutes=540,
        )
    )
    rows = (
        await session.execute(
            select(Technician.id, Technician.home_base)
            .where(
                col(Technician.archived_at).is_(None),
                col(Technician.status) == TechnicianStatus.ACTIVE,
            )
            .order_by(col(Technician.id))
        )
    ).all()
    homes = {tid: to_lat_lng(home) for tid, home in rows}
    ids = [tid for tid, _ in rows]
    local_today = now.astimezone(LOCAL).date()
    days = [local_today - timedelta(days=n) for n in range(PAST_DAYS, 0, -1)]
    past = await attendance_for_days(session, ids, days, now)
    today_sheets = await attendance_for_days(session, ids, [local_today], now)
    entries: list[tuple[AttendanceEntry, DaySheet, bool]] = []
    started = [t for t in ids if (s := today_sheets[t][0]).shift_start and s.shift_start <= now]
    absent = started[len(started) // 2] if len(started) > 2 else None
    for tid in ids:
        for number, sheet in enumerate(past[tid]):
            if sheet.shift_start is None or sheet.shift_end is None:
                continue
            if sheet.status is AttendanceStatus.ON_LEAVE:
                continue
            clock_in = sheet.shift_start + timedelta(minutes=_offset(tid, number))
            overtime = 45 if (tid + number) % 5 == 0 else 0
            clock_out = sheet.shift_end + timedelta(minutes=overtime + (tid + number) % 7)
            entries.append((_entry(sheet, clock_in, clock_out, homes.get(tid)), sheet, True))
        sheet = today_sheets[tid][0]
        if tid == absent or sheet.shift_start is None or sheet.shift_start > now:
            continue
        late = 15 + tid % 25 if tid % LATE_EVERY == 0 else 0
        clock_in = sheet.shift_start + timedelta(minutes=late + _offset(tid, PAST_DAYS))
        if clock_in <= now:
            entries.append((_entry(sheet, clock_in, None, homes.get(tid)), sheet, False))
    session.add_all(entry for entry, _, _ in entries)
    await session.flush()
    breaks = []
    for entry, sheet, closed in entries:
        if not closed or sheet.shift_start is None or sheet.shift_end is None:
            continue
        middle = sheet.shift_start + (sheet.shift_end - sheet.shift_start) / 2
        breaks.append(
            AttendanceBreak(
                entry_id=entry.id or 0,
                kind=BreakKind.MEAL,
                started_at=middle,
                ended_at=middle + timedelta(minutes=30),
            )
        )
    session.add_all(breaks)
    await session.flush()
    return {"attendance_entries": len(entries), "attendance_breaks": len(breaks)}


def _entry(
    sheet: DaySheet, clock_in: datetime, clock_out: datetime | None, home: LatLng | None
) -> AttendanceEntry:
    point = None if home is None else point_value(home.lat, home.lng)
    return AttendanceEntry(
        technician_id=sheet.technician_id,
        territory_id=sheet.territory_id,
        day=sheet.day,
        clock_in_at=clock_in,
        clock_in_location=point,
        clock_in_source=ClockSource.MANUAL,
        clock_out_at=clock_out,
        clock_out_location=point if clock_out is not None else None,
    )
