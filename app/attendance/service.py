"""Attendance rules: clocking, breaks, corrections, the daily sheet and its alerts.

For the dispatch board and other domains:

    `attendance_for_day(session, technician_ids, day, now=None) -> dict[int, DaySheet]`

gives each technician's standing on a local day (their territory's time zone): the planned
shifts (weekly hours less time off, none on a territory holiday), the clock-in and clock-out,
breaks, worked, late and overtime minutes and a status (PRESENT, LATE, ABSENT, ON_LEAVE,
NOT_STARTED, OFF_DUTY), as of `now` (default: the current time). Queries are a fixed number
whatever the number of technicians.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.attendance.models import (
    AttendanceBreak,
    AttendanceCorrection,
    AttendanceEntry,
    AttendancePolicy,
    AttendancePolicyBase,
    AttendanceStatus,
    BreakKind,
    ClockSource,
)
from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, Forbidden, NotFound, invalid
from app.core.geo import LatLng, point_value
from app.core.models import utcnow
from app.core.repository import check_version
from app.technicians.models import (
    END_OF_DAY,
    Technician,
    TechnicianStatus,
    TerritoryMembership,
    TimeOff,
    WorkingHours,
)
from app.territories.models import Territory, TerritoryHoliday

Window = tuple[datetime, datetime]
CORRECTORS = (Role.ADMIN, Role.MANAGER, Role.DISPATCHER)
CLOCK_SKEW = timedelta(minutes=2)
LONGEST_SHIFT = timedelta(hours=24)
"""A clock-in and its clock-out are at most this far apart (a correction included)."""
FIRST_DAY = date(2000, 1, 1)


def check_day(day: date, field: str) -> None:
    """A local day attendance can be about: from 2000 to a year ahead (a day far outside is a
    client's mistake, and would overflow the date arithmetic)."""
    if not FIRST_DAY <= day <= utcnow().date() + timedelta(days=366):
        raise DomainError(f"a day from {FIRST_DAY} to a year from now", ErrorCode.INVALID, [field])


"""A device clock this far ahead of ours is still believed."""
DEFAULT_POLICY = AttendancePolicyBase()


@dataclass(frozen=True)
class DaySheet:
    """One technician's attendance on one local day, as of `as_of`."""

    technician_id: int
    day: date
    territory_id: int | None
    time_zone: str
    policy: AttendancePolicyBase
    shifts: list[Window]
    """The planned working windows, UTC, less time off."""
    time_off_reason: str | None
    entry: AttendanceEntry | None
    breaks: list[AttendanceBreak]
    status: AttendanceStatus
    planned_minutes: int
    worked_minutes: int
    break_minutes: int
    late_minutes: int
    overtime_minutes: int
    """Worked beyond the planned shifts."""
    daily_overtime_minutes: int
    """Worked beyond the policy's daily threshold."""
    as_of: datetime = field(compare=False)

    @property
    def shift_start(self) -> datetime | None:
        return self.shifts[0][0] if self.shifts else None

    @property
    def shift_end(self) -> datetime | None:
        return self.shifts[-1][1] if self.shifts else None


# --- the day's calendar -------------------------------------------------------------------


async def territories_on(
    session: AsyncSession, technician_ids: Sequence[int], day: date
) -> dict[int, Territory]:
    """The territory that rules each technician's calendar on `day` (primary first)."""
    rows = await session.execute(
        select(TerritoryMembership.technician_id, Territory)
        .join(Territory, col(Territory.id) == col(TerritoryMembership.territory_id))
        .where(
            col(TerritoryMembership.technician_id).in_(technician_ids),
            col(TerritoryMembership.valid_from) <= day,
            col(TerritoryMembership.valid_to).is_(None)
            | (col(TerritoryMembership.valid_to) >= day),
        )
        .order_by(col(TerritoryMembership.is_primary), col(TerritoryMembership.id).desc())
    )
    return dict(rows.all())


async def policies(session: AsyncSession) -> dict[int | None, AttendancePolicy]:
    rows = await session.scalars(select(AttendancePolicy))
    return {row.territory_id: row for row in rows.all()}


def policy_for(
    found: dict[int | None, AttendancePolicy], territory_id: int | None
) -> AttendancePolicyBase:
    return found.get(territory_id) or found.get(None) or DEFAULT_POLICY


def _shift_window(day: date, shift: WorkingHours, zone: ZoneInfo) -> Window:
    start = datetime.combine(day, shift.starts_at, zone)
    if shift.ends_at == END_OF_DAY:
        end = datetime.combine(day + timedelta(days=1), time(0), zone)
    else:
        end = datetime.combine(day, shift.ends_at, zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _subtract(windows: list[Window], cuts: Sequence[Window]) -> list[Window]:
    for cut_start, cut_end in cuts:
        kept: list[Window] = []
        for start, end in windows:
            if cut_end <= start or cut_start >= end:
                kept.append((start, end))
                continue
            if start < cut_start:
                kept.append((start, cut_start))
            if cut_end < end:
                kept.append((cut_end, end))
        windows = kept
    return windows


def _minutes(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))


async def attendance_for_day(
    session: AsyncSession,
    technician_ids: Sequence[int],
    day: date,
    now: datetime | None = None,
) -> dict[int, DaySheet]:
    """Each technician's attendance sheet on the local `day` (see the module docstring)."""
    sheets = await attendance_for_days(session, technician_ids, [day], now)
    return {tid: days[0] for tid, days in sheets.items()}


async def attendance_for_days(
    session: AsyncSession,
    technician_ids: Sequence[int],
    days: Sequence[date],
    now: datetime | None = None,
) -> dict[int, list[DaySheet]]:
    """Each technician's sheets for `days` (in that order); a fixed number of queries per day."""
    now = now or utcnow()
    ids = list(dict.fromkeys(technician_ids))
    result: dict[int, list[DaySheet]] = {tid: [] for tid in ids}
    if not ids or not days:
        return result
    found_policies = await policies(session)
    active = set(
        (
            await session.scalars(
                select(Technician.id).where(
                    col(Technician.id).in_(ids),
                    col(Technician.archived_at).is_(None),
                    col(Technician.status) == TechnicianStatus.ACTIVE,
                )
            )
        ).all()
    )
    first, last = min(days), max(days)
    span_start = datetime.combine(first, time(0), UTC) - timedelta(days=1)
    span_end = datetime.combine(last, time(0), UTC) + timedelta(days=2)
    shifts = (
        await session.scalars(
            select(WorkingHours)
            .where(
                col(WorkingHours.technician_id).in_(ids),
                col(WorkingHours.weekday).in_({d.weekday() for d in days}),
            )
            .order_by(col(WorkingHours.starts_at))
        )
    ).all()
    weekly: dict[tuple[int, int], list[WorkingHours]] = defaultdict(list)
    for shift in shifts:
        weekly[(shift.technician_id, shift.weekday)].append(shift)
    time_off = (
        await session.scalars(
            select(TimeOff).where(
                col(TimeOff.technician_id).in_(ids),
                col(TimeOff.ends_at) > span_start,
                col(TimeOff.starts_at) < span_end,
            )
        )
    ).all()
    leave: dict[int, list[TimeOff]] = defaultdict(list)
    for away in time_off:
        leave[away.technician_id].append(away)
    entries = (
        await session.scalars(
            select(AttendanceEntry).where(
                col(AttendanceEntry.technician_id).in_(ids),
                col(AttendanceEntry.day).in_(list(days)),
            )
        )
    ).all()
    by_day = {(e.technician_id, e.day): e for e in entries}
    breaks: dict[int, list[AttendanceBreak]] = defaultdict(list)
    if entries:
        for row in (
            await session.scalars(
                select(AttendanceBreak)
                .where(col(AttendanceBreak.entry_id).in_([e.id for e in entries]))
                .order_by(col(AttendanceBreak.started_at))
            )
        ).all():
            breaks[row.entry_id].append(row)
    members = (
        await session.execute(
            select(TerritoryMembership, Territory)
            .join(Territory, col(Territory.id) == col(TerritoryMembership.territory_id))
            .where(
                col(TerritoryMembership.technician_id).in_(ids),
                col(TerritoryMembership.valid_from) <= last,
                col(TerritoryMembership.valid_to).is_(None)
                | (col(TerritoryMembership.valid_to) >= first),
            )
            .order_by(col(TerritoryMembership.is_primary), col(TerritoryMembership.id).desc())
        )
    ).all()
    holidays = set(
        (
            await session.execute(
                sa.select(col(TerritoryHoliday.territory_id), col(TerritoryHoliday.day)).where(
                    col(TerritoryHoliday.territory_id).in_({t.id for _, t in members}),
                    col(TerritoryHoliday.day).in_(list(days)),
                )
            )
        ).all()
    )
    for day in days:
        zones = {
            m.technician_id: t
            for m, t in members
            if m.valid_from <= day and (m.valid_to is None or m.valid_to >= day)
        }
        for tid in ids:
            territory = zones.get(tid)
            zone_name = territory.time_zone if territory is not None else "UTC"
            zone = ZoneInfo(zone_name)
            planned: list[Window] = []
            if tid in active and (territory is None or (territory.id, day) not in holidays):
                planned = sorted(_shift_window(day, s, zone) for s in weekly[(tid, day.weekday())])
            cuts = [(t.starts_at, t.ends_at) for t in leave[tid]]
            kept = sorted(_subtract(planned, cuts))
            reasons = [
                t.reason or "time off"
                for t in leave[tid]
                if any(t.starts_at < b and t.ends_at > a for a, b in planned)
            ]
            entry = by_day.get((tid, day))
            result[tid].append(
                _sheet(
                    tid,
                    day,
                    territory,
                    zone_name,
                    policy_for(found_policies, territory.id if territory else None),
                    planned,
                    kept,
                    reasons[0] if reasons else None,
                    entry,
                    breaks[entry.id or 0] if entry else [],
                    now,
                )
            )
    return result


def _sheet(
    tid: int,
    day: date,
    territory: Territory | None,
    zone: str,
    policy: AttendancePolicyBase,
    planned: list[Window],
    kept: list[Window],
    leave_reason: str | None,
    entry: AttendanceEntry | None,
    breaks: list[AttendanceBreak],
    now: datetime,
) -> DaySheet:
    planned_minutes = sum(_minutes(b - a) for a, b in kept)
    start = kept[0][0] if kept else None
    end = kept[-1][1] if kept else None
    worked = paused = late = 0
    if entry is not None and entry.clock_in_at is not None:
        clock_in = entry.clock_in_at
        # a day never clocked out counts up to now, or to a day's length at most: a forgotten
        # clock-out does not grow a past day's hours (and overtime) for ever
        out = max(entry.clock_out_at or min(now, clock_in + LONGEST_SHIFT), clock_in)
        paused = sum(
            _minutes(min(b.ended_at or now, out) - max(b.started_at, clock_in)) for b in breaks
        )
        worked = max(0, _minutes(out - clock_in) - paused)
        late = _minutes(clock_in - start) if start is not None else 0
        status = (
            AttendanceStatus.LATE if late > policy.late_after_minutes else AttendanceStatus.PRESENT
        )
    elif planned and not kept:
        status = AttendanceStatus.ON_LEAVE
    elif start is None or end is None:
        status = AttendanceStatus.OFF_DUTY
    elif now < start + timedelta(minutes=policy.late_after_minutes):
        status = AttendanceStatus.NOT_STARTED
    elif now >= start + timedelta(minutes=policy.no_show_after_minutes) or now >= end:
        status = AttendanceStatus.ABSENT
    else:
        status = AttendanceStatus.LATE
        late = _minutes(now - start)
    return DaySheet(
        technician_id=tid,
        day=day,
        territory_id=territory.id if territory is not None else None,
        time_zone=zone,
        policy=policy,
        shifts=kept,
        time_off_reason=leave_reason,
        entry=entry,
        breaks=breaks,
        status=status,
        planned_minutes=planned_minutes,
        worked_minutes=worked,
        break_minutes=paused,
        late_minutes=late,
        overtime_minutes=max(0, worked - planned_minutes) if entry is not None else 0,
        daily_overtime_minutes=max(0, worked - policy.overtime_daily_minutes),
        as_of=now,
    )


async def absent_today(
    session: AsyncSession, technician_ids: Sequence[int], day: date, now: datetime
) -> dict[int, AttendanceStatus]:
    """The technicians who will not work on `day`: no-shows (ABSENT) where their policy
    requires a clock-in, and those on leave."""
    sheets = await attendance_for_day(session, technician_ids, day, now)
    return {
        tid: s.status
        for tid, s in sheets.items()
        if s.status is AttendanceStatus.ON_LEAVE
        or (s.status is AttendanceStatus.ABSENT and s.policy.clock_in_required)
    }


# --- clocking -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    technician_id: int
    territory_id: int | None
    zone: ZoneInfo
    policy: AttendancePolicyBase


async def _context(session: AsyncSession, technician_id: int, at: datetime) -> Context:
    zones = await territories_on(session, [technician_id], at.astimezone(UTC).date())
    territory = zones.get(technician_id)
    found = await policies(session)
    return Context(
        technician_id,
        territory.id if territory is not None else None,
        ZoneInfo(territory.time_zone if territory is not None else "UTC"),
        policy_for(found, territory.id if territory is not None else None),
    )


def _own_technician(principal: Principal) -> int:
    if principal.role is not Role.TECHNICIAN or principal.technician_id is None:
        raise Forbidden("only a technician clocks, and only themselves")
    return principal.technician_id


def _when(at: datetime | None, now: datetime, policy: AttendancePolicyBase) -> datetime:
    if at is None:
        return now
    if at.tzinfo is None:
        raise invalid("a date-time needs a zone offset", "at")
    if at > now + CLOCK_SKEW:
        raise invalid("at is in the future", "at")
    if at < now - timedelta(hours=policy.max_backdate_hours):
        raise invalid(f"at is more than {policy.max_backdate_hours} hours ago", "at")
    return at


async def _entry_for_update(
    session: AsyncSession, technician_id: int, day: date
) -> AttendanceEntry | None:
    return await session.scalar(
        select(AttendanceEntry)
        .where(col(AttendanceEntry.technician_id) == technician_id, col(AttendanceEntry.day) == day)
        .with_for_update()
    )


async def _open_entry(session: AsyncSession, technician_id: int, at: datetime) -> AttendanceEntry:
    """The technician's latest day clocked in and not out, locked."""
    row = await session.scalar(
        select(AttendanceEntry)
        .where(
            col(AttendanceEntry.technician_id) == technician_id,
            col(AttendanceEntry.clock_in_at).is_not(None),
            col(AttendanceEntry.clock_out_at).is_(None),
            col(AttendanceEntry.clock_in_at) <= at,
            col(AttendanceEntry.clock_in_at) > at - timedelta(hours=36),
        )
        .order_by(col(AttendanceEntry.clock_in_at).desc())
        .limit(1)
        .with_for_update()
    )
    if row is None:
        raise DomainError("not clocked in", ErrorCode.INVALID)
    return row


async def clock_in(
    session: AsyncSession,
    principal: Principal,
    location: LatLng,
    at: datetime | None = None,
    *,
    now: datetime | None = None,
) -> AttendanceEntry:
    """Clock the calling technician in, at `location`, for the local day of `at` (default now)."""
    technician_id = _own_technician(principal)
    now = now or utcnow()
    ctx = await _context(session, technician_id, at or now)
    when = _when(at, now, ctx.policy)
    return await record_clock_in(session, ctx, when, location, ClockSource.MANUAL)


async def record_clock_in(
    session: AsyncSession, ctx: Context, when: datetime, location: LatLng, source: ClockSource
) -> AttendanceEntry:
    day = when.astimezone(ctx.zone).date()
    entry = await _entry_for_update(session, ctx.technician_id, day)
    if entry is not None and entry.clock_in_at is not None:
        raise DomainError(f"already clocked in on {day}", ErrorCode.CONFLICT)
    if entry is None:
        entry = AttendanceEntry(technician_id=ctx.technician_id, day=day)
    else:
        entry.touch()
    entry.territory_id = ctx.territory_id
    entry.clock_in_at = when
    entry.clock_in_location = point_value(location.lat, location.lng)
    entry.clock_in_source = source
    await _save(session, entry, f"already clocked in on {day}")
    return entry


async def _save(session: AsyncSession, entry: AttendanceEntry, taken: str) -> None:
    """Flush; a day created at the same moment by another request is a CONFLICT."""
    try:
        async with session.begin_nested():
            session.add(entry)
            await session.flush()
    except IntegrityError as error:
        raise DomainError(taken, ErrorCode.CONFLICT) from error


async def clock_out(
    session: AsyncSession,
    principal: Principal,
    location: LatLng,
    at: datetime | None = None,
    *,
    now: datetime | None = None,
) -> AttendanceEntry:
    """Clock the calling technician out of their open day; an open break ends with it."""
    technician_id = _own_technician(principal)
    now = now or utcnow()
    ctx = await _context(session, technician_id, at or now)
    when = _when(at, now, ctx.policy)
    entry = await _open_entry(session, technician_id, when)
    entry.clock_out_at = when
    entry.clock_out_location = point_value(location.lat, location.lng)
    entry.touch()
    await session.execute(
        sa.update(AttendanceBreak)
        .where(col(AttendanceBreak.entry_id) == entry.id, col(AttendanceBreak.ended_at).is_(None))
        .values(ended_at=when)
    )
    await session.flush()
    return entry


async def start_break(
    session: AsyncSession,
    principal: Principal,
    kind: BreakKind,
    at: datetime | None = None,
    *,
    now: datetime | None = None,
) -> AttendanceEntry:
    technician_id = _own_technician(principal)
    now = now or utcnow()
    ctx = await _context(session, technician_id, at or now)
    when = _when(at, now, ctx.policy)
    entry = await _open_entry(session, technician_id, when)
    open_break = await session.scalar(
        select(AttendanceBreak.id).where(
            col(AttendanceBreak.entry_id) == entry.id, col(AttendanceBreak.ended_at).is_(None)
        )
    )
    if open_break is not None:
        raise DomainError("a break is already under way", ErrorCode.CONFLICT)
    session.add(AttendanceBreak(entry_id=entry.id or 0, kind=kind, started_at=when))
    entry.touch()
    await session.flush()
    return entry


async def end_break(
    session: AsyncSession,
    principal: Principal,
    at: datetime | None = None,
    *,
    now: datetime | None = None,
) -> AttendanceEntry:
    technician_id = _own_technician(principal)
    now = now or utcnow()
    ctx = await _context(session, technician_id, at or now)
    when = _when(at, now, ctx.policy)
    entry = await _open_entry(session, technician_id, when)
    row = await session.scalar(
        select(AttendanceBreak)
        .where(col(AttendanceBreak.entry_id) == entry.id, col(AttendanceBreak.ended_at).is_(None))
        .with_for_update()
    )
    if row is None:
        raise DomainError("no break under way", ErrorCode.INVALID)
    if when < row.started_at:
        raise invalid("a break cannot end before it started", "at")
    row.ended_at = when
    entry.touch()
    await session.flush()
    return entry


# --- corrections --------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


async def correct(
    session: AsyncSession,
    principal: Principal,
    technician_id: int,
    day: date,
    clock_in_at: datetime,
    clock_out_at: datetime | None,
    reason: str,
    expected_version: int | None,
) -> AttendanceEntry:
    """A manager or dispatcher sets a day's clock-in and clock-out, saying why; audited."""
    if not principal.has_role(*CORRECTORS):
        raise Forbidden("only managers, dispatchers and admins correct attendance")
    reason = reason.strip()
    if not 1 <= len(reason) <= 1000:
        raise invalid("a reason of 1 to 1,000 characters is required", "reason")
    for name, value in (("clockInAt", clock_in_at), ("clockOutAt", clock_out_at)):
        if value is not None and value.tzinfo is None:
            raise invalid("a date-time needs a zone offset", name)
    check_day(day, "date")
    if clock_out_at is not None and clock_out_at < clock_in_at:
        raise invalid("clock-out is before clock-in", "clockOutAt")
    if clock_out_at is not None and clock_out_at - clock_in_at > LONGEST_SHIFT:
        raise invalid("a clock-out at most 24 hours after the clock-in", "clockOutAt")
    if clock_out_at is not None and clock_out_at > utcnow() + CLOCK_SKEW:
        raise invalid("clock-out is in the future", "clockOutAt")
    if await session.get(Technician, technician_id) is None:
        raise NotFound("technician", ["technicianId"])
    ctx = await _context(session, technician_id, datetime.combine(day, time(12), UTC))
    local = clock_in_at.astimezone(ctx.zone).date()
    if local != day:
        raise invalid(f"clock-in falls on {local}, not {day}", "clockInAt")
    if clock_in_at > utcnow() + CLOCK_SKEW:
        raise invalid("clock-in is in the future", "clockInAt")
    entry = await _entry_for_update(session, technician_id, day)
    if entry is None:
        if expected_version is not None:
            raise NotFound("attendance day", ["expectedVersion"])
        entry = AttendanceEntry(technician_id=technician_id, day=day, territory_id=ctx.territory_id)
    else:
        check_version(entry, expected_version)
        entry.touch()
    changes: dict[str, Any] = {}
    if entry.clock_in_at != clock_in_at:
        changes["clock_in_at"] = [_iso(entry.clock_in_at), _iso(clock_in_at)]
        entry.clock_in_at = clock_in_at
        entry.clock_in_source = ClockSource.CORRECTION
    if entry.clock_out_at != clock_out_at:
        changes["clock_out_at"] = [_iso(entry.clock_out_at), _iso(clock_out_at)]
        entry.clock_out_at = clock_out_at
    await _save(session, entry, f"the day {day} was recorded meanwhile: read it again")
    session.add(
        AttendanceCorrection(
            entry_id=entry.id or 0,
            actor=principal.subject,
            actor_role=principal.role.value,
            reason=reason,
            changes=changes,
        )
    )
    await session.flush()
    return entry


async def corrections_of(
    session: AsyncSession, entry_ids: Sequence[int]
) -> dict[int, list[AttendanceCorrection]]:
    rows = await session.scalars(
        select(AttendanceCorrection)
        .where(col(AttendanceCorrection.entry_id).in_(entry_ids))
        .order_by(col(AttendanceCorrection.id))
    )
    found: dict[int, list[AttendanceCorrection]] = defaultdict(list)
    for row in rows.all():
        found[row.entry_id].append(row)
    return found


# --- policies -----------------------------------------------------------------------------


async def set_policy(
    session: AsyncSession,
    territory_id: int | None,
    data: AttendancePolicyBase,
    expected_version: int | None,
) -> AttendancePolicy:
    """Create or replace the policy of a territory (None: the default for the others)."""
    if territory_id is not None and await session.get(Territory, territory_id) is None:
        raise NotFound("territory", ["territoryId"])
    row = await session.scalar(
        select(AttendancePolicy)
        .where(
            col(AttendancePolicy.territory_id).is_(None)
            if territory_id is None
            else col(AttendancePolicy.territory_id) == territory_id
        )
        .with_for_update()
    )
    if row is None:
        if expected_version is not None:
            raise NotFound("attendance policy", ["expectedVersion"])
        row = AttendancePolicy(territory_id=territory_id)
        session.add(row)
    else:
        check_version(row, expected_version)
        row.touch()
    for name in AttendancePolicyBase.model_fields:
        setattr(row, name, getattr(data, name))
    await session.flush()
    return row
