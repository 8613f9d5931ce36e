"""Territory queries. Every authenticated role may read territories and their holidays."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, func, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal
from app.core.geo import LatLng
from app.territories.models import Territory


def readable(principal: Principal | None) -> SelectOfScalar[Territory]:
    statement = select(Territory)
    return statement if principal is not None else statement.where(false())


def listed(
    principal: Principal | None, *, include_archived: bool = False
) -> SelectOfScalar[Territory]:
    statement = readable(principal).order_by(col(Territory.name), col(Territory.id))
    return statement if include_archived else statement.where(col(Territory.archived_at).is_(None))


async def get_readable(
    session: AsyncSession, principal: Principal | None, territory_id: int
) -> Territory | None:
    return await session.scalar(readable(principal).where(col(Territory.id) == territory_id))


async def containing(
    session: AsyncSession, principal: Principal | None, point: LatLng
) -> Territory | None:
    """The active territory whose area holds the point (its boundary included).

    Where territories overlap, the smallest one wins: it is the most specific. The
    `&&`-backed ST_Intersects on the geometry lets PostgreSQL use the GiST index.
    """
    geometry = func.ST_SetSRID(func.ST_MakePoint(point.lng, point.lat), 4326)
    statement = (
        listed(principal)
        .where(func.ST_Intersects(col(Territory.area), geometry))
        .order_by(None)
        .order_by(func.ST_Area(col(Territory.area)), col(Territory.id))
        .limit(1)
    )
    return await session.scalar(statement)
