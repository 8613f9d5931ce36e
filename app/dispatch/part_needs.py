"""The parts a task needs, where they are, and the warehouse units a plan reserves for pickups.

A task's needs come from its service request's remote diagnosis (each suspected part, one
unit) and from a dispatcher (`set_part_needs`), whose quantities win part by part (0 drops a
suspicion). Holdings are the units available (on hand, not reserved) in technicians' vans and
in warehouses. A published plan reserves, through the inventory ledger, the units of each
pickup it plans; the next published plan of the territory releases what it no longer plans,
and what an unassigned or cancelled task held.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
import structlog
from geoalchemy2 import Geometry
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.auth import Principal
from app.core.errors import DomainError, ErrorCode, FieldProblem, NotFound, collect
from app.core.geo import LatLng
from app.core.models import utcnow
from app.core.repository import check_version
from app.dispatch.models import PickupReservation, TaskPartNeed
from app.inventory import stock
from app.inventory.ledger import Stamp
from app.inventory.models import Part, StockLevel, StockLocation, StockLocationKind
from app.remote_service.models import RemoteCase
from app.technicians.models import TerritoryMembership
from app.work_orders import repository
from app.work_orders.models import Task, TaskStatus

log = structlog.get_logger("fieldgraph.dispatch")

MAX_NEEDS = 20
"""Parts one task may need (a diagnosis suspects at most as many)."""
MAX_UNITS = 999
CHANGEABLE = (TaskStatus.UNSCHEDULED, TaskStatus.SCHEDULED, TaskStatus.DISPATCHED)
"""A task's needs change while a plan may still move it."""
NOT_HOLDING = (
    TaskStatus.UNSCHEDULED,
    TaskStatus.CANCELLED,
    TaskStatus.COMPLETED,
    TaskStatus.INCOMPLETE,
)
"""A task in these states keeps no pickup reservation (unassigned, or its visit is over)."""


class NeedSource(StrEnum):
    """Where a part need comes from."""

    DIAGNOSIS = "DIAGNOSIS"
    """Suspected by the remote diagnosis of the task's service request."""
    DISPATCHER = "DISPATCHER"
    """Set on the task by a dispatcher."""


@dataclass(frozen=True)
class PartNeed:
    part_id: int
    quantity: int
    source: NeedSource


async def needs_of(session: AsyncSession, task_ids: Sequence[int]) -> dict[int, list[PartNeed]]:
    """Each task's part needs (tasks without any are left out), in two statements."""
    if not task_ids:
        return {}
    diagnosed = await session.execute(
        sa.select(col(Task.id), col(RemoteCase.suspected_part_ids))
        .join(RemoteCase, col(RemoteCase.service_request_id) == col(Task.service_request_id))
        .where(col(Task.id).in_(task_ids))
    )
    found: dict[int, dict[int, PartNeed]] = defaultdict(dict)
    for task_id, part_ids in diagnosed.all():
        for part_id in part_ids or ():
            found[task_id or 0][part_id] = PartNeed(part_id, 1, NeedSource.DIAGNOSIS)
    set_rows = await session.execute(
        select(TaskPartNeed.task_id, TaskPartNeed.part_id, TaskPartNeed.quantity).where(
            col(TaskPartNeed.task_id).in_(task_ids)
        )
    )
    for task_id, part_id, quantity in set_rows.all():
        found[task_id][part_id] = PartNeed(part_id, quantity, NeedSource.DISPATCHER)
    return {
        task_id: sorted((n for n in needs.values() if n.quantity > 0), key=lambda n: n.part_id)
        for task_id, needs in found.items()
        if any(n.quantity > 0 for n in needs.values())
    }


async def set_part_needs(
    session: AsyncSession,
    principal: Principal,
    task_id: int,
    parts: Sequence[tuple[int, int]],
    expected_version: int | None,
) -> Task:
    """Replace the dispatcher's part needs of a task (quantity 0: not needed after all)."""
    _check_lines(parts)
    task = await repository.get_for_change(session, principal, task_id)
    check_version(task, expected_version)
    if task.status not in CHANGEABLE:
        raise DomainError(
            f"part needs change before the task is accepted; it is {task.status}",
            ErrorCode.INVALID_TRANSITION,
            ["taskId"],
        )
    ids = [part_id for part_id, _ in parts]
    known = set((await session.execute(select(Part.id).where(col(Part.id).in_(ids)))).scalars())
    for i, part_id in enumerate(ids):
        if part_id not in known:
            raise DomainError("no such part", ErrorCode.NOT_FOUND, ["parts", str(i), "partId"])
    await session.execute(sa.delete(TaskPartNeed).where(col(TaskPartNeed.task_id) == task_id))
    session.add_all(
        TaskPartNeed(task_id=task_id, part_id=p, quantity=q, set_by=principal.subject)
        for p, q in parts
    )
    task.touch()
    await session.flush()
    return task


