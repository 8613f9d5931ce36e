"""The demo city shows parts-aware dispatch: a plan of tomorrow in the territory of the
seeded repairs needing parts has a warehouse pickup and leaves the unstocked one out."""

from __future__ import annotations

from datetime import time, timedelta

from sqlmodel import col, select

from app.core.db import SessionFactory
from app.demo.generator import local_time
from app.dispatch import service as dispatch
from app.dispatch.models import DispatchRunCreate, RunStatus, TaskPartNeed
from app.work_orders.models import Task
from tests.demo.test_seed import DISPATCHER, NOW, TODAY, seed


async def test_a_plan_of_the_demo_parts_territory_has_a_pickup(sessions: SessionFactory) -> None:
    await seed(sessions)
    async with sessions() as session:
        territory_id = await session.scalar(
            select(Task.territory_id)
            .join(TaskPartNeed, col(TaskPartNeed.task_id) == col(Task.id))
            .limit(1)
        )
        assert territory_id is not None
        horizon = DispatchRunCreate(
            territory_id=territory_id,
            horizon_start=local_time(TODAY + timedelta(days=1), time(0)),
            horizon_end=local_time(TODAY + timedelta(days=2), time(0)),
            time_limit_seconds=2,
        )
        run = await dispatch.request_run(session, DISPATCHER, horizon)
        await session.commit()
    done = await dispatch.execute_run(sessions, None, run.id or 0, now=NOW)
    assert done is not None and done.status is RunStatus.SUCCEEDED, done and done.error
    pickups = [p for route in done.routes for p in route.get("pickups", ())]
    assert pickups, done.routes
    assert "PARTS" in {u["reason"] for u in done.unassigned}
