"""Parts and stock locations: create, update, archive; vans on demand."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, delete, select

from app.assets.models import ProductModel
from app.core.errors import DomainError, ErrorCode, FieldProblem, NotFound, collect
from app.core.geo import point_value
from app.core.models import utcnow
from app.core.repository import check_version, flush_unique, get_for_update
from app.inventory import repository
from app.inventory.models import (
    Part,
    PartCompatibility,
    PartCreate,
    PartUpdate,
    StockLevel,
    StockLocation,
    StockLocationKind,
    WarehouseCreate,
    WarehouseUpdate,
)
from app.technicians.models import Technician

# --- parts --------------------------------------------------------------------------------


async def _check_models(session: AsyncSession, model_ids: Sequence[int], field: str) -> None:
    found = set(
        (
            await session.scalars(
                select(ProductModel.id).where(col(ProductModel.id).in_(model_ids))
            )
        ).all()
    )
    collect(
        [
            FieldProblem("product model not found", ErrorCode.NOT_FOUND, [field, str(i)])
            for i, model_id in enumerate(model_ids)
            if model_id not in found
        ]
    )


async def _set_models(session: AsyncSession, part_id: int, model_ids: Sequence[int]) -> None:
    await session.execute(
        delete(PartCompatibility).where(col(PartCompatibility.part_id) == part_id)
    )
    session.add_all(
        PartCompatibility(part_id=part_id, product_model_id=m) for m in dict.fromkeys(model_ids)
    )


async def create_part(session: AsyncSession, data: PartCreate) -> Part:
    await _check_models(session, data.compatible_model_ids, "compatibleModelIds")
    part = Part(
        sku=data.sku,
        name=data.name,
        description=data.description,
        unit=data.unit,
        unit_cost=data.unit_cost.amount,
        unit_price=data.unit_price.amount,
        currency=data.unit_cost.currency,
        is_accessory=data.is_accessory,
        reorder_level=data.reorder_level,
        category=data.category,
    )
    session.add(part)
    await flush_unique(session, "sku", f"a part with SKU {data.sku} exists")
    assert part.id is not None
    await _set_models(session, part.id, data.compatible_model_ids)
    await session.flush()
    return part


async def update_part(
    session: AsyncSession, part_id: int, changes: PartUpdate, expected_version: int | None
) -> Part:
    part = await get_for_update(session, Part, part_id, what="part")
    check_version(part, expected_version)
    values = changes.model_dump(exclude_unset=True)
    models = values.pop("compatible_model_ids", None)
    for name in ("unit_cost", "unit_price"):
        money = getattr(changes, name) if name in values else None
        values.pop(name, None)
        if money is not None:
            if money.currency != part.currency:
                raise DomainError(
                    f"the part is priced in {part.currency}", ErrorCode.INVALID, [_camel(name)]
                )
            setattr(part, name, money.amount)
    for name, value in values.items():
        setattr(part, name, value)
    if models is not None:
        await _check_models(session, models, "compatibleModelIds")
        await _set_models(session, part_id, models)
    part.touch()
    await session.flush()
    return part


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


async def archive_part(session: AsyncSession, part_id: int, expected_version: int | None) -> Part:
    part = await get_for_update(session, Part, part_id, what="part")
    check_version(part, expected_version)
    if part.archived_at is None:
        part.archived_at = utcnow()
        part.touch()
        await session.flush()
    return part


# --- warehouses ---------------------------------------------------------------------------


async def create_warehouse(session: AsyncSession, data: WarehouseCreate) -> StockLocation:
    location = StockLocation(
        kind=StockLocationKind.WAREHOUSE,
        code=data.code,
        name=data.name,
        address=data.address,
        point=point_value(data.point.lat, data.point.lng),
    )
    session.add(location)
    await flush_unique(session, "code", f"a stock location with code {data.code} exists")
    return location


async def _warehouse_for_update(session: AsyncSession, location_id: int) -> StockLocation:
    location = await get_for_update(session, StockLocation, location_id, what="warehouse")
    if location.kind is not StockLocationKind.WAREHOUSE:
        raise NotFound("warehouse", ["id"])
    return location


async def update_warehouse(
    session: AsyncSession, location_id: int, changes: WarehouseUpdate, expected_version: int | None
) -> StockLocation:
    location = await _warehouse_for_update(session, location_id)
    check_version(location, expected_version)
    values = changes.model_dump(exclude_unset=True)
    if "point" in values and changes.point is not None:
        values["point"] = point_value(changes.point.lat, changes.point.lng)
    for name, value in values.items():
        setattr(location, name, value)
    location.touch()
    await session.flush()
    return location


async def archive_warehouse(
    session: AsyncSession, location_id: int, expected_version: int | None
) -> StockLocation:
    """Archive an empty warehouse; one that still holds stock must be emptied first."""
    location = await _warehouse_for_update(session, location_id)
    check_version(location, expected_version)
    holding = await session.scalar(
        select(StockLevel.id).where(
            col(StockLevel.location_id) == location_id, col(StockLevel.on_hand) > 0
        )
    )
    if holding is not None:
        raise DomainError(
            "the warehouse still holds stock; transfer it out first", ErrorCode.CONFLICT, ["id"]
        )
    if location.archived_at is None:
        location.archived_at = utcnow()
        location.touch()
        await session.flush()
    return location


# --- vans ---------------------------------------------------------------------------------


async def ensure_van(
    session: AsyncSession, technician_id: int, field: str = "technicianId"
) -> StockLocation:
    """The technician's van, created on first use."""
    van = await repository.van_of(session, technician_id)
    if van is not None:
        return van
    technician = await session.get(Technician, technician_id)
    if technician is None or technician.archived_at is not None:
        raise NotFound("technician", [field])
    van = StockLocation(
        kind=StockLocationKind.VAN,
        code=f"VAN-{technician_id}",
        name=f"Van of {technician.name}",
        technician_id=technician_id,
    )
    session.add(van)
    try:
        await flush_unique(session, field, "the technician already has a van")
    except DomainError:
        if van in session:
            session.expunge(van)
        existing = await repository.van_of(session, technician_id)
        if existing is None:
            raise
        return existing
    return van
