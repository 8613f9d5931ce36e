"""The attendance round, every minute: automatic clock-ins, late-start and no-show alerts.

For each technician's current local days (yesterday, today, tomorrow around the UTC date):
where the territory's policy clocks in automatically, the first location ping inside a shift
becomes the clock-in (where and when it was recorded); then a technician not clocked in
`late_after_minutes` after their shift's start raises LATE_START, and one not clocked in by
`no_show_after_minutes` (or by the shift's end) raises NO_SHOW, on the alerts channel. Each
alert is raised once per technician and day (a row keyed by both, inserted if absent)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.attendance.models import (
    AttendanceAlert,
    AttendanceAlertKind,
    AttendanceStatus,
    ClockSource,
)
from app.attendance.service import Context, DaySheet, attendance_for_days, record_clock_in
from app.core.channels import ALERTS
from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker, queue_event
from app.core.geo import to_lat_lng
from app.core.jobs import Job
from app.core.models import utcnow
from app.technicians.models import Technician, TechnicianStatus, WorkingHours
from app.tracking.models import LocationPing

LOCK = "fieldgraph:attendance:round"
ALERT_HORIZON = timedelta(hours=24)
"""A day whose shift started longer ago than this raises nothing (no alerts for last week)."""


async def run_attendance(
    sessions: SessionFactory, broker: Broker | None, now: datetime | None = None
) -> dict[str, int]:
    """One round at `now` (default: the current time); counts of what it did."""
    now = now or utcnow()
    async with unit_of_work(sessions, broker) as session:
        locked = await session.scalar(
            sa.text("SELECT pg_try_advisory_xact_lock(hashtext(:lock))"), {"lock": LOCK}
        )
        if not locked:
            return {"auto": 0, "late": 0, "no_show": 0}
        return await attendance_round(session, now)


async def attendance_round(session: AsyncSession, now: datetime) -> dict[str, int]:
    ids = list(
        (
            await session.scalars(
                select(Technician.id)
                .where(
                    col(Technician.archived_at).is_(None),
                    col(Technician.status) == TechnicianStatus.ACTIVE,
                    col(Technician.id).in_(select(WorkingHours.technician_id)),
                )
                .order_by(col(Technician.id))
            )
        ).all()
    )
    today = now.date()
    days = [today - timedelta(days=1), today, today + timedelta(days=1)]
    sheets = await attendance_for_days(session, ids, days, now)
    counts = {"auto": 0, "late": 0, "no_show": 0}
    for tid in ids:
        for sheet in sheets[tid]:
            start = sheet.shift_start
            if start is None or start > now or now - start > ALERT_HORIZON:
                continue
            auto = sheet.entry is None and sheet.policy.auto_clock_in
            if auto and await _auto_clock_in(session, sheet, now):
                counts["auto"] += 1
                continue
            if not sheet.policy.clock_in_required:
                continue
            if sheet.entry is not None and sheet.entry.clock_in_at is not None:
                continue
            if sheet.status is AttendanceStatus.ON_LEAVE:
                continue
            if now >= start + timedelta(minutes=sheet.policy.late_after_minutes):
                counts["late"] += await _raise(session, sheet, AttendanceAlertKind.LATE_START, now)
            if sheet.status is AttendanceStatus.ABSENT:
                counts["no_show"] += await _raise(session, sheet, AttendanceAlertKind.NO_SHOW, now)
    return counts


async def _auto_clock_in(session: AsyncSession, sheet: DaySheet, now: datetime) -> bool:
    """Clock in from the first ping inside one of the day's shifts, if there is one."""
    for start, end in sheet.shifts:
        if start > now:
            break
        ping = (
            await session.execute(
                sa.select(col(LocationPing.recorded_at), col(LocationPing.location))
                .where(
                    col(LocationPing.technician_id) == sheet.technician_id,
                    col(LocationPing.recorded_at) >= start,
                    col(LocationPing.recorded_at) < min(end, now),
                )
                .order_by(col(LocationPing.recorded_at))
                .limit(1)
            )
        ).first()
        if ping is None:
            continue
        point = to_lat_lng(ping.location)
        if point is None:
            continue
        ctx = Context(
            sheet.technician_id, sheet.territory_id, ZoneInfo(sheet.time_zone), sheet.policy
        )
        await record_clock_in(session, ctx, ping.recorded_at, point, ClockSource.AUTO_PING)
        return True
    return False


async def _raise(
    session: AsyncSession, sheet: DaySheet, kind: AttendanceAlertKind, now: datetime
) -> int:
    inserted = await session.scalar(
        insert(AttendanceAlert)
        .values(technician_id=sheet.technician_id, day=sheet.day, kind=kind, raised_at=now)
        .on_conflict_do_nothing()
        .returning(col(AttendanceAlert.technician_id))
    )
    if inserted is None:
        return 0
    start = sheet.shift_start
    minutes = int((now - start).total_seconds() // 60) if start else 0
    if kind is AttendanceAlertKind.LATE_START:
        queue_event(
            session,
            ALERTS,
            "TECHNICIAN_LATE_START",
            {
                "level": 1,
                "message": f"technician {sheet.technician_id} has not clocked in "
                f"{minutes} minutes after their shift started ({sheet.day})",
                "territory_id": sheet.territory_id,
                "technician_id": sheet.technician_id,
                "day": sheet.day.isoformat(),
            },
        )
    else:
        queue_event(
            session,
            ALERTS,
            "TECHNICIAN_NO_SHOW",
            {
                "level": 2,
                "message": f"technician {sheet.technician_id} did not clock in on {sheet.day}: "
                "a no-show",
                "territory_id": sheet.territory_id,
                "technician_id": sheet.technician_id,
                "day": sheet.day.isoformat(),
            },
        )
    return 1


JOBS = [Job("attendance-round", every_seconds=60, run=run_attendance)]
