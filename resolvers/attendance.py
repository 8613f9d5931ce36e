"""Attendance queries and mutations: clocking in and out, breaks, the daily sheets, manager
corrections and the attendance policies."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import strawberry
from sqlmodel import col, select

from app.attendance import repository, service
from app.attendance.models import AttendanceEntry, AttendancePolicyBase
from app.core.auth import Role
from app.core.errors import DomainError, ErrorCode, NotFound, collect
from app.core.models import utcnow
from app.technicians.models import Technician, TerritoryMembership
from app.technicians.repository import visible
from app.territories.models import Territory
from resolvers.base import execute
from schema.attendance import (
    AttendanceDayType,
    AttendanceEntryPayload,
    AttendanceEntryType,
    AttendancePolicyPayload,
    AttendancePolicyType,
    ClockInput,
    CorrectAttendanceInput,
    EndBreakInput,
    SetAttendancePolicyInput,
    StartBreakInput,
)
from schema.context import Info
from schema.ids import decode_id, decode_optional_id
from schema.node import register_node
from schema.pagination import FirstItems
from schema.permissions import allow, staff

register_node(AttendanceEntryType, repository.get_readable, AttendanceEntryType.from_model)

READERS = (Role.ADMIN, Role.MANAGER, Role.DISPATCHER, Role.AGENT, Role.TECHNICIAN, Role.PARTNER)
"""Customers see no attendance."""
MANAGERS = (Role.ADMIN, Role.MANAGER, Role.DISPATCHER, Role.PARTNER)
LONGEST_SHEET = timedelta(days=62)
MOST_TECHNICIANS = 500


def _entry(row: AttendanceEntry) -> AttendanceEntryPayload:
    return AttendanceEntryPayload(entry=AttendanceEntryType.from_model(row))


@strawberry.type
class AttendanceQuery:
    @strawberry.field(
        extensions=[allow(*READERS)],
        description=(
            "A technician's attendance day by day from `from` to `to` (both local days "
            "included, at most 62): staff see anyone, a partner its own technicians, a "
            "technician only themselves; customers nothing."
        ),
    )
    async def attendance_sheet(
        self,
        info: Info,
        technician_id: strawberry.ID,
        from_: Annotated[
            date, strawberry.argument(name="from", description="The first local day.")
        ],
        to: Annotated[date, strawberry.argument(description="The last local day.")],
    ) -> list[AttendanceDayType]:
        service.check_day(from_, "from")
        service.check_day(to, "to")
        if to < from_:
            raise DomainError("to is before from", ErrorCode.INVALID, ["to"])
        if to - from_ >= LONGEST_SHEET:
            raise DomainError("at most 62 days at a time", ErrorCode.INVALID, ["to"])
        session = info.context.session
        tid = decode_id(technician_id, "Technician", "technicianId")
        await repository.readable_technician(session, info.context.principal, tid)
        days = [from_ + timedelta(days=i) for i in range((to - from_).days + 1)]
        sheets = await service.attendance_for_days(session, [tid], days)
        return [AttendanceDayType.from_sheet(s) for s in sheets[tid]]

    @strawberry.field(
        extensions=[allow(*MANAGERS), FirstItems(MOST_TECHNICIANS)],
        description=(
            "A territory's attendance on one local day, one row per technician who belongs "
            "to it that day, by name: admins, managers and dispatchers see all, a partner its "
            "own technicians."
        ),
    )
    async def attendance_day(
        self,
        info: Info,
        territory_id: strawberry.ID,
        date: Annotated[
            date | None,
            strawberry.argument(description="The local day; default today in the territory."),
        ] = None,
    ) -> list[AttendanceDayType]:
        session = info.context.session
        area = decode_id(territory_id, "Territory", "territoryId")
        territory = await session.get(Territory, area)
        if territory is None:
            raise NotFound("territory", ["territoryId"])
        if date is None:
            date = utcnow().astimezone(ZoneInfo(territory.time_zone)).date()
        service.check_day(date, "date")
        ids = list(
            (
                await session.scalars(
                    select(Technician.id)
                    .where(
                        col(Technician.id).in_(
                            select(TerritoryMembership.technician_id).where(
                                col(TerritoryMembership.territory_id) == area,
                                col(TerritoryMembership.valid_from) <= date,
                                col(TerritoryMembership.valid_to).is_(None)
                                | (col(TerritoryMembership.valid_to) >= date),
                            )
                        ),
                        col(Technician.archived_at).is_(None),
                        visible(info.context.principal),
                    )
                    .order_by(col(Technician.name), col(Technician.id))
                    .limit(MOST_TECHNICIANS)
                )
            ).all()
        )
        sheets = await service.attendance_for_day(session, ids, date)
        return [AttendanceDayType.from_sheet(sheets[tid]) for tid in ids]

    @strawberry.field(
        extensions=[staff(), FirstItems(100)],
        description="Attendance policies: the default row (territory null) first.",
    )
    async def attendance_policies(self, info: Info) -> list[AttendancePolicyType]:
        found = await service.policies(info.context.session)
        rows = sorted(found.values(), key=lambda r: (r.territory_id is not None, r.territory_id))
        return [AttendancePolicyType.from_model(r) for r in rows]


@strawberry.type
class AttendanceMutation:
    @strawberry.mutation(
        extensions=[allow(Role.TECHNICIAN)],
        description=(
            "Clock in for the local day, where you stand (a technician clocks only "
            "themselves; once a day: a second clock-in is a CONFLICT)."
        ),
    )
    async def clock_in(self, info: Info, input: ClockInput) -> AttendanceEntryPayload:
        async def action() -> AttendanceEntryPayload:
            collect(input.location.problems("location"))
            row = await service.clock_in(
                info.context.session,
                info.context.require_principal(),
                input.location.to_lat_lng(),
                input.at,
            )
            return _entry(row)

        return await execute(
            info, AttendanceEntryPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(Role.TECHNICIAN)],
        description="Clock out of the day you are clocked in to; a break under way ends too.",
    )
    async def clock_out(self, info: Info, input: ClockInput) -> AttendanceEntryPayload:
        async def action() -> AttendanceEntryPayload:
            collect(input.location.problems("location"))
            row = await service.clock_out(
                info.context.session,
                info.context.require_principal(),
                input.location.to_lat_lng(),
                input.at,
            )
            return _entry(row)

        return await execute(
            info, AttendanceEntryPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(Role.TECHNICIAN)],
        description="Start a break while clocked in (one at a time).",
    )
    async def start_break(self, info: Info, input: StartBreakInput) -> AttendanceEntryPayload:
        async def action() -> AttendanceEntryPayload:
            row = await service.start_break(
                info.context.session, info.context.require_principal(), input.kind, input.at
            )
            return _entry(row)

        return await execute(
            info, AttendanceEntryPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(Role.TECHNICIAN)], description="End the break under way."
    )
    async def end_break(self, info: Info, input: EndBreakInput) -> AttendanceEntryPayload:
        async def action() -> AttendanceEntryPayload:
            row = await service.end_break(
                info.context.session, info.context.require_principal(), input.at
            )
            return _entry(row)

        return await execute(
            info, AttendanceEntryPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN, Role.MANAGER, Role.DISPATCHER)],
        description=(
            "Correct a technician's day: set its clock-in and clock-out, with a reason; "
            "audited, and refused with STALE_VERSION when the day changed since it was read."
        ),
    )
    async def correct_attendance(
        self, info: Info, input: CorrectAttendanceInput
    ) -> AttendanceEntryPayload:
        async def action() -> AttendanceEntryPayload:
            row = await service.correct(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.technician_id, "Technician", "technicianId"),
                input.date,
                input.clock_in_at,
                input.clock_out_at,
                input.reason,
                input.expected_version,
            )
            return _entry(row)

        return await execute(info, AttendanceEntryPayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description=(
            "Admin only: create or replace a territory's attendance policy (null territory: "
            "the default for every other one)."
        ),
    )
    async def set_attendance_policy(
        self, info: Info, input: SetAttendancePolicyInput
    ) -> AttendancePolicyPayload:
        async def action() -> AttendancePolicyPayload:
            data = AttendancePolicyBase.model_validate(
                {
                    "clock_in_required": input.clock_in_required,
                    "auto_clock_in": input.auto_clock_in,
                    "late_after_minutes": input.late_after_minutes,
                    "no_show_after_minutes": input.no_show_after_minutes,
                    "overtime_daily_minutes": input.overtime_daily_minutes,
                    "max_backdate_hours": input.max_backdate_hours,
                }
            )
            row = await service.set_policy(
                info.context.session,
                decode_optional_id(input.territory_id, "Territory", "territoryId"),
                data,
                input.expected_version,
            )
            return AttendancePolicyPayload(policy=AttendancePolicyType.from_model(row))

        return await execute(info, AttendancePolicyPayload, action)
