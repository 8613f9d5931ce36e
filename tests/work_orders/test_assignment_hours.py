"""Working hours at assignment: a visit across midnight fits a technician who works both days."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import DomainError
from app.technicians.models import WorkingHours
from app.work_orders import offers
from app.work_orders.models import TaskCreate, TaskType
from app.work_orders.service import create_task
from app.work_orders.transitions import Actor
from tests.notifications.support import DISPATCHER
from tests.work_orders import factories

KOLKATA = ZoneInfo("Asia/Kolkata")


def tomorrow_at(hour: int, minute: int = 0) -> datetime:
    day = datetime.now(KOLKATA).date() + timedelta(days=1)
    return datetime.combine(day, time(hour, minute), KOLKATA)


async def _task(session: AsyncSession, w: factories.World) -> int:
    data = TaskCreate(type=TaskType.REPAIR, customer_id=w.customer.id, site_id=w.site.id,
                      duration_minutes=60)  # fmt: skip
    task = await create_task(session, Actor.of(DISPATCHER), data)
    assert task.id is not None
    return task.id


async def test_a_visit_across_midnight_fits_a_technician_working_both_days(
    session: AsyncSession,
) -> None:
    # given a technician on 00:00-23:59 every day (the factory's hours)
    w = await factories.world(session)
    task_id = await _task(session, w)

    # when a one-hour visit is assigned at 23:30 local time
    task, warnings = await offers.assign_task(
        session,
        DISPATCHER,
        task_id,
        w.technician.id,
        tomorrow_at(23, 30),  # type: ignore[arg-type]
    )

    # then it is assigned, with no working-hours warning
    assert task.technician_id == w.technician.id
    assert not [warning for warning in warnings if "not working" in str(warning)]


async def test_a_visit_past_the_end_of_a_day_shift_still_needs_a_reason(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    shift = await factories.technician(session, area=w.territory, all_day=False)
    session.add_all(
        WorkingHours(technician_id=shift.id, weekday=d, starts_at=time(9), ends_at=time(18))
        for d in range(7)
    )
    await session.flush()
    task_id = await _task(session, w)

    with pytest.raises(DomainError, match="not working then"):
        await offers.assign_task(session, DISPATCHER, task_id, shift.id, tomorrow_at(17, 30))  # type: ignore[arg-type]
