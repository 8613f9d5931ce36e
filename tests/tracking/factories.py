"""Fast rows for tracking tests, written straight through the ORM."""

from __future__ import annotations

from datetime import date, time, timedelta

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.geo import point_value
from app.partners.models import Partner
from app.technicians.models import (
    END_OF_DAY,
    Employment,
    Technician,
    TerritoryMembership,
    WorkingHours,
)
from app.territories.models import Territory
from app.tracking.models import TrackingMode, TrackingPolicy

AREA = MultiPolygon([Polygon([(77.4, 12.8), (77.8, 12.8), (77.8, 13.2), (77.4, 13.2)])])


async def partner(session: AsyncSession, code: str) -> Partner:
    row = Partner(code=code, name=f"Partner {code}")
    session.add(row)
    await session.flush()
    return row


async def territory(session: AsyncSession, code: str, time_zone: str = "UTC") -> Territory:
    row = Territory(code=code, name=f"Territory {code}", time_zone=time_zone, area=from_shape(AREA))
    session.add(row)
    await session.flush()
    return row


async def technician(
    session: AsyncSession,
    name: str,
    *,
    territory_id: int | None = None,
    partner_id: int | None = None,
) -> Technician:
    row = Technician(
        name=name,
        employment=Employment.PARTNER if partner_id else Employment.EMPLOYEE,
        partner_id=partner_id,
        home_base=point_value(12.97, 77.59),
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    if territory_id is not None:
        session.add(
            TerritoryMembership(
                technician_id=row.id,
                territory_id=territory_id,
                valid_from=date.today() - timedelta(days=30),
            )
        )
        await session.flush()
    return row


async def policy(
    session: AsyncSession, territory_id: int | None, mode: TrackingMode
) -> TrackingPolicy:
    row = TrackingPolicy(territory_id=territory_id, mode=mode)
    session.add(row)
    await session.flush()
    return row


async def works_all_week(session: AsyncSession, technician_id: int) -> None:
    for weekday in range(7):
        session.add(
            WorkingHours(
                technician_id=technician_id, weekday=weekday, starts_at=time(0), ends_at=END_OF_DAY
            )
        )
    await session.flush()


async def tracked_technician(session: AsyncSession, name: str = "Asha") -> Technician:
    """A technician in a territory whose policy tracks always."""
    area = await territory(session, f"T{name.upper()[:8]}")
    assert area.id is not None
    await policy(session, area.id, TrackingMode.ALWAYS)
    return await technician(session, name, territory_id=area.id)
