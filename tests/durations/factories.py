"""Completed history written straight through the ORM: tasks with their audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.assets.models import Asset, ProductCategory, ProductModel
from app.core.geo import point_value
from app.work_orders.models import Task, TaskEvent, TaskSkill, TaskStatus, TaskType, WorkOrder
from tests.work_orders.factories import SITE_LAT, SITE_LNG, World

DAY0 = datetime(2026, 6, 1, 9, tzinfo=UTC)


async def product_asset(session: AsyncSession, world: World, code: str) -> Asset:
    """A new product model (HVAC) and one unit of it at the world's site."""
    model = ProductModel(code=code, name=f"Model {code}", category=ProductCategory.HVAC)
    session.add(model)
    await session.flush()
    unit = Asset(
        product_model_id=model.id,
        site_id=world.site.id,
        customer_id=world.site.customer_id,
        serial_number=f"S-{code}",
    )
    session.add(unit)
    await session.flush()
    return unit


async def open_task(
    session: AsyncSession,
    world: World,
    *,
    asset: Asset | None = None,
    description: str = "Model: no cooling",
    static: int = 60,
    technician: bool = True,
) -> Task:
    order = WorkOrder(customer_id=world.customer.id, site_id=world.site.id)
    session.add(order)
    await session.flush()
    task = Task(
        work_order_id=order.id,
        customer_id=world.customer.id,
        site_id=world.site.id,
        asset_id=(asset or world.asset).id,
        territory_id=world.territory.id,
        location=point_value(SITE_LAT, SITE_LNG),
        type=TaskType.REPAIR,
        description=description,
        duration_minutes=static,
        technician_id=world.technician.id if technician else None,
    )
    session.add(task)
    await session.flush()
    session.add(TaskSkill(task_id=task.id, skill_id=world.skill.id, min_level=1))
    await session.flush()
    return task


async def completed(
    session: AsyncSession,
    world: World,
    minutes: float,
    *,
    asset: Asset | None = None,
    description: str = "Model: no cooling",
    day: int = 0,
    hold: float = 0,
) -> Task:
    """A task worked `minutes` (split around a hold of `hold` minutes when given)."""
    task = await open_task(session, world, asset=asset, description=description)
    start = DAY0 + timedelta(days=day)
    steps = [("START_WORK", TaskStatus.IN_PROGRESS, start)]
    end = start + timedelta(minutes=minutes + hold)
    if hold:
        paused = start + timedelta(minutes=minutes / 2)
        steps += [
            ("HOLD", TaskStatus.ON_HOLD, paused),
            ("START_WORK", TaskStatus.IN_PROGRESS, paused + timedelta(minutes=hold)),
        ]
    steps.append(("COMPLETE", TaskStatus.COMPLETED, end))
    for action, status, at in steps:
        session.add(
            TaskEvent(
                task_id=task.id, action=action, to_status=status, at=at, actor="t", actor_role="T"
            )
        )
    task.status = TaskStatus.COMPLETED
    task.started_at, task.finished_at = start, end
    await session.flush()
    return task
