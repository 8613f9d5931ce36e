"""Inspection queries, scoped once: staff see all; a customer its own; a technician those it
did; a partner those of its technicians."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import false
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal, Role
from app.inspections.models import (
    ChecklistTemplate,
    Inspection,
    InspectionAnswer,
    InspectionFollowUp,
    InspectionStatus,
)
from app.technicians.models import Technician


def _scope(principal: Principal | None) -> Any:
    if principal is None:
        return false()
    if principal.is_staff:
        return None
    if principal.role is Role.CUSTOMER and principal.customer_id:
        return col(Inspection.customer_id) == principal.customer_id
    if principal.role is Role.TECHNICIAN and principal.technician_id:
        return col(Inspection.technician_id) == principal.technician_id
    if principal.role is Role.PARTNER and principal.partner_id:
        mine = select(Technician.id).where(col(Technician.partner_id) == principal.partner_id)
        return col(Inspection.technician_id).in_(mine)
    return false()


def readable(principal: Principal | None) -> SelectOfScalar[Inspection]:
    scope = _scope(principal)
    statement = select(Inspection)
    return statement if scope is None else statement.where(scope)


async def get_readable(
    session: AsyncSession, principal: Principal | None, inspection_id: int
) -> Inspection | None:
    return await session.scalar(readable(principal).where(col(Inspection.id) == inspection_id))


def listed(
    principal: Principal | None,
    *,
    task_id: int | None = None,
    asset_id: int | None = None,
    status: InspectionStatus | None = None,
) -> SelectOfScalar[Inspection]:
    statement = readable(principal)
    if task_id is not None:
        statement = statement.where(col(Inspection.task_id) == task_id)
    if asset_id is not None:
        statement = statement.where(col(Inspection.asset_id) == asset_id)
    if status is not None:
        statement = statement.where(col(Inspection.status) == status)
    return statement


def templates_listed(*, include_archived: bool = False) -> SelectOfScalar[ChecklistTemplate]:
    statement = select(ChecklistTemplate)
    if not include_archived:
        statement = statement.where(col(ChecklistTemplate.archived_at).is_(None))
    return statement


async def get_template(
    session: AsyncSession, principal: Principal | None, template_id: int
) -> ChecklistTemplate | None:
    """Templates are readable by anyone signed in (a customer reads the report's checklist)."""
    if principal is None:
        return None
    return await session.get(ChecklistTemplate, template_id)


async def readings(
    session: AsyncSession, principal: Principal | None, asset_id: int, item_key: str, limit: int
) -> Sequence[tuple[int, datetime, Decimal, bool]]:
    """A numeric item's readings on an asset over submitted inspections, oldest first:
    (inspection id, submitted at, value, out of range)."""
    statement = (
        sa_select(
            col(Inspection.id),
            col(Inspection.submitted_at),
            col(InspectionAnswer.number),
            col(InspectionAnswer.failed),
        )
        .join(InspectionAnswer, col(InspectionAnswer.inspection_id) == col(Inspection.id))
        .where(
            col(Inspection.asset_id) == asset_id,
            col(Inspection.status) == InspectionStatus.SUBMITTED,
            col(InspectionAnswer.item_key) == item_key,
            col(InspectionAnswer.number).is_not(None),
        )
        .order_by(col(Inspection.submitted_at).desc())
        .limit(limit)
    )
    scope = _scope(principal)
    if scope is not None:
        statement = statement.where(scope)
    rows = (await session.execute(statement)).all()
    return [(r[0], r[1], r[2], r[3]) for r in reversed(rows) if r[0] and r[1] and r[2] is not None]


async def follow_ups_of(
    session: AsyncSession, inspection_ids: Sequence[int]
) -> list[InspectionFollowUp]:
    rows = await session.scalars(
        select(InspectionFollowUp)
        .where(col(InspectionFollowUp.inspection_id).in_(list(inspection_ids)))
        .order_by(col(InspectionFollowUp.id))
    )
    return list(rows.all())


async def answers_of(
    session: AsyncSession, inspection_ids: Sequence[int]
) -> list[InspectionAnswer]:
    """The saved answers, read afresh (answers are upserted past the session's identity map)."""
    rows = await session.scalars(
        select(InspectionAnswer)
        .where(col(InspectionAnswer.inspection_id).in_(list(inspection_ids)))
        .order_by(col(InspectionAnswer.id))
        .execution_options(populate_existing=True)
    )
    return list(rows.all())
