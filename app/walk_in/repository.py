"""Walk-in order queries, scoped to the caller: staff read every order, a customer their own."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal, Role
from app.walk_in.models import Settlement, WalkInOrder


def readable(principal: Principal | None) -> SelectOfScalar[WalkInOrder]:
    statement = select(WalkInOrder)
    if principal is None:
        return statement.where(false())
    if principal.is_staff:
        return statement
    if principal.role is Role.CUSTOMER and principal.customer_id is not None:
        return statement.where(col(WalkInOrder.customer_id) == principal.customer_id)
    return statement.where(false())


def listed(
    principal: Principal | None,
    *,
    customer_id: int | None = None,
    settlement: Settlement | None = None,
) -> SelectOfScalar[WalkInOrder]:
    statement = readable(principal)
    if customer_id is not None:
        statement = statement.where(col(WalkInOrder.customer_id) == customer_id)
    if settlement is not None:
        statement = statement.where(col(WalkInOrder.settlement) == settlement)
    return statement


async def get_readable(
    session: AsyncSession, principal: Principal | None, order_id: int
) -> WalkInOrder | None:
    return await session.scalar(readable(principal).where(col(WalkInOrder.id) == order_id))
