"""Confirmation queries for agents: the call queue and retention cases."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.confirmations.models import (
    CallStatus,
    ConfirmationCall,
    RetentionCase,
    RetentionStatus,
)
from app.core.auth import Principal, Role

OPEN_CALLS = (CallStatus.QUEUED, CallStatus.IN_PROGRESS)
AGENTS = frozenset({Role.AGENT, Role.DISPATCHER, Role.MANAGER, Role.ADMIN})
"""Who works the call queue and retention cases (no row scoping within the organisation)."""


async def get_call(
    session: AsyncSession, principal: Principal | None, call_id: int
) -> ConfirmationCall | None:
    if principal is None or principal.role not in AGENTS:
        return None
    return await session.get(ConfirmationCall, call_id)


async def get_case(
    session: AsyncSession, principal: Principal | None, case_id: int
) -> RetentionCase | None:
    if principal is None or principal.role not in AGENTS:
        return None
    return await session.get(RetentionCase, case_id)


def call_queue(statuses: tuple[CallStatus, ...] = OPEN_CALLS) -> SelectOfScalar[ConfirmationCall]:
    """Calls to make, oldest first by id (ids grow with queue time)."""
    return select(ConfirmationCall).where(col(ConfirmationCall.status).in_(statuses))


def retention_cases(
    status: RetentionStatus | None = None, sales_channel: str | None = None
) -> SelectOfScalar[RetentionCase]:
    statement = select(RetentionCase)
    if status is not None:
        statement = statement.where(col(RetentionCase.status) == status)
    if sales_channel is not None:
        statement = statement.where(col(RetentionCase.sales_channel) == sales_channel)
    return statement
