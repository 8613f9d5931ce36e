"""Fast rows for inventory tests, written straight through the ORM."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.geo import point_value
from app.inventory.models import Part, StockLocation, StockLocationKind
from app.technicians.models import Technician

_serial = itertools.count(1)


async def part(
    session: AsyncSession,
    sku: str | None = None,
    *,
    cost: str = "10.00",
    price: str = "15.00",
    currency: str = "INR",
    accessory: bool = False,
) -> Part:
    row = Part(
        sku=sku or f"P-{next(_serial)}",
        name=f"Part {sku or 'x'}",
        unit_cost=Decimal(cost),
        unit_price=Decimal(price),
        currency=currency,
        is_accessory=accessory,
    )
    session.add(row)
    await session.flush()
    return row


async def warehouse(
    session: AsyncSession, code: str | None = None, *, at: tuple[float, float] = (12.97, 77.59)
) -> StockLocation:
    code = code or f"WH-{next(_serial)}"
    row = StockLocation(
        kind=StockLocationKind.WAREHOUSE,
        code=code,
        name=f"Warehouse {code}",
        point=point_value(*at),
    )
    session.add(row)
    await session.flush()
    return row


async def technician(
    session: AsyncSession,
    name: str = "Ravi",
    *,
    home: tuple[float, float] = (12.97, 77.59),
    last_location: tuple[float, float] | None = None,
    last_seen_at: datetime | None = None,
    partner_id: int | None = None,
) -> Technician:
    from app.technicians.models import Employment

    row = Technician(
        name=name,
        home_base=point_value(*home),
        last_location=point_value(*last_location) if last_location else None,
        last_seen_at=last_seen_at,
        employment=Employment.PARTNER if partner_id else Employment.EMPLOYEE,
        partner_id=partner_id,
    )
    session.add(row)
    await session.flush()
    return row


async def task_ids(session: AsyncSession, n: int = 1) -> list[int]:
    """Real service tasks (movements and requisitions reference them by foreign key)."""
    from tests.billing.factories import task
    from tests.work_orders.factories import world

    place = await world(session)
    ids: list[int] = []
    for _ in range(n):
        row = await task(session, place)
        assert row.id is not None
        ids.append(row.id)
    return ids
