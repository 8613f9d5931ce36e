"""Inventory queries, scoped once per entity in its `readable(principal)`.

Staff read everything. A technician reads the catalogue, every stock location and level
(finding a part in a colleague's van is the point of `nearestStock`), but only the movements
and requisitions of their own van. A partner reads warehouses and its own technicians' vans.
Customers read nothing here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, func, or_, select, true
from sqlmodel.sql.expression import SelectOfScalar

from app.assets.models import ProductModel
from app.core.auth import Principal, Role
from app.core.geo import LatLng
from app.inventory.models import (
    Part,
    PartCompatibility,
    Requisition,
    RequisitionLine,
    StockLevel,
    StockLocation,
    StockLocationKind,
    StockMovement,
)
from app.technicians.models import Technician

# --- scoping ------------------------------------------------------------------------------


def _reads_catalogue(principal: Principal | None) -> bool:
    return principal is not None and (
        principal.is_staff or principal.role in (Role.TECHNICIAN, Role.PARTNER)
    )


def _partner_vans(partner_id: int) -> Any:
    return col(StockLocation.technician_id).in_(
        select(Technician.id).where(col(Technician.partner_id) == partner_id)
    )


def visible_locations(principal: Principal | None) -> sa.ColumnElement[bool]:
    if principal is None:
        return false()
    if principal.is_staff or principal.role is Role.TECHNICIAN:
        return true()
    if principal.role is Role.PARTNER and principal.partner_id is not None:
        return or_(
            col(StockLocation.kind) == StockLocationKind.WAREHOUSE,
            _partner_vans(principal.partner_id),
        )
    return false()


def own_locations(principal: Principal | None) -> sa.ColumnElement[bool]:
    """Locations whose history the caller may read: all for staff, their own van(s) else."""
    if principal is None:
        return false()
    if principal.is_staff:
        return true()
    if principal.role is Role.TECHNICIAN and principal.technician_id is not None:
        return col(StockLocation.technician_id) == principal.technician_id
    if principal.role is Role.PARTNER and principal.partner_id is not None:
        return _partner_vans(principal.partner_id)
    return false()


def readable_parts(principal: Principal | None) -> SelectOfScalar[Part]:
    return select(Part).where(true() if _reads_catalogue(principal) else false())


def listed_parts(
    principal: Principal | None, *, search: str | None = None, include_archived: bool = False
) -> SelectOfScalar[Part]:
    statement = readable_parts(principal)
    if not include_archived:
        statement = statement.where(col(Part.archived_at).is_(None))
    if search and search.strip():
        pattern = f"%{search.strip().lower()}%"
        statement = statement.where(
            or_(func.lower(col(Part.sku)).like(pattern), func.lower(col(Part.name)).like(pattern))
        )
    return statement


async def get_readable_part(
    session: AsyncSession, principal: Principal | None, part_id: int
) -> Part | None:
    return await session.scalar(readable_parts(principal).where(col(Part.id) == part_id))


def readable_locations(principal: Principal | None) -> SelectOfScalar[StockLocation]:
    return select(StockLocation).where(visible_locations(principal))


def listed_locations(
    principal: Principal | None,
    *,
    kind: StockLocationKind | None = None,
    include_archived: bool = False,
) -> SelectOfScalar[StockLocation]:
    statement = readable_locations(principal)
    if kind is not None:
        statement = statement.where(col(StockLocation.kind) == kind)
    if not include_archived:
        statement = statement.where(col(StockLocation.archived_at).is_(None))
    return statement


async def get_readable_location(
    session: AsyncSession, principal: Principal | None, location_id: int
) -> StockLocation | None:
    return await session.scalar(
        readable_locations(principal).where(col(StockLocation.id) == location_id)
    )


def readable_levels(principal: Principal | None) -> SelectOfScalar[StockLevel]:
    locations = select(StockLocation.id).where(visible_locations(principal))
    return select(StockLevel).where(col(StockLevel.location_id).in_(locations))


def listed_levels(
    principal: Principal | None,
    *,
    location_id: int | None = None,
    part_id: int | None = None,
    include_empty: bool = False,
) -> SelectOfScalar[StockLevel]:
    statement = readable_levels(principal)
    if location_id is not None:
        statement = statement.where(col(StockLevel.location_id) == location_id)
    if part_id is not None:
        statement = statement.where(col(StockLevel.part_id) == part_id)
    if not include_empty:
        statement = statement.where(col(StockLevel.on_hand) > 0)
    return statement


async def get_readable_level(
    session: AsyncSession, principal: Principal | None, level_id: int
) -> StockLevel | None:
    return await session.scalar(readable_levels(principal).where(col(StockLevel.id) == level_id))


def readable_movements(principal: Principal | None) -> SelectOfScalar[StockMovement]:
    locations = select(StockLocation.id).where(own_locations(principal))
    return select(StockMovement).where(col(StockMovement.location_id).in_(locations))


def listed_movements(
    principal: Principal | None,
    *,
    location_id: int | None = None,
    part_id: int | None = None,
    task_id: int | None = None,
) -> SelectOfScalar[StockMovement]:
    statement = readable_movements(principal)
    if location_id is not None:
        statement = statement.where(col(StockMovement.location_id) == location_id)
    if part_id is not None:
        statement = statement.where(col(StockMovement.part_id) == part_id)
    if task_id is not None:
        statement = statement.where(col(StockMovement.task_id) == task_id)
    return statement


async def get_readable_movement(
    session: AsyncSession, principal: Principal | None, movement_id: int
) -> StockMovement | None:
    return await session.scalar(
        readable_movements(principal).where(col(StockMovement.id) == movement_id)
    )


def readable_requisitions(principal: Principal | None) -> SelectOfScalar[Requisition]:
    statement = select(Requisition)
    if principal is None:
        return statement.where(false())
    if principal.is_staff:
        return statement
    if principal.role is Role.TECHNICIAN and principal.technician_id is not None:
        return statement.where(col(Requisition.technician_id) == principal.technician_id)
    if principal.role is Role.PARTNER and principal.partner_id is not None:
        return statement.where(
            col(Requisition.technician_id).in_(
                select(Technician.id).where(col(Technician.partner_id) == principal.partner_id)
            )
        )
    return statement.where(false())


async def get_readable_requisition(
    session: AsyncSession, principal: Principal | None, requisition_id: int
) -> Requisition | None:
    return await session.scalar(
        readable_requisitions(principal).where(col(Requisition.id) == requisition_id)
    )


# --- batches for loaders ------------------------------------------------------------------


async def compatible_models(
    session: AsyncSession, part_ids: Sequence[int]
) -> list[list[ProductModel]]:
    rows = await session.execute(
        select(col(PartCompatibility.part_id), ProductModel)
        .join(ProductModel, col(ProductModel.id) == col(PartCompatibility.product_model_id))
        .where(col(PartCompatibility.part_id).in_(part_ids))
        .order_by(col(ProductModel.code))
    )
    grouped: dict[int, list[ProductModel]] = defaultdict(list)
    for part_id, model in rows.all():
        grouped[part_id].append(model)
    return [grouped.get(i, []) for i in part_ids]


async def requisition_lines(
    session: AsyncSession, requisition_ids: Sequence[int]
) -> list[list[RequisitionLine]]:
    rows = await session.scalars(
        select(RequisitionLine)
        .where(col(RequisitionLine.requisition_id).in_(requisition_ids))
        .order_by(col(RequisitionLine.id))
    )
    grouped: dict[int, list[RequisitionLine]] = defaultdict(list)
    for line in rows.all():
        grouped[line.requisition_id].append(line)
    return [grouped.get(i, []) for i in requisition_ids]


async def van_of(session: AsyncSession, technician_id: int) -> StockLocation | None:
    return await session.scalar(
        select(StockLocation).where(col(StockLocation.technician_id) == technician_id)
    )


async def level_at(session: AsyncSession, location_id: int, part_id: int) -> StockLevel | None:
    return await session.scalar(
        select(StockLevel).where(
            col(StockLevel.location_id) == location_id, col(StockLevel.part_id) == part_id
        )
    )


async def reserved_for_task(
    session: AsyncSession, location_id: int, task_id: int, part_ids: Sequence[int]
) -> dict[int, int]:
    """Units of each part still held at the location for the task (reserve minus release)."""
    rows = await session.execute(
        select(col(StockMovement.part_id), func.sum(col(StockMovement.reserved_delta)))
        .where(
            col(StockMovement.location_id) == location_id,
            col(StockMovement.task_id) == task_id,
            col(StockMovement.part_id).in_(part_ids),
        )
        .group_by(col(StockMovement.part_id))
    )
    return {part_id: max(int(held or 0), 0) for part_id, held in rows.all()}


# --- nearest stock ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Availability:
    location: StockLocation
    level: StockLevel
    distance_meters: float


def _geography(point: LatLng) -> Any:
    return sa.cast(
        func.ST_SetSRID(func.ST_MakePoint(point.lng, point.lat), 4326), Geography(srid=4326)
    )


def nearest_statement(
    principal: Principal | None,
    part_id: int,
    point: LatLng,
    *,
    min_quantity: int,
    first: int,
    seen_since: datetime,
) -> Any:
    """(location id, level id, distance) of locations holding the part, nearest first.

    A warehouse is measured from its point; a van from its technician's last known location
    when reported since `seen_since`, else from the technician's home base. Each of the three
    cases is a branch ordered by the KNN operator over its own GiST-indexed column.
    """
    here = _geography(point)
    stocked = [
        col(StockLevel.part_id) == part_id,
        col(StockLevel.on_hand) - col(StockLevel.reserved) >= min_quantity,
        col(StockLocation.archived_at).is_(None),
        visible_locations(principal),
    ]
    fresh = sa.and_(
        col(Technician.last_location).is_not(None), col(Technician.last_seen_at) >= seen_since
    )

    def branch(column: Any, *conditions: Any) -> Any:
        statement: Any = (
            select(
                col(StockLocation.id).label("location_id"),
                col(StockLevel.id).label("level_id"),
                func.ST_Distance(column, here).label("distance"),
            )
            .join(StockLevel, col(StockLevel.location_id) == col(StockLocation.id))
            .where(*stocked, *conditions)
        )
        if column is not col(StockLocation.point):
            statement = statement.join(
                Technician, col(Technician.id) == col(StockLocation.technician_id)
            )
        return statement.order_by(column.op("<->")(here)).limit(first)

    warehouses = branch(
        col(StockLocation.point), col(StockLocation.kind) == StockLocationKind.WAREHOUSE
    )
    vans_live = branch(col(Technician.last_location), fresh)
    vans_home = branch(col(Technician.home_base), sa.not_(fresh))
    candidates = sa.union_all(warehouses, vans_live, vans_home).subquery("candidates")
    return (
        select(candidates.c.location_id, candidates.c.level_id, candidates.c.distance)
        .order_by(candidates.c.distance, candidates.c.location_id)
        .limit(first)
    )


async def nearest_stock(
    session: AsyncSession,
    principal: Principal | None,
    part_id: int,
    point: LatLng,
    *,
    min_quantity: int,
    first: int,
    seen_since: datetime,
) -> list[Availability]:
    statement = nearest_statement(
        principal, part_id, point, min_quantity=min_quantity, first=first, seen_since=seen_since
    )
    found = (await session.execute(statement)).all()
    if not found:
        return []
    locations = await session.scalars(
        select(StockLocation).where(col(StockLocation.id).in_([r.location_id for r in found]))
    )
    levels = await session.scalars(
        select(StockLevel).where(col(StockLevel.id).in_([r.level_id for r in found]))
    )
    by_location = {row.id: row for row in locations.all()}
    by_level = {row.id: row for row in levels.all()}
    return [
        Availability(by_location[r.location_id], by_level[r.level_id], float(r.distance))
        for r in found
    ]
