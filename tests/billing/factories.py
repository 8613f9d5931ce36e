"""Fast rows for billing tests: a price list in force, a completed task, drafts."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.models import LabourRate, PartPrice, PriceList, TaxRate
from app.core.geo import point_value
from app.core.models import utcnow
from app.inventory.models import Part
from app.work_orders.models import Task, TaskStatus, TaskType, WorkOrder
from tests.work_orders.factories import SITE_LAT, SITE_LNG, World

_serial = itertools.count(1)


async def price_list(
    session: AsyncSession,
    *,
    fee: str = "200.00",
    labour: str = "600.00",
    minimum: str = "300.00",
    parts: list[tuple[Part, str, str | None]] | None = None,
    effective_from: date | None = None,
) -> PriceList:
    row = PriceList(
        name=f"Standard {next(_serial)}",
        effective_from=effective_from or date(2000, 1, 1),
        call_out_fee=Decimal(fee),
    )
    session.add(row)
    await session.flush()
    for category in TaskType:
        session.add(
            LabourRate(
                price_list_id=row.id,
                category=category.value,
                hourly_rate=Decimal(labour),
                minimum_charge=Decimal(minimum),
            )
        )
    session.add(TaxRate(price_list_id=row.id, category="SAC-9987", rate_percent=Decimal(18)))
    session.add(TaxRate(price_list_id=row.id, category="HSN-GOODS", rate_percent=Decimal(28)))
    for part, price, category in parts or []:
        session.add(
            PartPrice(
                price_list_id=row.id,
                part_id=part.id,
                unit_price=Decimal(price),
                part_category=category,
            )
        )
    await session.flush()
    return row


async def part(
    session: AsyncSession, *, cost: str = "100.00", price: str = "150.00", accessory: bool = False
) -> Part:
    n = next(_serial)
    row = Part(
        sku=f"BP-{n}",
        name=f"Part {n}",
        unit_cost=Decimal(cost),
        unit_price=Decimal(price),
        is_accessory=accessory,
    )
    session.add(row)
    await session.flush()
    return row


async def task(
    session: AsyncSession,
    world: World,
    *,
    status: TaskStatus = TaskStatus.IN_PROGRESS,
    minutes: int = 90,
    with_asset: bool = True,
    finished_at: datetime | None = None,
) -> Task:
    order = WorkOrder(
        customer_id=world.customer.id,
        site_id=world.site.id,
        asset_id=world.asset.id if with_asset else None,
    )
    session.add(order)
    await session.flush()
    end = finished_at or utcnow()
    row = Task(
        type=TaskType.REPAIR,
        work_order_id=order.id,
        customer_id=world.customer.id,
        site_id=world.site.id,
        asset_id=world.asset.id if with_asset else None,
        territory_id=world.territory.id,
        location=point_value(SITE_LAT, SITE_LNG),
        status=status,
        technician_id=world.technician.id,
        started_at=end - timedelta(minutes=minutes),
        finished_at=end if status is TaskStatus.COMPLETED else None,
    )
    session.add(row)
    await session.flush()
    return row
