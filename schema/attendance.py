"""GraphQL types of daily attendance: the sheet of a technician's day, clock actions, breaks,
corrections and the attendance policies."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from app.attendance import models
from app.attendance.models import (
    AttendanceBreak,
    AttendanceCorrection,
    AttendanceEntry,
    AttendancePolicy,
)
from app.attendance.service import DaySheet
from app.technicians.models import Technician
from schema.common import GeoPoint, GeoPointInput
from schema.context import Info
from schema.errors import Payload
from schema.ids import encode_id
from schema.node import Node
from schema.permissions import internal

if TYPE_CHECKING:
    from schema.technicians import TechnicianType

TechnicianRef = Annotated["TechnicianType", strawberry.lazy("schema.technicians")]

AttendanceStatus = strawberry.enum(
    models.AttendanceStatus,
    name="AttendanceStatus",
    description="A technician's standing on one day.",
)
ClockSource = strawberry.enum(
    models.ClockSource, name="ClockSource", description="How a clock-in was recorded."
)
BreakKind = strawberry.enum(models.BreakKind, name="BreakKind", description="Why a break.")


def _gid(type_name: str, db_id: int | None) -> strawberry.ID | None:
    return None if db_id is None else strawberry.ID(encode_id(type_name, db_id))


@strawberry.type(name="AttendanceBreak", description="A break inside a working day.")
class AttendanceBreakType:
    kind: BreakKind = strawberry.field(  # type: ignore[valid-type]
        description="Meal, rest, personal or other."
    )
    started_at: datetime = strawberry.field(description="When it began.")
    ended_at: datetime | None = strawberry.field(description="When it ended; null: under way.")

    @classmethod
    def from_model(cls, row: AttendanceBreak) -> AttendanceBreakType:
        return cls(kind=row.kind, started_at=row.started_at, ended_at=row.ended_at)


@strawberry.type(
    name="AttendanceCorrection", description="A manager or dispatcher's audited change to a day."
)
class AttendanceCorrectionType:
    actor: str = strawberry.field(
        extensions=[internal()], description="Who corrected it (user subject)."
    )
    actor_role: str = strawberry.field(description="Their role then.")
    reason: str = strawberry.field(description="Why.")
    changes: JSON = strawberry.field(
        description="Each changed field with its old and new value: {field: [old, new]}."
    )
    corrected_at: datetime = strawberry.field(description="When.")

    @classmethod
    def from_model(cls, row: AttendanceCorrection) -> AttendanceCorrectionType:
        return cls(
            actor=row.actor,
            actor_role=row.actor_role,
            reason=row.reason,
            changes=JSON(row.changes),
            corrected_at=row.corrected_at,
        )


@strawberry.type(
    name="AttendanceDay",
    description=(
        "One technician's attendance on one local day (their territory's time zone): the "
        "planned shift against the actual clock-in, clock-out and breaks, worked, late and "
        "overtime minutes, and a status."
    ),
)
class AttendanceDayType:
    technician_id: strawberry.ID = strawberry.field(description="The technician.")
    date: date = strawberry.field(description="The local day.")
    time_zone: str = strawberry.field(description="The time zone the day is read in.")
    status: AttendanceStatus = strawberry.field(  # type: ignore[valid-type]
        description="Present, late, absent (no-show), on leave, not started yet or off duty."
    )
    shift_start: datetime | None = strawberry.field(
        description="Planned start: the first working window (weekly hours less time off)."
    )
    shift_end: datetime | None = strawberry.field(description="Planned end of the last window.")
    planned_minutes: int = strawberry.field(description="Planned working minutes.")
    clock_in_at: datetime | None = strawberry.field(description="When they clocked in.")
    clock_in_location: GeoPoint | None = strawberry.field(description="Where they clocked in.")
    clock_in_source: ClockSource | None = strawberry.field(  # type: ignore[valid-type]
        description="By hand, from the first ping inside the shift, or by a correction."
    )
    clock_out_at: datetime | None = strawberry.field(description="When they clocked out.")
    clock_out_location: GeoPoint | None = strawberry.field(description="Where they clocked out.")
    breaks: list[AttendanceBreakType] = strawberry.field(description="Breaks, in order.")
    worked_minutes: int = strawberry.field(
        description="Clocked time less breaks (until now while still clocked in)."
    )
    break_minutes: int = strawberry.field(description="Minutes of break.")
    late_minutes: int = strawberry.field(
        description="Minutes between the planned start and the clock-in (or now, if none)."
    )
    overtime_minutes: int = strawberry.field(description="Worked beyond the planned minutes.")
    daily_overtime_minutes: int = strawberry.field(
        description="Worked beyond the policy's daily threshold."
    )
    time_off_reason: str | None = strawberry.field(
        description="The reason of time off overlapping the shift, if any."
    )
    version: int | None = strawberry.field(
        description="The day's version for corrections (expectedVersion); null: nothing recorded."
    )
    entry_id: strawberry.Private[int | None]

    @strawberry.field(description="The technician.")
    async def technician(self, info: Info) -> TechnicianRef | None:
        from schema.ids import decode_id
        from schema.technicians import TechnicianType

        db_id = decode_id(self.technician_id, "Technician", "technicianId")
        row = await info.context.loaders.by_id(Technician).load(db_id)
        return TechnicianType.from_model(row) if row else None

    @strawberry.field(description="Corrections made to the day, oldest first.")
    async def corrections(self, info: Info) -> list[AttendanceCorrectionType]:
        if self.entry_id is None:
            return []
        loader = info.context.loaders.children(
            AttendanceCorrection,
            AttendanceCorrection.entry_id,
        )
        rows = await loader.load(self.entry_id)
        return [AttendanceCorrectionType.from_model(r) for r in rows]

    @classmethod
    def from_sheet(cls, sheet: DaySheet) -> AttendanceDayType:
        entry = sheet.entry
        return cls(
            technician_id=strawberry.ID(encode_id("Technician", sheet.technician_id)),
            date=sheet.day,
            time_zone=sheet.time_zone,
            status=sheet.status,
            shift_start=sheet.shift_start,
            shift_end=sheet.shift_end,
            planned_minutes=sheet.planned_minutes,
            clock_in_at=entry.clock_in_at if entry else None,
            clock_in_location=GeoPoint.from_value(entry.clock_in_location) if entry else None,
            clock_in_source=entry.clock_in_source if entry else None,
            clock_out_at=entry.clock_out_at if entry else None,
            clock_out_location=GeoPoint.from_value(entry.clock_out_location) if entry else None,
            breaks=[AttendanceBreakType.from_model(b) for b in sheet.breaks],
            worked_minutes=sheet.worked_minutes,
            break_minutes=sheet.break_minutes,
            late_minutes=sheet.late_minutes,
            overtime_minutes=sheet.overtime_minutes,
            daily_overtime_minutes=sheet.daily_overtime_minutes,
            time_off_reason=sheet.time_off_reason,
            version=entry.version if entry else None,
            entry_id=entry.id if entry else None,
        )


@strawberry.type(
    name="AttendanceEntry",
    description="What was recorded for a technician's day: the clock-in and clock-out.",
)
class AttendanceEntryType(Node):
    technician_id: strawberry.ID = strawberry.field(description="The technician.")
    date: date = strawberry.field(description="The local day.")
    clock_in_at: datetime | None = strawberry.field(description="When they clocked in.")
    clock_in_source: ClockSource | None = strawberry.field(  # type: ignore[valid-type]
        description="By hand, from the first ping inside the shift, or by a correction."
    )
    clock_out_at: datetime | None = strawberry.field(description="When they clocked out.")
    version: int = strawberry.field(description="For expectedVersion in corrections.")
    row: strawberry.Private[AttendanceEntry]

    @strawberry.field(description="The whole day as it stands now: shift, breaks, minutes.")
    async def day(self, info: Info) -> AttendanceDayType:
        from app.attendance.service import attendance_for_day

        sheets = await attendance_for_day(
            info.context.session, [self.row.technician_id], self.row.day
        )
        return AttendanceDayType.from_sheet(sheets[self.row.technician_id])

    @classmethod
    def from_model(cls, row: AttendanceEntry) -> AttendanceEntryType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            technician_id=strawberry.ID(encode_id("Technician", row.technician_id)),
            date=row.day,
            clock_in_at=row.clock_in_at,
            clock_in_source=row.clock_in_source,
            clock_out_at=row.clock_out_at,
            version=row.version,
            row=row,
        )


@strawberry.type(
    name="AttendancePolicy",
    description="Attendance thresholds of a territory, or the default for every other one.",
)
class AttendancePolicyType:
    territory_id: strawberry.ID | None = strawberry.field(
        description="The territory; null: the default row."
    )
    clock_in_required: bool = strawberry.field(
        description="Technicians must clock in: late starts and no-shows are alerted and a "
        "no-show is left out of today's dispatch."
    )
    auto_clock_in: bool = strawberry.field(
        description="The first location ping inside a shift clocks the technician in."
    )
    late_after_minutes: int = strawberry.field(
        description="Minutes after the shift's start before a clock-in is late (and alerted)."
    )
    no_show_after_minutes: int = strawberry.field(
        description="Minutes after the shift's start before no clock-in is a no-show."
    )
    overtime_daily_minutes: int = strawberry.field(
        description="Worked minutes a day beyond which time is daily overtime."
    )
    max_backdate_hours: int = strawberry.field(
        description="How old a clock action buffered offline may be."
    )
    version: int = strawberry.field(description="For expectedVersion.")

    @classmethod
    def from_model(cls, row: AttendancePolicy) -> AttendancePolicyType:
        return cls(
            territory_id=_gid("Territory", row.territory_id),
            clock_in_required=row.clock_in_required,
            auto_clock_in=row.auto_clock_in,
            late_after_minutes=row.late_after_minutes,
            no_show_after_minutes=row.no_show_after_minutes,
            overtime_daily_minutes=row.overtime_daily_minutes,
            max_backdate_hours=row.max_backdate_hours,
            version=row.version,
        )


@strawberry.input(description="Clock in or out: the calling technician, where they stand.")
class ClockInput:
    location: GeoPointInput = strawberry.field(description="Where the technician stands.")
    at: datetime | None = strawberry.field(
        default=None,
        description="When it happened, for an action the app buffered offline; default now. "
        "Never in the future, at most the policy's maxBackdateHours old.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key returns the first result."
    )


@strawberry.input(description="Start a break (the calling technician, clocked in).")
class StartBreakInput:
    kind: BreakKind = strawberry.field(  # type: ignore[valid-type]
        description="Why the break."
    )
    at: datetime | None = strawberry.field(default=None, description="When; default now.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key returns the first result."
    )


@strawberry.input(description="End the break under way.")
class EndBreakInput:
    at: datetime | None = strawberry.field(default=None, description="When; default now.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key returns the first result."
    )


@strawberry.input(description="Correct a technician's day: set its clock-in and clock-out.")
class CorrectAttendanceInput:
    technician_id: strawberry.ID = strawberry.field(description="The technician.")
    date: date = strawberry.field(description="The local day.")
    clock_in_at: datetime = strawberry.field(description="The clock-in (on that local day).")
    clock_out_at: datetime | None = strawberry.field(
        default=None, description="The clock-out; null: still clocked in."
    )
    reason: str = strawberry.field(description="Why, 1 to 1,000 characters; audited.")
    expected_version: int | None = strawberry.field(
        default=None, description="The day's version read; a stale one is refused."
    )


@strawberry.input(description="Create or replace an attendance policy.")
class SetAttendancePolicyInput:
    territory_id: strawberry.ID | None = strawberry.field(
        default=None, description="The territory; null: the default row."
    )
    clock_in_required: bool = strawberry.field(
        default=True,
        description="Technicians must clock in: late starts and no-shows are alerted and a "
        "no-show is left out of today's dispatch.",
    )
    auto_clock_in: bool = strawberry.field(
        default=False, description="Clock in from the first location ping inside a shift."
    )
    late_after_minutes: int = strawberry.field(default=10, description="0 to 1440.")
    no_show_after_minutes: int = strawberry.field(default=120, description="1 to 1440.")
    overtime_daily_minutes: int = strawberry.field(default=540, description="0 to 1440.")
    max_backdate_hours: int = strawberry.field(default=24, description="0 to 72.")
    expected_version: int | None = strawberry.field(
        default=None, description="The policy's version read; a stale one is refused."
    )


@strawberry.type
class AttendanceEntryPayload(Payload):
    entry: AttendanceEntryType | None = strawberry.field(
        default=None, description="The day's record as saved; null when the change failed."
    )


@strawberry.type
class AttendancePolicyPayload(Payload):
    policy: AttendancePolicyType | None = strawberry.field(
        default=None, description="The policy as saved; null when the change failed."
    )
