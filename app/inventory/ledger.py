"""The movement ledger: every stock change is posted here, and only here.

`post` writes the movement legs and moves the levels in one savepoint. Each level changes by
one conditional `UPDATE ... WHERE on_hand + d >= reserved + r AND reserved + r >= 0
RETURNING`: under concurrent consumption PostgreSQL re-checks the condition on the row's
latest version, so exactly the available units are handed out and the rest are refused
with INSUFFICIENT_STOCK. Operations touching several level rows (transfers, multi-line
issues) first lock those rows in (location, part) order, so two opposite transfers wait for
each other instead of deadlocking. The CHECK constraints on `stock_levels` stay as the last
line of defence.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.errors import DomainError, ErrorCode, FieldProblem, NotFound
from app.core.events import queue_event
from app.core.models import utcnow
from app.inventory import channels
from app.inventory.models import MovementKind, StockLevel, StockMovement

TASKS = sa.table("tasks", sa.column("id"))
"""The service lifecycle's tasks, which movements reference (read by id only)."""


@dataclass(frozen=True, slots=True)
class Leg:
    """A change at one (location, part): deltas of on-hand and reserved units."""

    location_id: int
    part_id: int
    on_hand_delta: int
    reserved_delta: int = 0
    counterpart_location_id: int | None = None
    field: tuple[str, ...] | None = None
    """Where a refusal of this leg points in the caller's input."""

    @property
    def key(self) -> tuple[int, int]:
        return (self.location_id, self.part_id)

    @property
    def quantity(self) -> int:
        return max(abs(self.on_hand_delta), abs(self.reserved_delta))


@dataclass(frozen=True, slots=True)
class Stamp:
    """Who, why and for what: recorded on every leg of one operation."""

    actor: str
    reason: str | None = None
    reference: str | None = None
    task_id: int | None = None
    requisition_id: int | None = None
    operation_key: str | None = None


@dataclass(slots=True)
class Posted:
    movements: list[StockMovement] = field(default_factory=list)
    levels: list[StockLevel] = field(default_factory=list)
    replayed: bool = False


async def post(
    session: AsyncSession, kind: MovementKind, legs: Sequence[Leg], stamp: Stamp
) -> Posted:
    """Apply `legs` as one operation, or refuse all of it (nothing written, nothing queued)."""
    if not legs:
        raise DomainError("nothing to move", ErrorCode.INVALID, ["lines"])
    if stamp.operation_key is not None:
        earlier = await _earlier(session, stamp.operation_key)
        if earlier is not None:
            return earlier
    if stamp.task_id is not None:
        await task_exists(session, stamp.task_id)
    key = stamp.operation_key or uuid.uuid4().hex
    async with session.begin_nested():
        levels = await _move_levels(session, legs)
        movements = [_movement(kind, leg, n, key, stamp) for n, leg in enumerate(legs)]
        session.add_all(movements)
        await session.flush()
    for movement, level in zip(movements, levels, strict=True):
        _queue_change(session, movement, level)
    return Posted(movements=movements, levels=_distinct(levels))


async def task_exists(session: AsyncSession, task_id: int) -> None:
    """Movements name their task by foreign key: an unknown one is NOT_FOUND, not a crash."""
    found = await session.scalar(sa.select(sa.literal(1)).where(TASKS.c.id == task_id))
    if found is None:
        raise NotFound("task", ["taskId"])


async def _earlier(session: AsyncSession, key: str) -> Posted | None:
    rows = (
        await session.scalars(
            select(StockMovement)
            .where(col(StockMovement.operation_key) == key)
            .order_by(col(StockMovement.leg))
        )
    ).all()
    if not rows:
        return None
    keys = sa.tuple_(col(StockLevel.location_id), col(StockLevel.part_id)).in_(
        [(m.location_id, m.part_id) for m in rows]
    )
    levels = (await session.scalars(select(StockLevel).where(keys))).all()
    return Posted(movements=list(rows), levels=list(levels), replayed=True)


async def _move_levels(session: AsyncSession, legs: Sequence[Leg]) -> list[StockLevel]:
    keys = sorted({leg.key for leg in legs})
    growing = sorted({leg.key for leg in legs if leg.on_hand_delta > 0})
    if growing:
        await session.execute(
            insert(StockLevel)
            .values(
                [
                    {"location_id": loc, "part_id": part, "on_hand": 0, "reserved": 0}
                    | {"updated_at": utcnow()}
                    for loc, part in growing
                ]
            )
            .on_conflict_do_nothing(index_elements=["location_id", "part_id"])
        )
    if len(keys) > 1:
        await session.execute(
            select(col(StockLevel.id))
            .where(sa.tuple_(col(StockLevel.location_id), col(StockLevel.part_id)).in_(keys))
            .order_by(col(StockLevel.location_id), col(StockLevel.part_id))
            .with_for_update()
        )
    levels: list[StockLevel] = []
    problems: list[FieldProblem] = []
    for leg in legs:
        level = await _change(session, leg)
        if level is None:
            problems.append(await _refusal(session, leg))
        else:
            levels.append(level)
    if problems:
        for level in levels:  # their RETURNING values die with the savepoint
            session.expunge(level)
        raise DomainError(problems[0].message, problems=problems)
    return levels