def _check_lines(parts: Sequence[tuple[int, int]]) -> None:
    if len(parts) > MAX_NEEDS:
        raise DomainError(f"at most {MAX_NEEDS} parts", ErrorCode.INVALID, ["parts"])
    problems: list[FieldProblem] = []
    seen: set[int] = set()
    for i, (part_id, quantity) in enumerate(parts):
        if not 0 <= quantity <= MAX_UNITS:
            problems.append(
                FieldProblem(
                    f"quantity must be 0 to {MAX_UNITS}",
                    ErrorCode.INVALID,
                    ["parts", str(i), "quantity"],
                )
            )
        if part_id in seen:
            problems.append(
                FieldProblem("a part listed twice", ErrorCode.INVALID, ["parts", str(i), "partId"])
            )
        seen.add(part_id)
    collect(problems)


# --- holdings ------------------------------------------------------------------------------


def _available() -> sa.ColumnElement[int]:
    return col(StockLevel.on_hand) - col(StockLevel.reserved)


async def van_stock(
    session: AsyncSession, technician_ids: Sequence[int], part_ids: Collection[int]
) -> dict[int, dict[int, int]]:
    """Units available in each technician's van, of the given parts (one statement)."""
    if not technician_ids or not part_ids:
        return {}
    rows = await session.execute(
        sa.select(col(StockLocation.technician_id), col(StockLevel.part_id), _available())
        .join(StockLocation, col(StockLocation.id) == col(StockLevel.location_id))
        .where(
            col(StockLocation.kind) == StockLocationKind.VAN,
            col(StockLocation.technician_id).in_(technician_ids),
            col(StockLocation.archived_at).is_(None),
            col(StockLevel.part_id).in_(part_ids),
            _available() > 0,
        )
    )
    found: dict[int, dict[int, int]] = defaultdict(dict)
    for technician_id, part_id, units in rows.all():
        found[technician_id or 0][part_id] = int(units)
    return found


@dataclass(frozen=True)
class DepotFacts:
    """A warehouse with units available of some needed parts."""

    id: int
    name: str
    point: LatLng
    stock: dict[int, int]


async def warehouses_holding(session: AsyncSession, part_ids: Collection[int]) -> list[DepotFacts]:
    """Active warehouses with units available of the given parts (one statement)."""
    if not part_ids:
        return []
    geometry = sa.cast(StockLocation.point, Geometry)
    rows = await session.execute(
        sa.select(
            col(StockLocation.id),
            col(StockLocation.name),
            sa.func.ST_Y(geometry),
            sa.func.ST_X(geometry),
            col(StockLevel.part_id),
            _available(),
        )
        .join(StockLocation, col(StockLocation.id) == col(StockLevel.location_id))
        .where(
            col(StockLocation.kind) == StockLocationKind.WAREHOUSE,
            col(StockLocation.archived_at).is_(None),
            col(StockLevel.part_id).in_(part_ids),
            _available() > 0,
        )
        .order_by(col(StockLocation.id))
    )
    depots: dict[int, DepotFacts] = {}
    for location_id, name, lat, lng, part_id, units in rows.all():
        depot = depots.setdefault(
            location_id, DepotFacts(location_id, name, LatLng(float(lat), float(lng)), {})
        )
        depot.stock[part_id] = int(units)
    return list(depots.values())


# --- pickup reservations -------------------------------------------------------------------


@dataclass(frozen=True)
class Pickup:
    """Units of a part a plan picks up at a warehouse for a task."""

    task_id: int
    technician_id: int
    location_id: int
    part_id: int
    quantity: int


async def hold_pickups(
    session: AsyncSession,
    territory_id: int,
    run_id: int,
    actor: str,
    planned: Collection[int],
    pickups: Sequence[Pickup],
) -> None:
    """Make the territory's pickup reservations those of the published plan: release what
    earlier plans held for `planned` tasks and this one drops (and what unassigned or
    cancelled tasks held), reserve what it adds. A warehouse that ran short in the meantime
    refuses its units: the pickup stays in the plan, logged, without a reservation."""
    held = await _held(session, territory_id, planned)
    wanted = {(p.task_id, p.technician_id, p.location_id, p.part_id): p for p in pickups}
    for row in held:
        key = (row.task_id, row.technician_id, row.location_id, row.part_id)
        kept = wanted.get(key)
        if kept is not None and kept.quantity == row.quantity:
            del wanted[key]
            continue
        await _release(session, row, actor, f"re-planned by dispatch run {run_id}")
    for pickup in wanted.values():
        await _reserve(session, pickup, run_id, actor)


async def _held(
    session: AsyncSession, territory_id: int, planned: Collection[int]
) -> list[PickupReservation]:
    dropped = col(Task.status).in_(NOT_HOLDING) | col(Task.id).in_(list(planned))
    rows = await session.execute(
        select(PickupReservation)
        .join(Task, col(Task.id) == col(PickupReservation.task_id))
        .where(
            col(Task.territory_id) == territory_id,
            col(PickupReservation.released_at).is_(None),
            dropped,
        )
        .order_by(col(PickupReservation.id))
        .with_for_update(of=PickupReservation)
    )
    return list(rows.scalars())


