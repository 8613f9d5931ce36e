"""Service request queries, scoped to what the caller may read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal, Role
from app.service_requests.models import (
    OPEN_REQUEST_STATUSES,
    ServiceRequest,
    ServiceRequestStatus,
)
from app.technicians.models import Technician
from app.work_orders.models import Task


def readable(principal: Principal | None) -> SelectOfScalar[ServiceRequest]:
    """Staff see all; a customer its own; a technician (or a partner, for its technicians)
    the requests of the tasks assigned or offered to them."""
    statement = select(ServiceRequest)
    if principal is None:
        return statement.where(false())
    if principal.is_staff:
        return statement
    if principal.role is Role.CUSTOMER and principal.customer_id:
        return statement.where(col(ServiceRequest.customer_id) == principal.customer_id)
    technicians = _technicians_of(principal)
    if technicians is None:
        return statement.where(false())
    tasks = select(Task.service_request_id).where(col(Task.technician_id).in_(technicians))
    return statement.where(col(ServiceRequest.id).in_(tasks))


def _technicians_of(principal: Principal) -> Any:
    if principal.role is Role.TECHNICIAN and principal.technician_id:
        return [principal.technician_id]
    if principal.role is Role.PARTNER and principal.partner_id:
        return select(Technician.id).where(col(Technician.partner_id) == principal.partner_id)
    return None


def listed(
    principal: Principal | None, statuses: Sequence[ServiceRequestStatus] | None = None
) -> SelectOfScalar[ServiceRequest]:
    statement = readable(principal)
    return statement.where(col(ServiceRequest.status).in_(statuses)) if statuses else statement


async def get_readable(
    session: AsyncSession, principal: Principal | None, request_id: int
) -> ServiceRequest | None:
    return await session.scalar(readable(principal).where(col(ServiceRequest.id) == request_id))


async def find_open_for_asset(
    session: AsyncSession, asset_id: int, excluding: int | None = None
) -> ServiceRequest | None:
    statement = (
        select(ServiceRequest)
        .where(col(ServiceRequest.asset_id) == asset_id)
        .where(col(ServiceRequest.status).in_(OPEN_REQUEST_STATUSES))
        .order_by(col(ServiceRequest.id))
    )
    if excluding is not None:
        statement = statement.where(col(ServiceRequest.id) != excluding)
    return await session.scalar(statement.limit(1))
