"""Stock operations in business terms, each posted to the ledger as one operation."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, FieldProblem, Forbidden, NotFound, collect
from app.inventory import repository
from app.inventory.catalogue import ensure_van
from app.inventory.ledger import Leg, Posted, Stamp, post
from app.inventory.models import (
    MovementKind,
    MovementLine,
    Part,
    StockLocation,
    StockLocationKind,
    TaskPartLine,
)

# --- checks -------------------------------------------------------------------------------


async def active_location(
    session: AsyncSession, location_id: int, field: str, kind: StockLocationKind | None = None
) -> StockLocation:
    location = await session.get(StockLocation, location_id)
    if location is None or location.archived_at is not None:
        raise NotFound("stock location", [field])
    if kind is not None and location.kind is not kind:
        raise DomainError(f"must be a {kind.value.lower()}", ErrorCode.INVALID, [field])
    return location


async def parts_of(
    session: AsyncSession, lines: Sequence[MovementLine], *, allow_archived: bool = True
) -> dict[int, Part]:
    """The lines' parts; NOT_FOUND or a duplicate line is reported on its own path."""
    ids = [line.part_id for line in lines]
    rows = (await session.scalars(select(Part).where(col(Part.id).in_(ids)))).all()
    found = {p.id: p for p in rows if allow_archived or p.archived_at is None}
    problems: list[FieldProblem] = []
    seen: set[int] = set()
    for i, part_id in enumerate(ids):
        if part_id not in found:
            problems.append(FieldProblem("part not found", ErrorCode.NOT_FOUND, _at(i, "partId")))
        elif part_id in seen:
            problems.append(
                FieldProblem("the part is listed twice", ErrorCode.INVALID, _at(i, "partId"))
            )
        seen.add(part_id)
    collect(problems)
    return {k: v for k, v in found.items() if k is not None}


def _at(i: int, name: str = "quantity") -> list[str]:
    return ["lines", str(i), name]


def may_use_van(principal: Principal, technician_id: int) -> None:
    """A technician moves stock of their own van only; staff of any."""
    if principal.role is Role.TECHNICIAN and principal.technician_id != technician_id:
        raise Forbidden("a technician may only use their own van", ["technicianId"])


def _between(source: int, target: int, lines: Sequence[MovementLine]) -> list[Leg]:
    legs: list[Leg] = []
    for i, line in enumerate(lines):
        field = tuple(_at(i))
        legs.append(Leg(source, line.part_id, -line.quantity, 0, target, field))
        legs.append(Leg(target, line.part_id, line.quantity, 0, source, field))
    return legs


# --- operations ---------------------------------------------------------------------------


async def receive(
    session: AsyncSession, location_id: int, lines: Sequence[MovementLine], stamp: Stamp
) -> Posted:
    """Goods in at a warehouse (a purchase order or delivery note as the reference)."""
    await active_location(session, location_id, "locationId", StockLocationKind.WAREHOUSE)
    await parts_of(session, lines, allow_archived=False)
    legs = [
        Leg(location_id, line.part_id, line.quantity, field=tuple(_at(i)))
        for i, line in enumerate(lines)
    ]
    return await post(session, MovementKind.RECEIVE, legs, stamp)


async def issue_to_van(
    session: AsyncSession,
    warehouse_id: int,
    technician_id: int,
    lines: Sequence[MovementLine],
    stamp: Stamp,
) -> Posted:
    await active_location(session, warehouse_id, "warehouseId", StockLocationKind.WAREHOUSE)
    van = await ensure_van(session, technician_id)
    await parts_of(session, lines)
    assert van.id is not None
    return await post(
        session, MovementKind.ISSUE_TO_VAN, _between(warehouse_id, van.id, lines), stamp
    )


async def return_to_warehouse(
    session: AsyncSession,
    technician_id: int,
    warehouse_id: int,
    lines: Sequence[MovementLine],
    stamp: Stamp,
) -> Posted:
    """Unused parts go back from the technician's van to a warehouse."""
    await active_location(session, warehouse_id, "warehouseId", StockLocationKind.WAREHOUSE)
    van = await repository.van_of(session, technician_id)
    if van is None:
        raise DomainError(
            "the technician has no van stock", ErrorCode.INSUFFICIENT_STOCK, ["lines"]
        )
    await parts_of(session, lines)
    assert van.id is not None
    return await post(session, MovementKind.RETURN, _between(van.id, warehouse_id, lines), stamp)


async def transfer(
    session: AsyncSession,
    from_location_id: int,
    to_location_id: int,
    lines: Sequence[MovementLine],
    stamp: Stamp,
) -> Posted:
    if from_location_id == to_location_id:
        raise DomainError(
            "source and destination are the same", ErrorCode.INVALID, ["toLocationId"]
        )
    await active_location(session, from_location_id, "fromLocationId")
    await active_location(session, to_location_id, "toLocationId")
    await parts_of(session, lines)
    legs = _between(from_location_id, to_location_id, lines)
    return await post(session, MovementKind.TRANSFER, legs, stamp)


