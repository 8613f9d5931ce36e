"""Warranty replacements in the demo city: two depots holding replacement units, and requests
raised from completed repairs of units under warranty over the last three months, in every
state (approved and carried out, rejected with a reason, withdrawn, waiting for a dispatcher
and for a manager), so the replacement report has rows per depot and month.

Deterministic: tasks are taken by id. Past decisions' messages count as sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from app.assets.models import Asset, ProductCategory, ProductModel
from app.core.auth import Principal, Role
from app.core.errors import DomainError
from app.core.geo import point_value
from app.depot_repair.models import Depot, RepairOrder, RepairStatus
from app.inventory import stock
from app.inventory.ledger import Stamp
from app.inventory.models import MovementLine, Part, StockLocation, StockLocationKind
from app.notifications.models import Notification, NotificationEvent, NotificationStatus
from app.replacements import service
from app.replacements.models import (
    ReplacementApproval,
    ReplacementRequest,
    ReplacementRequestCreate,
    ReplacementStatus,
)
from app.work_orders.models import Task, TaskStatus

DEPOTS = (
    # the depot repair service centres when the demo has them (it seeds them first)
    ("DEPOT-IND", "Indiranagar Service Centre", "100 Feet Road, Indiranagar", (12.9719, 77.6412)),
    ("DEPOT-JAY", "Jayanagar Service Centre", "11th Main, 4th Block, Jayanagar", (12.925, 77.5938)),
)
UNIT_COST = {
    ProductCategory.HVAC: Decimal("26000.00"),
    ProductCategory.APPLIANCE: Decimal("4800.00"),
    ProductCategory.ELECTRONICS: Decimal("3900.00"),
}
"""What a replacement unit costs us by category (others: 4,500): small units within a
dispatcher's limit, air conditioners needing a manager."""
UNITS_PER_DEPOT = 4
APPROVERS = {
    Role.DISPATCHER: Principal("user:2", Role.DISPATCHER, "Dinesh Gowda (dispatcher)"),
    Role.MANAGER: Principal("user:4", Role.MANAGER, "Mahesh Kulkarni (service manager)"),
    Role.ADMIN: Principal("user:1", Role.ADMIN, "Asha Rao (administrator)"),
}


@dataclass(frozen=True, slots=True)
class Story:
    outcome: ReplacementStatus
    depot: int
    """Index into DEPOTS."""
    days_ago: int
    diagnosis: str
    reason: str | None = None


STORIES = (
    Story(ReplacementStatus.APPROVED, 0, 80, "Compressor seized; no start on the capacitor test"),
    Story(ReplacementStatus.APPROVED, 1, 47, "Main board burnt after a surge; not repairable"),
    Story(ReplacementStatus.REJECTED, 0, 33, "Cabinet cracked, cooling weak",
          "Physical damage from transport is not covered by the warranty"),
    Story(ReplacementStatus.APPROVED, 0, 12, "Refrigerant leak in the evaporator coil"),
    Story(ReplacementStatus.WITHDRAWN, 1, 9, "Drum does not turn; motor suspected"),
    Story(ReplacementStatus.REJECTED, 1, 4, "Panel lines on the display",
          "Repairable: a panel cable is on order; repair instead of replacing"),
    Story(ReplacementStatus.PENDING_APPROVAL, 1, 1, "Inverter board fault repeats after repair"),
    Story(ReplacementStatus.PENDING_APPROVAL, 0, 0, "Compressor winding shorted to ground"),
)  # fmt: skip


async def seed_replacements(session: AsyncSession, now: datetime) -> dict[str, int]:
    depots = [await _depot(session, *spec) for spec in DEPOTS]
    candidates = await _repairs_under_warranty(session, now, len(STORIES) * 3)
    done = 0
    for task, asset, model in candidates:
        if done == len(STORIES):
            break
        story = STORIES[done]
        unit = await _unit(session, model, depots)
        try:
            async with session.begin_nested():
                await _tell_story(session, story, task, asset, unit, depots[story.depot], now)
        except DomainError:  # covered by a contract without parts, or similar: next one
            continue
        done += 1
    done += await _from_the_bench(session, depots, now)
    await _past_messages_sent(session, now)
    return {"depots": len(depots), "replacement_requests": done}


async def _from_the_bench(session: AsyncSession, depots: list[StockLocation], now: datetime) -> int:
    """Two units on the depot benches found not worth repairing: one replacement approved and
    issued from the depot's stock, one waiting for approval."""
    orders = (
        await session.scalars(
            select(RepairOrder)
            .join(Depot, col(Depot.id) == col(RepairOrder.depot_id))
            .where(
                col(RepairOrder.status).in_([RepairStatus.DIAGNOSING, RepairStatus.IN_REPAIR]),
                col(RepairOrder.technician_id).is_not(None),
                col(Depot.stock_location_id).in_([d.id for d in depots]),
            )
            .order_by(col(RepairOrder.id))
        )
    ).all()
    raised = 0
    for order in orders:
        if raised == 2:
            break
        asset = await session.get(Asset, order.asset_id)
        depot = await session.get(Depot, order.depot_id)
        if asset is None or depot is None:
            continue
        model = await session.get(ProductModel, asset.product_model_id)
        if model is None:
            continue
        unit = await _unit(session, model, depots)
        bench = Principal(
            f"technician:{order.technician_id}",
            Role.TECHNICIAN,
            technician_id=order.technician_id,
        )
        create = ReplacementRequestCreate(
            repair_order_id=order.id,
            replacement_part_id=unit.id or 0,
            stock_location_id=depot.stock_location_id,
            diagnosis="Found on the bench: the main board is beyond repair",
        )
        try:
            async with session.begin_nested():
                request = await service.request_replacement(
                    session, bench, create, today=now.date()
                )
                if raised == 0:
                    approver = APPROVERS[Role(request.approver_role)]
                    approval = ReplacementApproval(new_serial_number=f"{asset.serial_number}-R")
                    await service.approve(
                        session, approver, request.id or 0, approval, None, now=now
                    )
        except DomainError:  # out of warranty, or similar: the next order
            continue
        raised += 1
    return raised


