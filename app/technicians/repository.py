"""Technician and skill queries, scoped once in `visible(principal)`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, exists, false, func, select, true
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal, Role
from app.core.errors import NotFound
from app.core.geo import LatLng
from app.technicians.models import (
    Skill,
    Technician,
    TechnicianSkill,
    TechnicianStatus,
    TerritoryMembership,
    TimeOff,
)
from app.territories.models import Territory
from app.work_orders.models import Task, TaskStatus

# --- scoping ------------------------------------------------------------------------------


def visible(principal: Principal | None) -> sa.ColumnElement[bool]:
    """Which technicians the caller may see.

    Staff see everyone, a partner its own people, a technician themselves, a customer the
    technicians assigned to their tasks.
    """
    if principal is None:
        return false()
    if principal.is_staff:
        return true()
    if principal.role is Role.PARTNER and principal.partner_id is not None:
        return col(Technician.partner_id) == principal.partner_id
    if principal.role is Role.TECHNICIAN and principal.technician_id is not None:
        return col(Technician.id) == principal.technician_id
    if principal.role is Role.CUSTOMER and principal.customer_id is not None:
        assigned = select(Task.technician_id).where(
            col(Task.customer_id) == principal.customer_id,
            col(Task.status).not_in([TaskStatus.UNSCHEDULED, TaskStatus.CANCELLED]),
        )
        return col(Technician.id).in_(assigned)
    return false()


def readable(principal: Principal | None) -> SelectOfScalar[Technician]:
    return select(Technician).where(visible(principal))


def _visible_ids(principal: Principal | None) -> Any:
    return select(Technician.id).where(visible(principal))


async def get_readable(
    session: AsyncSession, principal: Principal | None, technician_id: int
) -> Technician | None:
    return await session.scalar(readable(principal).where(col(Technician.id) == technician_id))


async def get_writable(
    session: AsyncSession, principal: Principal, technician_id: int, field: str = "id"
) -> Technician:
    """The technician locked for update, if the caller may see it; NOT_FOUND otherwise."""
    row = await session.scalar(
        readable(principal).where(col(Technician.id) == technician_id).with_for_update()
    )
    if row is None:
        raise NotFound("technician", [field])
    return row


# --- lists --------------------------------------------------------------------------------


def local_today(time_zone: Any) -> Any:
    """Today's date in a territory's time zone, computed by PostgreSQL."""
    return sa.cast(func.timezone(time_zone, func.now()), sa.Date)


def is_current(membership: type[TerritoryMembership] = TerritoryMembership) -> Any:
    """A membership valid today in its territory's zone (needs Territory in the FROM list)."""
    today = local_today(col(Territory.time_zone))
    return sa.and_(
        col(membership.valid_from) <= today,
        sa.or_(col(membership.valid_to).is_(None), col(membership.valid_to) >= today),
    )


def has_skill(code: str, min_level: int = 1) -> Any:
    return exists(
        select(TechnicianSkill.technician_id)
        .join(Skill, col(Skill.id) == col(TechnicianSkill.skill_id))
        .where(
            col(TechnicianSkill.technician_id) == col(Technician.id),
            col(Skill.code) == code,
            col(TechnicianSkill.level) >= min_level,
        )
    )


def in_territory_now(territory_id: int) -> Any:
    return exists(
        select(TerritoryMembership.id)
        .join(Territory, col(Territory.id) == col(TerritoryMembership.territory_id))
        .where(
            col(TerritoryMembership.technician_id) == col(Technician.id),
            col(TerritoryMembership.territory_id) == territory_id,
            is_current(),
        )
    )


def listed(
    principal: Principal | None,
    *,
    territory_id: int | None = None,
    skill: str | None = None,
    min_level: int = 1,
    status: Sequence[TechnicianStatus] = (),
    search: str | None = None,
    include_archived: bool = False,
) -> SelectOfScalar[Technician]:
    statement = readable(principal)
    if not include_archived:
        statement = statement.where(col(Technician.archived_at).is_(None))
    if territory_id is not None:
        statement = statement.where(in_territory_now(territory_id))
    if skill is not None:
        statement = statement.where(has_skill(skill, min_level))
    if status:
        statement = statement.where(col(Technician.status).in_(list(status)))
    if search:
        pattern = f"%{search.strip()}%"
        statement = statement.where(
            sa.or_(col(Technician.name).ilike(pattern), col(Technician.email).ilike(pattern))
        )
    return statement


