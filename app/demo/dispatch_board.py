"""The dispatch board in the demo city: on today's board a few assignments are pinned, as a
dispatcher does with visits promised to a customer, so the optimizer works around them.

Deterministic: in each territory the first planned assignments of today (by start, then id)
that are not yet accepted are pinned.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.demo.generator import LOCAL
from app.dispatch_board.models import TaskPin
from app.work_orders.models import Task, TaskStatus

PINS_PER_TERRITORY = 3
PINNED_BY = "demo:dispatcher"


async def seed_dispatch_board(session: AsyncSession, now: datetime) -> dict[str, int]:
    day = now.astimezone(LOCAL).date()
    start = datetime.combine(day, time(0), LOCAL)
    rows = await session.execute(
        select(Task.id, Task.territory_id)
        .where(col(Task.status).in_((TaskStatus.SCHEDULED, TaskStatus.DISPATCHED)))
        .where(col(Task.technician_id).is_not(None), col(Task.territory_id).is_not(None))
        .where(col(Task.scheduled_start) >= max(start, now))
        .where(col(Task.scheduled_start) < start + timedelta(days=1))
        .order_by(col(Task.territory_id), col(Task.scheduled_start), col(Task.id))
    )
    taken: dict[int, int] = {}
    for task_id, territory_id in rows.all():
        if taken.get(territory_id, 0) >= PINS_PER_TERRITORY:
            continue
        taken[territory_id] = taken.get(territory_id, 0) + 1
        session.add(TaskPin(task_id=task_id, pinned_by=PINNED_BY, pinned_at=now))
    await session.flush()
    return {"task_pins": sum(taken.values())}
