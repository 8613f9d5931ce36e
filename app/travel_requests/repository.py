"""Travel request queries scoped to the caller."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal, Role
from app.technicians.models import Technician
from app.travel_requests.models import SettlementStatus, TravelRequest, TravelStatus


def readable(principal: Principal | None) -> SelectOfScalar[TravelRequest]:
    """Staff read every request; a technician their own; a partner its technicians'; customers
    none (travel and advances are the organisation's business with its people)."""
    statement = select(TravelRequest)
    if principal is None:
        return statement.where(false())
    if principal.is_staff:
        return statement
    if principal.role is Role.TECHNICIAN and principal.technician_id is not None:
        return statement.where(col(TravelRequest.technician_id) == principal.technician_id)
    if principal.role is Role.PARTNER and principal.partner_id is not None:
        crew = select(Technician.id).where(col(Technician.partner_id) == principal.partner_id)
        return statement.where(col(TravelRequest.technician_id).in_(crew))
    return statement.where(false())


def listed(
    principal: Principal | None,
    *,
    statuses: list[TravelStatus] | None = None,
    settlement: list[SettlementStatus] | None = None,
    task_id: int | None = None,
    technician_id: int | None = None,
    departs_from: date | None = None,
    departs_to: date | None = None,
) -> SelectOfScalar[TravelRequest]:
    statement = readable(principal)
    if statuses:
        statement = statement.where(col(TravelRequest.status).in_(statuses))
    if settlement:
        statement = statement.where(col(TravelRequest.settlement_status).in_(settlement))
    if task_id is not None:
        statement = statement.where(col(TravelRequest.task_id) == task_id)
    if technician_id is not None:
        statement = statement.where(col(TravelRequest.technician_id) == technician_id)
    if departs_from is not None:
        statement = statement.where(col(TravelRequest.departs_on) >= departs_from)
    if departs_to is not None:
        statement = statement.where(col(TravelRequest.departs_on) <= departs_to)
    return statement


async def get_readable(
    session: AsyncSession, principal: Principal | None, request_id: int
) -> TravelRequest | None:
    return await session.scalar(readable(principal).where(col(TravelRequest.id) == request_id))


async def latest_for_tasks(
    session: AsyncSession, principal: Principal | None, task_ids: list[int]
) -> list[TravelRequest | None]:
    """Each task's newest travel request the caller may read (one query for many tasks)."""
    rows = (
        await session.scalars(
            readable(principal)
            .where(col(TravelRequest.task_id).in_(task_ids))
            .order_by(col(TravelRequest.id))
        )
    ).all()
    newest = {row.task_id: row for row in rows}
    return [newest.get(i) for i in task_ids]