async def _reserve(session: AsyncSession, pickup: Pickup, run_id: int, actor: str) -> None:
    stamp = Stamp(
        actor=actor,
        reason=f"pickup planned by dispatch run {run_id}",
        task_id=pickup.task_id,
        operation_key=f"dispatch-pickup:{run_id}:{pickup.task_id}:{pickup.location_id}:"
        f"{pickup.part_id}",
    )
    try:
        await stock.reserve(session, pickup.location_id, pickup.part_id, pickup.quantity, stamp)
    except DomainError as error:
        log.info("pickup not reserved", task=pickup.task_id, run=run_id, code=error.code.value)
        return
    session.add(
        PickupReservation(
            task_id=pickup.task_id,
            run_id=run_id,
            technician_id=pickup.technician_id,
            location_id=pickup.location_id,
            part_id=pickup.part_id,
            quantity=pickup.quantity,
        )
    )


async def _release(session: AsyncSession, row: PickupReservation, actor: str, why: str) -> None:
    stamp = Stamp(actor=actor, reason=why, task_id=row.task_id)
    try:
        await stock.release(session, row.location_id, row.part_id, row.quantity, stamp)
    except DomainError as error:
        # Already given back or used at the warehouse: nothing left to release.
        log.info("pickup release skipped", task=row.task_id, code=error.code.value)
    row.released_at = utcnow()
    session.add(row)


async def held_pickups(session: AsyncSession, task_id: int) -> list[PickupReservation]:
    """The task's pickup reservations in force."""
    rows = await session.execute(
        select(PickupReservation)
        .where(
            col(PickupReservation.task_id) == task_id,
            col(PickupReservation.released_at).is_(None),
        )
        .order_by(col(PickupReservation.id))
    )
    return list(rows.scalars())


# --- what decides a task's parts -----------------------------------------------------------

MAX_EXPLANATION_LINES = 50


@dataclass(frozen=True)
class PartsView:
    task_id: int
    needs: list[PartNeed]
    reservations: list[PickupReservation]
    explanation: list[str]


async def parts_view(session: AsyncSession, principal: Principal | None, task_id: int) -> PartsView:
    """The task's needs, its pickup reservations and what decides its parts for dispatch."""
    task = await repository.get_readable(session, principal, task_id)
    if task is None:
        raise NotFound("task", ["taskId"])
    needs = (await needs_of(session, [task_id])).get(task_id, [])
    reservations = await held_pickups(session, task_id)
    lines = await _explanation(session, task, needs) if needs else []
    return PartsView(task_id, needs, reservations, lines[:MAX_EXPLANATION_LINES])


async def _explanation(session: AsyncSession, task: Task, needs: Sequence[PartNeed]) -> list[str]:
    """'van V holds ...' for the territory's vans holding every needed unit, 'warehouse W
    stocks ...' for warehouses that do, 'no stock of P' for a part held nowhere."""
    wanted = {n.part_id: n.quantity for n in needs}
    names: dict[int, str] = dict(
        (await session.execute(select(Part.id, Part.name).where(col(Part.id).in_(wanted)))).all()
    )
    listing = ", ".join(f"{units} x {names.get(p, p)}" for p, units in wanted.items())
    vans = await _territory_vans(session, task.territory_id, wanted)
    depots = await warehouses_holding(session, wanted)
    lines = [f"van {name} holds {listing}" for name, units in vans if _covers(units, wanted)]
    lines += [
        f"pickup of {listing} possible at warehouse {d.name}"
        for d in depots
        if _covers(d.stock, wanted)
    ]
    for part_id in wanted:
        anywhere = any(part_id in units for _, units in vans) or any(
            part_id in d.stock for d in depots
        )
        if not anywhere:
            lines.append(f"no stock of {names.get(part_id, part_id)}")
    return lines


def _covers(units: dict[int, int], wanted: dict[int, int]) -> bool:
    return all(units.get(p, 0) >= q for p, q in wanted.items())


async def _territory_vans(
    session: AsyncSession, territory_id: int | None, part_ids: Collection[int]
) -> list[tuple[str, dict[int, int]]]:
    """The vans of the territory's current technicians, with their available units."""
    members = select(TerritoryMembership.technician_id).where(
        col(TerritoryMembership.territory_id) == territory_id,
        col(TerritoryMembership.valid_to).is_(None),
    )
    rows = await session.execute(
        sa.select(col(StockLocation.name), col(StockLevel.part_id), _available())
        .join(StockLocation, col(StockLocation.id) == col(StockLevel.location_id))
        .where(
            col(StockLocation.kind) == StockLocationKind.VAN,
            col(StockLocation.technician_id).in_(members),
            col(StockLevel.part_id).in_(part_ids),
            _available() > 0,
        )
        .order_by(col(StockLocation.name))
    )
    vans: dict[str, dict[int, int]] = defaultdict(dict)
    for name, part_id, units in rows.all():
        vans[name][part_id] = int(units)
    return list(vans.items())
