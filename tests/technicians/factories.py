"""Fast rows for technician tests, written straight through the ORM."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.geo import point_value
from app.partners.models import Partner
from app.technicians.models import (
    Employment,
    Skill,
    Technician,
    TechnicianSkill,
    TerritoryMembership,
)
from app.territories.models import Territory
from schema.ids import encode_id

BENGALURU = MultiPolygon([Polygon([(77.4, 12.8), (77.8, 12.8), (77.8, 13.2), (77.4, 13.2)])])


async def skill(session: AsyncSession, code: str) -> Skill:
    row = Skill(code=code, name=code.replace("_", " ").title())
    session.add(row)
    await session.flush()
    return row


async def partner(session: AsyncSession, code: str) -> Partner:
    row = Partner(code=code, name=f"Partner {code}")
    session.add(row)
    await session.flush()
    return row


async def territory(
    session: AsyncSession, code: str = "BLR", time_zone: str = "Asia/Kolkata"
) -> Territory:
    row = Territory(
        code=code, name=f"Territory {code}", time_zone=time_zone, area=from_shape(BENGALURU, 4326)
    )
    session.add(row)
    await session.flush()
    return row


async def technician(
    session: AsyncSession,
    name: str,
    *,
    home: tuple[float, float] = (12.97, 77.59),
    partner_id: int | None = None,
    skills: Sequence[tuple[Skill, int]] = (),
    territory_id: int | None = None,
    member_from: date = date(2020, 1, 1),
    last_location: tuple[float, float] | None = None,
    last_seen_at: datetime | None = None,
    **extra: Any,
) -> Technician:
    row = Technician(
        name=name,
        home_base=point_value(*home),
        employment=Employment.PARTNER if partner_id else Employment.EMPLOYEE,
        partner_id=partner_id,
        last_location=point_value(*last_location) if last_location else None,
        last_seen_at=last_seen_at,
        **extra,
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    for held, level in skills:
        assert held.id is not None
        session.add(TechnicianSkill(technician_id=row.id, skill_id=held.id, level=level))
    if territory_id is not None:
        session.add(
            TerritoryMembership(
                technician_id=row.id, territory_id=territory_id, valid_from=member_from
            )
        )
    await session.flush()
    return row


def gid(type_name: str, row: Any) -> str:
    return encode_id(type_name, row.id)
