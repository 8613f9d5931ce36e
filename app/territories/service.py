"""Territory business rules: areas, time zones and the holiday calendar."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, delete

from app.core.errors import NotFound
from app.core.geo import area_value
from app.core.models import utcnow
from app.core.repository import apply_changes, check_version, flush_unique, get_for_update
from app.territories.models import (
    Territory,
    TerritoryCreate,
    TerritoryHoliday,
    TerritoryHolidayCreate,
    TerritoryUpdate,
)


async def create_territory(session: AsyncSession, data: TerritoryCreate) -> Territory:
    territory = Territory.model_validate(
        data.model_dump(exclude={"area"}) | {"area": area_value(data.area)}
    )
    session.add(territory)
    await flush_unique(session, "code", f"a territory with code {data.code} exists")
    return territory


async def update_territory(
    session: AsyncSession, territory_id: int, changes: TerritoryUpdate, expected_version: int | None
) -> Territory:
    territory = await get_for_update(session, Territory, territory_id, what="territory")
    check_version(territory, expected_version)
    values = changes.model_dump(exclude_unset=True)
    if "area" in values:
        values["area"] = area_value(changes.area or {})
    apply_changes(territory, values)
    territory.touch()
    await session.flush()
    return territory


async def archive_territory(
    session: AsyncSession, territory_id: int, expected_version: int | None
) -> Territory:
    territory = await get_for_update(session, Territory, territory_id, what="territory")
    check_version(territory, expected_version)
    if territory.archived_at is None:
        territory.archived_at = utcnow()
        territory.touch()
        await session.flush()
    return territory


async def add_holiday(
    session: AsyncSession,
    territory_id: int,
    data: TerritoryHolidayCreate,
    expected_version: int | None,
) -> Territory:
    """Adds a holiday; the territory's version moves so calendars cached by clients refresh."""
    territory = await get_for_update(session, Territory, territory_id, what="territory")
    check_version(territory, expected_version)
    session.add(TerritoryHoliday(territory_id=territory_id, day=data.day, name=data.name))
    territory.touch()
    await flush_unique(session, "day", f"{data.day.isoformat()} is already a holiday here")
    return territory


async def remove_holiday(
    session: AsyncSession, territory_id: int, day: date, expected_version: int | None
) -> Territory:
    territory = await get_for_update(session, Territory, territory_id, what="territory")
    check_version(territory, expected_version)
    removed = await session.execute(
        delete(TerritoryHoliday)
        .where(col(TerritoryHoliday.territory_id) == territory_id)
        .where(col(TerritoryHoliday.day) == day)
    )
    if not getattr(removed, "rowcount", 0):
        raise NotFound("holiday", ["day"])
    territory.touch()
    await session.flush()
    return territory
