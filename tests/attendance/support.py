"""A territory in India with technicians on 09:00-17:00 every day, and GraphQL snippets."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.technicians.models import Technician, WorkingHours
from app.territories.models import Territory
from tests.work_orders import factories

ZONE = ZoneInfo("Asia/Kolkata")


def yesterday() -> date:
    """Yesterday in the territory: clock actions there are within the backdating limit."""
    return datetime.now(UTC).astimezone(ZONE).date() - timedelta(days=1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local time of the territory, in UTC."""
    return datetime.combine(day, time(hour, minute), ZONE).astimezone(UTC)


async def nine_to_five(
    session: AsyncSession, area: Territory, partner_id: int | None = None
) -> Technician:
    tech = await factories.technician(session, area=area, partner_id=partner_id)
    await session.execute(delete(WorkingHours).where(col(WorkingHours.technician_id) == tech.id))
    session.add_all(
        WorkingHours(technician_id=tech.id or 0, weekday=d, starts_at=time(9), ends_at=time(17))
        for d in range(7)
    )
    await session.flush()
    return tech


SET_POLICY = """
mutation($input: SetAttendancePolicyInput!) {
  setAttendancePolicy(input: $input) {
    policy { territoryId clockInRequired autoClockIn lateAfterMinutes noShowAfterMinutes version }
    userErrors { field message code }
  }
}
"""
ENTRY = "entry { id date clockInAt clockInSource clockOutAt version }"
CLOCK_IN = (
    "mutation($input: ClockInput!) { clockIn(input: $input) { "
    + ENTRY
    + " userErrors { field message code } } }"
)
CLOCK_OUT = (
    "mutation($input: ClockInput!) { clockOut(input: $input) { "
    + ENTRY
    + " userErrors { field message code } } }"
)
START_BREAK = (
    "mutation($input: StartBreakInput!) { startBreak(input: $input) { "
    + ENTRY
    + " userErrors { field message code } } }"
)
END_BREAK = (
    "mutation($input: EndBreakInput!) { endBreak(input: $input) { "
    + ENTRY
    + " userErrors { field message code } } }"
)
CORRECT = (
    "mutation($input: CorrectAttendanceInput!) { correctAttendance(input: $input) { "
    + ENTRY
    + " userErrors { field message code } } }"
)
DAY_FIELDS = """
  technicianId date status shiftStart shiftEnd plannedMinutes clockInAt clockInSource
  clockInLocation { lat lng } clockOutAt breaks { kind startedAt endedAt }
  workedMinutes breakMinutes lateMinutes overtimeMinutes dailyOvertimeMinutes
  timeOffReason version corrections { reason actorRole changes } technician { name }
"""
SHEET = (
    "query($t: ID!, $from: Date!, $to: Date!) { attendanceSheet(technicianId: $t, from: $from, "
    "to: $to) {" + DAY_FIELDS + "} }"
)
TERRITORY_DAY = (
    "query($territory: ID!, $date: Date!) { attendanceDay(territoryId: $territory, date: $date) {"
    + DAY_FIELDS
    + "} }"
)
