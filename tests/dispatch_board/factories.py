"""Factories for the dispatch board tests: a territory's day tomorrow with assignments."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.customers.models import Site
from app.technicians.models import Skill, Technician, WorkingHours
from app.work_orders import offers
from app.work_orders.models import Task
from schema.ids import encode_id
from tests.dispatch import test_service_factories as f
from tests.dispatch.test_service_factories import DISPATCHER, Day, day, tomorrow_at
from tests.work_orders import factories

__all__ = [
    "DISPATCHER",
    "Day",
    "assigned",
    "assigned_to",
    "day",
    "gid",
    "split_shift_technician",
    "tomorrow_at",
]


def gid(type_name: str, db_id: int | None) -> str:
    assert db_id is not None
    return encode_id(type_name, db_id)


async def waiting(
    session: AsyncSession,
    d: Day,
    *,
    skill: Skill | None = None,
    start: float = 9,
    end: float = 17,
    duration: int = 60,
    site: Site | None = None,
) -> Task:
    """An UNSCHEDULED task of the day's territory."""
    task = await f.task(session, d, skill=skill, start=start, end=end, duration=duration, site=site)
    task.territory_id = d.territory.id
    await session.flush()
    return task


async def assigned(
    session: AsyncSession,
    d: Day,
    technician: Technician,
    hour: float,
    *,
    duration: int = 60,
    end: float = 17,
    site: Site | None = None,
) -> Task:
    """A task offered to `technician` tomorrow at `hour` (warnings overridden)."""
    task = await waiting(session, d, start=8, end=end, duration=duration, site=site)
    assert task.id is not None and technician.id is not None
    moved, _ = await offers.assign_task(
        session, DISPATCHER, task.id, technician.id, tomorrow_at(hour), reason="set up"
    )
    return moved


async def assigned_to(
    session: AsyncSession, task: Task, technician_id: int | None, hour: float
) -> None:
    """Offer an existing task to a technician tomorrow at `hour` (warnings overridden)."""
    assert task.id is not None and technician_id is not None
    await offers.assign_task(
        session, DISPATCHER, task.id, technician_id, tomorrow_at(hour), reason="set up"
    )


async def split_shift_technician(session: AsyncSession, d: Day) -> Technician:
    """A technician of the day's territory working 09:00-13:00 and 14:00-18:00 every day."""
    tech = await factories.technician(
        session, skills=[(d.hvac, 3)], area=d.territory, all_day=False
    )
    assert tech.id is not None
    for weekday in range(7):
        session.add(
            WorkingHours(
                technician_id=tech.id, weekday=weekday, starts_at=time(9), ends_at=time(13)
            )
        )
        session.add(
            WorkingHours(
                technician_id=tech.id, weekday=weekday, starts_at=time(14), ends_at=time(18)
            )
        )
    await session.flush()
    return tech


def day_range() -> tuple[datetime, datetime]:
    start = tomorrow_at(0)
    return start, start + timedelta(days=1)