async def _change(session: AsyncSession, leg: Leg) -> StockLevel | None:
    on_hand, reserved = col(StockLevel.on_hand), col(StockLevel.reserved)
    statement = (
        sa.update(StockLevel)
        .where(
            col(StockLevel.location_id) == leg.location_id,
            col(StockLevel.part_id) == leg.part_id,
            on_hand + leg.on_hand_delta >= reserved + leg.reserved_delta,
            reserved + leg.reserved_delta >= 0,
        )
        .values(
            on_hand=on_hand + leg.on_hand_delta,
            reserved=reserved + leg.reserved_delta,
            updated_at=utcnow(),
        )
        .returning(StockLevel)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    level: StockLevel | None = (await session.scalars(statement)).one_or_none()
    return level


async def _refusal(session: AsyncSession, leg: Leg) -> FieldProblem:
    level = await session.scalar(
        select(StockLevel).where(
            col(StockLevel.location_id) == leg.location_id, col(StockLevel.part_id) == leg.part_id
        )
    )
    available = level.available if level else 0
    if leg.reserved_delta < 0 and leg.on_hand_delta == 0:
        held = level.reserved if level else 0
        message = f"only {held} reserved, cannot release {-leg.reserved_delta}"
    else:
        message = f"only {available} available, {leg.quantity} needed"
    field = list(leg.field) if leg.field else None
    return FieldProblem(message, ErrorCode.INSUFFICIENT_STOCK, field)


def _movement(kind: MovementKind, leg: Leg, n: int, key: str, stamp: Stamp) -> StockMovement:
    return StockMovement(
        operation_key=key,
        leg=n,
        kind=kind,
        location_id=leg.location_id,
        part_id=leg.part_id,
        counterpart_location_id=leg.counterpart_location_id,
        quantity=leg.quantity,
        on_hand_delta=leg.on_hand_delta,
        reserved_delta=leg.reserved_delta,
        actor=stamp.actor,
        reason=stamp.reason,
        reference=stamp.reference,
        task_id=stamp.task_id,
        requisition_id=stamp.requisition_id,
    )


def _distinct(levels: list[StockLevel]) -> list[StockLevel]:
    """The final state of each touched level, in the order first touched."""
    latest: dict[int | None, StockLevel] = {}
    for level in levels:
        latest[level.id] = level
    return list(latest.values())


def _queue_change(session: AsyncSession, movement: StockMovement, level: StockLevel) -> None:
    data: dict[str, Any] = {
        "movement_id": movement.id,
        "kind": movement.kind.value,
        "location_id": movement.location_id,
        "part_id": movement.part_id,
        "level_id": level.id,
        "on_hand": level.on_hand,
        "reserved": level.reserved,
        "delta": movement.on_hand_delta,
        "reserved_delta": movement.reserved_delta,
        "task_id": movement.task_id,
    }
    queue_event(
        session, channels.for_change(movement.location_id, movement.part_id), "STOCK_CHANGED", data
    )


# --- reading the ledger back (audits and tests) -------------------------------------------


async def ledger_sums(session: AsyncSession) -> dict[tuple[int, int], tuple[int, int]]:
    """(location, part) -> (sum of on-hand deltas, sum of reserved deltas)."""
    rows = await session.execute(
        select(
            col(StockMovement.location_id),
            col(StockMovement.part_id),
            sa.func.sum(col(StockMovement.on_hand_delta)),
            sa.func.sum(col(StockMovement.reserved_delta)),
        ).group_by(col(StockMovement.location_id), col(StockMovement.part_id))
    )
    return {(loc, part): (int(on), int(res)) for loc, part, on, res in rows.all()}


async def drift(session: AsyncSession) -> list[tuple[int, int]]:
    """Levels that disagree with the ledger (empty when the invariant holds)."""
    sums = await ledger_sums(session)
    levels = (
        await session.scalars(select(StockLevel).execution_options(populate_existing=True))
    ).all()
    held = {(lv.location_id, lv.part_id): (lv.on_hand, lv.reserved) for lv in levels}
    keys = set(sums) | set(held)
    return sorted(k for k in keys if sums.get(k, (0, 0)) != held.get(k, (0, 0)))