async def _tell_story(
    session: AsyncSession,
    story: Story,
    task: Task,
    asset: Asset,
    unit: Part,
    depot: StockLocation,
    now: datetime,
) -> None:
    assert task.id and unit.id and depot.id and task.technician_id
    when = now - timedelta(days=story.days_ago, hours=3)
    technician = Principal(
        f"technician:{task.technician_id}", Role.TECHNICIAN, technician_id=task.technician_id
    )
    request = await service.request_replacement(
        session,
        technician,
        ReplacementRequestCreate(
            task_id=task.id,
            asset_id=asset.id,
            replacement_part_id=unit.id,
            stock_location_id=depot.id,
            diagnosis=story.diagnosis,
        ),
        today=now.date(),
    )
    assert request.id is not None
    request.created_at = request.updated_at = when
    decided = when + timedelta(hours=5)
    approver = APPROVERS[Role(request.approver_role)]
    if story.outcome is ReplacementStatus.APPROVED:
        serial = f"{asset.serial_number}-R"
        approval = ReplacementApproval(new_serial_number=serial)
        await service.approve(session, approver, request.id, approval, None, now=decided)
    elif story.outcome is ReplacementStatus.REJECTED:
        assert story.reason is not None
        await service.reject(session, approver, request.id, story.reason, None, now=decided)
    elif story.outcome is ReplacementStatus.WITHDRAWN:
        await service.withdraw(session, technician, request.id, None)
        request.updated_at = decided
    await session.flush()


async def _depot(
    session: AsyncSession, code: str, name: str, address: str, at: tuple[float, float]
) -> StockLocation:
    existing = await session.scalar(select(StockLocation).where(col(StockLocation.code) == code))
    if existing is not None:
        return existing
    depot = StockLocation(
        kind=StockLocationKind.WAREHOUSE,
        code=code,
        name=name,
        address=address,
        point=point_value(*at),
    )
    session.add(depot)
    await session.flush()
    return depot


async def _unit(session: AsyncSession, model: ProductModel, depots: list[StockLocation]) -> Part:
    """The model's replacement unit in the catalogue, stocked at every depot (once)."""
    sku = f"RU-{model.code}"[:60]
    part = await session.scalar(select(Part).where(col(Part.sku) == sku))
    if part is not None:
        return part
    cost = UNIT_COST.get(model.category, Decimal("4500.00"))
    part = Part(
        sku=sku,
        name=f"Replacement unit: {model.name}"[:200],
        unit_cost=cost,
        unit_price=cost * 2,
        category="replacement-unit",
    )
    session.add(part)
    await session.flush()
    assert part.id is not None
    stamp = Stamp(actor="demo:stores", reason="replacement units", reference="PO-DEMO-UNITS")
    for depot in depots:
        assert depot.id is not None
        line = MovementLine(part_id=part.id, quantity=UNITS_PER_DEPOT)
        await stock.receive(session, depot.id, [line], stamp)
    return part


async def _repairs_under_warranty(
    session: AsyncSession, now: datetime, n: int
) -> list[tuple[Task, Asset, ProductModel]]:
    """Completed repairs of distinct assets still under the manufacturer's warranty."""
    today = now.date()
    other = aliased(Task)
    first_task = (
        select(sa.func.min(other.id))
        .where(
            other.asset_id == Asset.id,
            other.status == TaskStatus.COMPLETED,
            other.technician_id.is_not(None),  # type: ignore[union-attr]
        )
        .correlate(Asset)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Task, Asset, ProductModel)
        .join(Asset, col(Asset.id) == col(Task.asset_id))
        .join(ProductModel, col(ProductModel.id) == col(Asset.product_model_id))
        .where(
            col(Task.id) == first_task,
            col(Asset.archived_at).is_(None),
            col(Asset.warranty_expires_on) >= today,
            sa.func.coalesce(col(Asset.sold_on), col(Asset.installed_on)) <= today,
        )
        .order_by(col(Task.id))
        .limit(n)
    )
    return [(task, asset, model) for task, asset, model in rows.all()]


async def _past_messages_sent(session: AsyncSession, now: datetime) -> None:
    """The customers heard of decisions made before today when they were made."""
    old = select(ReplacementRequest.id).where(
        col(ReplacementRequest.decided_at) < now - timedelta(days=1)
    )
    await session.execute(
        sa.update(Notification)
        .where(
            col(Notification.event).in_(
                (NotificationEvent.REPLACEMENT_APPROVED, NotificationEvent.REPLACEMENT_REJECTED)
            ),
            col(Notification.status) == NotificationStatus.PENDING,
            sa.cast(Notification.data["replacement_request_id"].astext, sa.BigInteger).in_(old),
        )
        .values(status=NotificationStatus.SENT, sent_at=now)
    )