# --- relations, batched for DataLoaders ----------------------------------------------------


def _grouped(pairs: Sequence[tuple[int, Any]], keys: Sequence[int]) -> list[list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for key, row in pairs:
        grouped[key].append(row)
    return [grouped.get(key, []) for key in keys]


async def skills_of(session: AsyncSession, technician_ids: Sequence[int]) -> list[list[Any]]:
    """(TechnicianSkill, Skill) pairs per technician, strongest skill first."""
    rows = await session.execute(
        select(TechnicianSkill, Skill)
        .join(Skill, col(Skill.id) == col(TechnicianSkill.skill_id))
        .where(col(TechnicianSkill.technician_id).in_(technician_ids))
        .order_by(col(TechnicianSkill.level).desc(), col(Skill.code))
    )
    return _grouped(
        [(link.technician_id, (link, skill)) for link, skill in rows.all()], technician_ids
    )


async def current_territories(
    session: AsyncSession, technician_ids: Sequence[int]
) -> list[list[Territory]]:
    rows = await session.execute(
        select(TerritoryMembership.technician_id, Territory)
        .join(Territory, col(Territory.id) == col(TerritoryMembership.territory_id))
        .where(col(TerritoryMembership.technician_id).in_(technician_ids), is_current())
        .order_by(col(TerritoryMembership.is_primary).desc(), col(Territory.name))
    )
    return _grouped([(tid, territory) for tid, territory in rows.all()], technician_ids)


async def current_members(
    session: AsyncSession, principal: Principal | None, territory_ids: Sequence[int]
) -> list[list[Technician]]:
    """The technicians the caller may see who belong to each territory today."""
    rows = await session.execute(
        select(TerritoryMembership.territory_id, Technician)
        .join(Technician, col(Technician.id) == col(TerritoryMembership.technician_id))
        .join(Territory, col(Territory.id) == col(TerritoryMembership.territory_id))
        .where(
            col(TerritoryMembership.territory_id).in_(territory_ids),
            is_current(),
            visible(principal),
            col(Technician.archived_at).is_(None),
        )
        .order_by(col(Technician.name), col(Technician.id))
    )
    return _grouped([(tid, technician) for tid, technician in rows.all()], territory_ids)


async def memberships_of(
    session: AsyncSession, technician_ids: Sequence[int]
) -> list[list[TerritoryMembership]]:
    rows = await session.scalars(
        select(TerritoryMembership)
        .where(col(TerritoryMembership.technician_id).in_(technician_ids))
        .order_by(col(TerritoryMembership.valid_from), col(TerritoryMembership.id))
    )
    return _grouped([(m.technician_id, m) for m in rows.all()], technician_ids)


async def time_off_of(
    session: AsyncSession, technician_ids: Sequence[int], *, ending_after: datetime
) -> list[list[TimeOff]]:
    rows = await session.scalars(
        select(TimeOff)
        .where(col(TimeOff.technician_id).in_(technician_ids), col(TimeOff.ends_at) > ending_after)
        .order_by(col(TimeOff.starts_at), col(TimeOff.id))
    )
    return _grouped([(t.technician_id, t) for t in rows.all()], technician_ids)


async def get_readable_membership(
    session: AsyncSession, principal: Principal | None, membership_id: int
) -> TerritoryMembership | None:
    return await session.scalar(
        select(TerritoryMembership).where(
            col(TerritoryMembership.id) == membership_id,
            col(TerritoryMembership.technician_id).in_(_visible_ids(principal)),
        )
    )


async def get_readable_time_off(
    session: AsyncSession, principal: Principal | None, time_off_id: int
) -> TimeOff | None:
    return await session.scalar(
        select(TimeOff).where(
            col(TimeOff.id) == time_off_id,
            col(TimeOff.technician_id).in_(_visible_ids(principal)),
        )
    )


# --- skills -------------------------------------------------------------------------------


def readable_skills(principal: Principal | None) -> SelectOfScalar[Skill]:
    statement = select(Skill)
    return statement if principal is not None else statement.where(false())


def listed_skills(
    principal: Principal | None, *, include_archived: bool = False
) -> SelectOfScalar[Skill]:
    statement = readable_skills(principal).order_by(col(Skill.code))
    return statement if include_archived else statement.where(col(Skill.archived_at).is_(None))


async def get_readable_skill(
    session: AsyncSession, principal: Principal | None, skill_id: int
) -> Skill | None:
    return await session.scalar(readable_skills(principal).where(col(Skill.id) == skill_id))


# --- proximity ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Nearby:
    technician: Technician
    distance_meters: float
    from_last_location: bool


def _geography(point: LatLng) -> Any:
    return sa.cast(
        func.ST_SetSRID(func.ST_MakePoint(point.lng, point.lat), 4326), Geography(srid=4326)
    )


def nearest_statement(
    principal: Principal | None,
    point: LatLng,
    radius_meters: float,
    *,
    skills: Sequence[str],
    first: int,
    seen_since: datetime,
) -> Any:
    """Technicians within the radius, nearest first, as (id, distance, from_last_location).

    Each technician is measured from one position: the last known location when it was
    reported since `seen_since`, else the home base. The two cases are two branches so that
    each one filters with ST_DWithin on, and orders by the KNN `<->` operator over, its own
    GiST-indexed column; the outer query keeps the exact spheroid distances.
    """
    here = _geography(point)
    fresh = sa.and_(
        col(Technician.last_location).is_not(None), col(Technician.last_seen_at) >= seen_since
    )
    common = [
        visible(principal),
        col(Technician.archived_at).is_(None),
        col(Technician.status) == TechnicianStatus.ACTIVE,
        *(has_skill(code) for code in skills),
    ]

    def branch(column: Any, condition: Any, live: bool) -> Any:
        return (
            select(
                col(Technician.id).label("technician_id"),
                func.ST_Distance(column, here).label("distance"),
                sa.literal(live).label("live"),
            )
            .where(condition, func.ST_DWithin(column, here, radius_meters), *common)
            .order_by(column.op("<->")(here))
            .limit(first)
        )

    by_location = branch(col(Technician.last_location), fresh, True)
    by_home = branch(col(Technician.home_base), sa.not_(fresh), False)
    candidates = sa.union_all(by_location, by_home).subquery("candidates")
    return (
        select(candidates.c.technician_id, candidates.c.distance, candidates.c.live)
        .order_by(candidates.c.distance, candidates.c.technician_id)
        .limit(first)
    )


async def nearest(
    session: AsyncSession,
    principal: Principal | None,
    point: LatLng,
    radius_meters: float,
    *,
    skills: Sequence[str],
    first: int,
    seen_since: datetime,
) -> list[Nearby]:
    statement = nearest_statement(
        principal, point, radius_meters, skills=skills, first=first, seen_since=seen_since
    )
    found = (await session.execute(statement)).all()
    if not found:
        return []
    ids = [row.technician_id for row in found]
    rows = await session.scalars(select(Technician).where(col(Technician.id).in_(ids)))
    by_id = {t.id: t for t in rows.all()}
    return [Nearby(by_id[row.technician_id], float(row.distance), bool(row.live)) for row in found]


@dataclass(frozen=True, slots=True)
class RatingSummary:
    average: float | None
    count: int


async def ratings_of(session: AsyncSession, technician_ids: Sequence[int]) -> list[RatingSummary]:
    """The customers' ratings of each technician's visits: their average and how many."""
    rows = await session.execute(
        select(col(Task.technician_id), func.avg(col(Task.rating)), func.count(col(Task.rating)))
        .where(col(Task.technician_id).in_(technician_ids), col(Task.rating).is_not(None))
        .group_by(col(Task.technician_id))
    )
    found = {tid: RatingSummary(float(avg), count) for tid, avg, count in rows.all()}
    return [found.get(tid, RatingSummary(None, 0)) for tid in technician_ids]