async def adjust(
    session: AsyncSession, location_id: int, part_id: int, delta: int, stamp: Stamp
) -> Posted:
    """A correction after a count, damage or loss; the reason is mandatory."""
    if delta == 0:
        raise DomainError("an adjustment must change the stock", ErrorCode.INVALID, ["delta"])
    if not (stamp.reason or "").strip():
        raise DomainError("say why the stock is adjusted", ErrorCode.INVALID, ["reason"])
    await active_location(session, location_id, "locationId")
    await _part(session, part_id)
    leg = Leg(location_id, part_id, delta, field=("delta",))
    return await post(session, MovementKind.ADJUST, [leg], stamp)


async def reserve(
    session: AsyncSession, location_id: int, part_id: int, quantity: int, stamp: Stamp
) -> Posted:
    """Promise units (to a task): they stay on hand but are no longer available."""
    await active_location(session, location_id, "locationId")
    await _part(session, part_id)
    leg = Leg(location_id, part_id, 0, quantity, field=("quantity",))
    return await post(session, MovementKind.RESERVE, [leg], stamp)


async def release(
    session: AsyncSession, location_id: int, part_id: int, quantity: int, stamp: Stamp
) -> Posted:
    await active_location(session, location_id, "locationId")
    await _part(session, part_id)
    if stamp.task_id is not None:
        held = await repository.reserved_for_task(session, location_id, stamp.task_id, [part_id])
        if held.get(part_id, 0) < quantity:
            raise DomainError(
                f"only {held.get(part_id, 0)} reserved for this task",
                ErrorCode.INSUFFICIENT_STOCK,
                ["quantity"],
            )
    leg = Leg(location_id, part_id, 0, -quantity, field=("quantity",))
    return await post(session, MovementKind.RELEASE, [leg], stamp)


async def _part(session: AsyncSession, part_id: int) -> Part:
    part = await session.get(Part, part_id)
    if part is None:
        raise NotFound("part", ["partId"])
    return part


# --- parts used on a task -----------------------------------------------------------------


async def consume_on_task(
    session: AsyncSession,
    technician_id: int,
    task_id: int,
    lines: Sequence[TaskPartLine],
    actor: str,
    *,
    operation_key: str | None = None,
    reason: str | None = None,
) -> Posted:
    """Parts a technician used on a task leave their van.

    Units reserved at the van for this task are consumed first (they leave on hand and
    reserved together); the rest must be available. Each short line is INSUFFICIENT_STOCK
    on `lines.<i>.quantity`; an unknown part is NOT_FOUND on `lines.<i>.partId` (or `sku`).
    The service lifecycle calls this when a technician records parts used; pass a stable
    `operation_key` (for example the task part record's id) so a retry is not applied twice.
    """
    van = await repository.van_of(session, technician_id)
    parts = await _resolve_task_lines(session, lines)
    if van is None:
        collect(
            [
                FieldProblem(
                    "the technician's van holds none", ErrorCode.INSUFFICIENT_STOCK, _at(i)
                )
                for i in range(len(lines))
            ]
        )
    assert van is not None and van.id is not None
    held = await repository.reserved_for_task(session, van.id, task_id, parts)
    legs: list[Leg] = []
    for i, (part_id, line) in enumerate(zip(parts, lines, strict=True)):
        from_reserved = min(held.get(part_id, 0), line.quantity)
        legs.append(Leg(van.id, part_id, -line.quantity, -from_reserved, field=tuple(_at(i))))
    stamp = Stamp(actor=actor, reason=reason, task_id=task_id, operation_key=operation_key)
    return await post(session, MovementKind.CONSUME, legs, stamp)


async def _resolve_task_lines(session: AsyncSession, lines: Sequence[TaskPartLine]) -> list[int]:
    ids = [line.part_id for line in lines if line.part_id is not None]
    skus = [line.sku for line in lines if line.part_id is None and line.sku is not None]
    rows = (
        await session.scalars(select(Part).where(col(Part.id).in_(ids) | col(Part.sku).in_(skus)))
    ).all()
    by_id = {p.id: p.id for p in rows}
    by_sku = {p.sku: p.id for p in rows}
    resolved: list[int] = []
    problems: list[FieldProblem] = []
    for i, line in enumerate(lines):
        part_id = (
            by_id.get(line.part_id) if line.part_id is not None else by_sku.get(line.sku or "")
        )
        if part_id is None:
            name = "partId" if line.part_id is not None else "sku"
            problems.append(FieldProblem("part not found", ErrorCode.NOT_FOUND, _at(i, name)))
        elif part_id in resolved:
            problems.append(FieldProblem("the part is listed twice", ErrorCode.INVALID, _at(i)))
        else:
            resolved.append(part_id)
    collect(problems)
    return resolved
