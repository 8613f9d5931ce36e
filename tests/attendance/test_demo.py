"""The demo city carries today's clock-ins (some late, one no-show) and two weeks of days."""

from __future__ import annotations

import io
from datetime import date, time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.attendance.models import AttendanceStatus
from app.attendance.service import attendance_for_day
from app.core.db import SessionFactory
from app.demo.command import seed_database
from app.demo.generator import local_time

TODAY = date(2026, 11, 24)
NOW = local_time(TODAY, time(11))


async def test_the_demo_has_todays_attendance_and_past_weeks(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    out = io.StringIO()
    assert (
        await seed_database(sessions, today=TODAY, now=NOW, customers=150, technicians=20, out=out)
        == 0
    )
    assert "attendance_entries" in out.getvalue()
    past = sa.text(
        "SELECT count(DISTINCT day) FROM attendance_entries WHERE day < :today "
        "AND clock_out_at IS NOT NULL"
    )
    assert await connection.scalar(past, {"today": TODAY}) >= 10
    ids = list((await connection.scalars(sa.text("SELECT id FROM technicians"))).all())
    async with sessions() as session:
        sheets = await attendance_for_day(session, ids, TODAY, NOW)
    statuses = [s.status for s in sheets.values()]
    assert statuses.count(AttendanceStatus.ABSENT) == 1, statuses
    assert AttendanceStatus.LATE in statuses and AttendanceStatus.PRESENT in statuses
