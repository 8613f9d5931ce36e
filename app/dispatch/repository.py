"""Dispatch queries, scoped to what the caller may read."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal, Role
from app.dispatch.models import DispatchRun, SlotHold

RUN_READERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.MANAGER})


def readable_runs(principal: Principal | None) -> SelectOfScalar[DispatchRun]:
    """Dispatchers, managers and admins see every run; nobody else sees any."""
    statement = select(DispatchRun)
    if principal is not None and principal.role in RUN_READERS:
        return statement
    return statement.where(false())


def listed_runs(
    principal: Principal | None, territory_id: int | None = None
) -> SelectOfScalar[DispatchRun]:
    statement = readable_runs(principal)
    if territory_id is not None:
        statement = statement.where(col(DispatchRun.territory_id) == territory_id)
    return statement


async def get_readable_run(
    session: AsyncSession, principal: Principal | None, run_id: int
) -> DispatchRun | None:
    return await session.scalar(readable_runs(principal).where(col(DispatchRun.id) == run_id))


def readable_holds(principal: Principal | None) -> SelectOfScalar[SlotHold]:
    """Staff see every hold; a customer the holds taken for them."""
    statement = select(SlotHold)
    if principal is None:
        return statement.where(false())
    if principal.is_staff:
        return statement
    if principal.role is Role.CUSTOMER and principal.customer_id:
        return statement.where(col(SlotHold.customer_id) == principal.customer_id)
    return statement.where(false())


async def get_readable_hold(
    session: AsyncSession, principal: Principal | None, hold_id: int
) -> SlotHold | None:
    return await session.scalar(readable_holds(principal).where(col(SlotHold.id) == hold_id))
