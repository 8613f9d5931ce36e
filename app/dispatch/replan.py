"""In-day re-planning: after a rejection, expiry, cancellation, reschedule or an urgent new
task, the territory's rest of the day is planned again, keeping accepted and started work
pinned and every other assignment near its technician and time.

The listener records triggers in the change's own transaction; `due_territories` waits until
a territory has been quiet for the debounce; `replan_territory` runs under the territory's
advisory lock (a concurrent trigger finds it taken and leaves its triggers for the next round).
"""

from __future__ import annotations

from concurrent.futures import Executor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.core.auth import Role
from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker
from app.dispatch.models import DispatchRun, ReplanTrigger, RunKind, RunStatus
from app.dispatch.service import plan_run, try_lock_territory
from app.dispatch.settings import dispatch_settings
from app.territories.models import Territory
from app.work_orders.models import Task

TRIGGER_ACTIONS = frozenset({"REJECT", "EXPIRE", "CANCEL", "RESCHEDULE", "UNASSIGN", "CREATE"})
URGENT_PRIORITY = 2
"""A new task this urgent (1 is the most urgent) re-plans the day; calmer ones wait."""
SYSTEM_SUBJECT = "system:dispatch"


async def due_territories(session: AsyncSession, now: datetime, debounce: float) -> list[int]:
    quiet_since = now - timedelta(seconds=debounce)
    rows = await session.scalars(
        select(ReplanTrigger.territory_id)
        .where(col(ReplanTrigger.processed_at).is_(None))
        .group_by(col(ReplanTrigger.territory_id))
        .having(func.max(ReplanTrigger.at) <= quiet_since)
    )
    return list(rows.all())


async def _take_triggers(session: AsyncSession, territory_id: int, now: datetime) -> bool:
    """Mark the territory's pending triggers done; True when one of them calls for a plan."""
    rows = await session.execute(
        sa.update(ReplanTrigger)
        .where(
            col(ReplanTrigger.territory_id) == territory_id,
            col(ReplanTrigger.processed_at).is_(None),
            col(ReplanTrigger.at) <= now,
        )
        .values(processed_at=now)
        .returning(col(ReplanTrigger.action), col(ReplanTrigger.task_id))
    )
    taken = rows.all()
    if any(action != "CREATE" for action, _ in taken):
        return True
    created = [task_id for _, task_id in taken if task_id is not None]
    urgent = await session.scalar(
        select(func.count())
        .select_from(Task)
        .where(col(Task.id).in_(created), col(Task.priority) <= URGENT_PRIORITY)
    )
    return bool(urgent)


def end_of_local_day(now: datetime, time_zone: str) -> datetime:
    local = now.astimezone(ZoneInfo(time_zone))
    return datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), local.tzinfo)


async def replan_territory(
    sessions: SessionFactory,
    broker: Broker | None,
    territory_id: int,
    *,
    now: datetime,
    executor: Executor | None = None,
    time_limit: float | None = None,
) -> DispatchRun | None:
    """Re-plan the rest of the territory's day; None when it was not needed or is under way."""
    config = dispatch_settings()
    async with unit_of_work(sessions, broker) as session:
        if not await try_lock_territory(session, territory_id):
            return None
        needed = await _take_triggers(session, territory_id, now)
        territory = await session.get(Territory, territory_id)
        if not needed or territory is None:
            return None
        end = end_of_local_day(now, territory.time_zone)
        run = DispatchRun(
            territory_id=territory_id,
            horizon_start=now,
            horizon_end=end,
            time_limit_seconds=time_limit or config.replan_time_limit_seconds,
            publish=True,
            kind=RunKind.REPLAN,
            status=RunStatus.RUNNING,
            requested_by=SYSTEM_SUBJECT,
            requested_role=Role.DISPATCHER.value,
            started_at=now,
        )
        session.add(run)
        await session.flush()
        await plan_run(
            session, run, now=now, executor=executor, keep_minutes=config.replan_move_minutes
        )
        return run


def trigger(territory_id: int, task_id: int | None, action: str) -> ReplanTrigger:
    return ReplanTrigger(territory_id=territory_id, task_id=task_id, action=action)
