"""Repair order queries, scoped once to what the caller may read: staff every order, a
bench technician the orders of their depot, a customer their own, a partner none."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal, Role
from app.core.errors import NotFound
from app.depot_repair.models import (
    BENCH_STATUSES,
    Depot,
    DepotTechnician,
    RepairOrder,
    RepairStatus,
)


def _depot_of(technician_id: int) -> Any:
    return select(DepotTechnician.depot_id).where(
        col(DepotTechnician.technician_id) == technician_id
    )


def readable(principal: Principal | None) -> SelectOfScalar[RepairOrder]:
    statement = select(RepairOrder)
    if principal is None:
        return statement.where(false())
    if principal.is_staff:
        return statement
    if principal.role is Role.CUSTOMER and principal.customer_id:
        return statement.where(col(RepairOrder.customer_id) == principal.customer_id)
    if principal.role is Role.TECHNICIAN and principal.technician_id:
        return statement.where(
            (col(RepairOrder.technician_id) == principal.technician_id)
            | col(RepairOrder.depot_id).in_(_depot_of(principal.technician_id))
        )
    return statement.where(false())


async def get_readable(
    session: AsyncSession, principal: Principal | None, order_id: int
) -> RepairOrder | None:
    order: RepairOrder | None = await session.scalar(
        readable(principal).where(col(RepairOrder.id) == order_id)
    )
    return order


async def for_change(session: AsyncSession, principal: Principal, order_id: int) -> RepairOrder:
    """The order locked for this transaction (a concurrent step waits, then sees the new
    version), or NOT_FOUND when the caller may not see it."""
    order = await session.scalar(
        readable(principal)
        .where(col(RepairOrder.id) == order_id)
        .with_for_update(of=RepairOrder)
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise NotFound("repair order", ["repairOrderId"])
    return order


def listed(
    principal: Principal | None,
    *,
    depot_id: int | None = None,
    status: list[RepairStatus] | None = None,
    customer_id: int | None = None,
) -> SelectOfScalar[RepairOrder]:
    statement = readable(principal)
    if depot_id is not None:
        statement = statement.where(col(RepairOrder.depot_id) == depot_id)
    if status:
        statement = statement.where(col(RepairOrder.status).in_(status))
    if customer_id is not None:
        statement = statement.where(col(RepairOrder.customer_id) == customer_id)
    return statement


def bench_queue(
    principal: Principal | None, *, depot_id: int | None = None, technician_id: int | None = None
) -> SelectOfScalar[RepairOrder]:
    """Orders that need the bench: highest priority first, then the earliest due, then the
    oldest."""
    statement = readable(principal).where(col(RepairOrder.status).in_(BENCH_STATUSES))
    if depot_id is not None:
        statement = statement.where(col(RepairOrder.depot_id) == depot_id)
    if technician_id is not None:
        statement = statement.where(col(RepairOrder.technician_id) == technician_id)
    return statement.order_by(
        col(RepairOrder.priority), col(RepairOrder.due_at), col(RepairOrder.received_at)
    )


def calendar(
    principal: Principal | None, depot_id: int | None, start: datetime, end: datetime
) -> SelectOfScalar[RepairOrder]:
    """Open orders due in [start, end), by due time: the depot's repair calendar."""
    statement = readable(principal).where(
        col(RepairOrder.due_at) >= start,
        col(RepairOrder.due_at) < end,
        col(RepairOrder.status).in_(BENCH_STATUSES | {RepairStatus.ESTIMATE_SENT}),
    )
    if depot_id is not None:
        statement = statement.where(col(RepairOrder.depot_id) == depot_id)
    return statement.order_by(col(RepairOrder.due_at), col(RepairOrder.id))


def depots_listed() -> SelectOfScalar[Depot]:
    return select(Depot).where(col(Depot.archived_at).is_(None))


async def get_depot(
    session: AsyncSession, principal: Principal | None, depot_id: int
) -> Depot | None:
    depot = await session.get(Depot, depot_id)
    return depot if depot is not None and depot.archived_at is None else None


async def depot_of(session: AsyncSession, technician_id: int) -> int | None:
    found: int | None = await session.scalar(_depot_of(technician_id))
    return found
