from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from app.technicians.models import (
    END_OF_DAY,
    TechnicianStatus,
    TerritoryMembership,
    TimeOff,
    WorkingHours,
)
from app.technicians.service import availability
from app.territories.models import TerritoryHoliday
from tests.technicians import factories as make

MONDAY = date(2030, 1, 7)


def utc(hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    return datetime.combine(day, time(hour, minute), UTC)


async def shift(session: AsyncSession, tid: int, start: time, end: time, weekday: int = 0) -> None:
    session.add(WorkingHours(technician_id=tid, weekday=weekday, starts_at=start, ends_at=end))
    await session.flush()


async def kolkata_technician(session: AsyncSession, name: str = "Asha") -> tuple[int, int]:
    blr = await make.territory(session, f"T{name}")
    technician = await make.technician(session, name, territory_id=blr.id)
    assert technician.id is not None and blr.id is not None
    await shift(session, technician.id, time(9), time(18))
    return technician.id, blr.id


async def test_weekly_hours_become_utc_windows_in_the_territory_zone(
    session: AsyncSession,
) -> None:
    tid, _ = await kolkata_technician(session)

    windows = await availability(session, [tid], MONDAY)

    assert windows == {tid: [(utc(3, 30), utc(12, 30))]}
    assert await availability(session, [tid], date(2030, 1, 8)) == {tid: []}


async def test_time_off_cuts_a_shift_in_two(session: AsyncSession) -> None:
    tid, _ = await kolkata_technician(session)
    session.add(
        TimeOff(
            technician_id=tid,
            starts_at=datetime.fromisoformat("2030-01-07T12:00:00+05:30"),
            ends_at=datetime.fromisoformat("2030-01-07T13:00:00+05:30"),
        )
    )
    await session.flush()

    windows = await availability(session, [tid], MONDAY)

    assert windows[tid] == [(utc(3, 30), utc(6, 30)), (utc(7, 30), utc(12, 30))]


async def test_time_off_over_the_whole_shift_leaves_nothing(session: AsyncSession) -> None:
    tid, _ = await kolkata_technician(session)
    session.add(TimeOff(technician_id=tid, starts_at=utc(0, day=date(2030, 1, 6)), ends_at=utc(23)))
    await session.flush()

    assert await availability(session, [tid], MONDAY) == {tid: []}


async def test_a_territory_holiday_leaves_no_window(session: AsyncSession) -> None:
    tid, territory_id = await kolkata_technician(session)
    other, _ = await kolkata_technician(session, "Bala")
    session.add(TerritoryHoliday(territory_id=territory_id, day=MONDAY, name="Sankranti"))
    await session.flush()

    windows = await availability(session, [tid, other], MONDAY)

    assert windows == {tid: [], other: [(utc(3, 30), utc(12, 30))]}


async def test_a_shift_until_midnight_ends_at_the_next_local_day(session: AsyncSession) -> None:
    tid, _ = await kolkata_technician(session)
    await shift(session, tid, time(22), END_OF_DAY)

    windows = await availability(session, [tid], MONDAY)

    assert windows[tid][-1] == (utc(16, 30), utc(18, 30))


async def test_without_a_territory_hours_are_read_in_utc(session: AsyncSession) -> None:
    technician = await make.technician(session, "Nomad")
    assert technician.id is not None
    await shift(session, technician.id, time(9), time(17))

    assert await availability(session, [technician.id], MONDAY) == {
        technician.id: [(utc(9), utc(17))]
    }


async def test_inactive_archived_and_unknown_technicians_have_no_window(
    session: AsyncSession,
) -> None:
    tid, _ = await kolkata_technician(session)
    leave = await make.technician(session, "Leave", status=TechnicianStatus.ON_LEAVE)
    assert leave.id is not None
    await shift(session, leave.id, time(9), time(18))

    windows = await availability(session, [tid, leave.id, 999_999], MONDAY)

    assert windows == {tid: [(utc(3, 30), utc(12, 30))], leave.id: [], 999_999: []}


async def test_a_membership_that_ended_no_longer_sets_the_zone(session: AsyncSession) -> None:
    blr = await make.territory(session)
    technician = await make.technician(session, "Moved")
    assert technician.id is not None and blr.id is not None
    session.add(
        TerritoryMembership(
            technician_id=technician.id,
            territory_id=blr.id,
            valid_from=date(2029, 1, 1),
            valid_to=date(2029, 12, 31),
        )
    )
    await shift(session, technician.id, time(9), time(10))

    assert await availability(session, [technician.id], MONDAY) == {
        technician.id: [(utc(9), utc(10))]
    }
