"""SLA queries: the board of open work by state, escalations and their policies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, func, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal
from app.service_requests.models import ServiceRequest, ServiceRequestStatus, SlaState
from app.sla.models import EscalationPolicy, SlaEscalation, SubjectKind
from app.work_orders.models import OPEN_STATUSES, Task

LATE = (SlaState.AT_RISK, SlaState.BREACHED)
OPEN = tuple(sorted(OPEN_STATUSES))


def _open_tasks(territory_id: int | None) -> Any:
    conditions: list[Any] = [col(Task.status).in_(OPEN)]
    if territory_id is not None:
        conditions.append(col(Task.territory_id) == territory_id)
    return conditions


async def counts_by_territory(
    session: AsyncSession, territory_id: int | None
) -> list[tuple[int | None, SlaState, int]]:
    """(territory id, state, open tasks) for every territory with open tasks."""
    statement = (
        select(Task.territory_id, Task.sla_state, func.count())
        .where(*_open_tasks(territory_id))
        .group_by(col(Task.territory_id), col(Task.sla_state))
        .order_by(col(Task.territory_id).nulls_last(), col(Task.sla_state))
    )
    rows = (await session.execute(statement)).all()
    return [(row[0], SlaState(row[1]), int(row[2])) for row in rows]


def _urgency(model: Any) -> list[Any]:
    """Breached first, then by the earliest due time."""
    breached_first = sa.case((col(model.sla_state) == SlaState.BREACHED, 0), else_=1)
    due = func.least(col(model.response_due_at), col(model.resolution_due_at))
    return [breached_first, due.nulls_last(), col(model.id)]


async def late_tasks(session: AsyncSession, territory_id: int | None, limit: int) -> Sequence[Task]:
    statement = (
        select(Task)
        .where(*_open_tasks(territory_id), col(Task.sla_state).in_(LATE))
        .order_by(*_urgency(Task))
        .limit(limit)
    )
    return (await session.scalars(statement)).all()


async def late_requests_without_task(session: AsyncSession, limit: int) -> Sequence[ServiceRequest]:
    """At-risk or breached requests that nobody has turned into a task yet."""
    has_task = sa.exists().where(col(Task.service_request_id) == col(ServiceRequest.id))
    statement = (
        select(ServiceRequest)
        .where(col(ServiceRequest.status) == ServiceRequestStatus.OPEN, ~has_task)
        .where(col(ServiceRequest.sla_state).in_(LATE))
        .order_by(*_urgency(ServiceRequest))
        .limit(limit)
    )
    return (await session.scalars(statement)).all()


async def highest_levels(
    session: AsyncSession, subjects: Sequence[tuple[SubjectKind, int]]
) -> list[int | None]:
    """The highest escalation level raised for each (kind, id), in order (one query)."""
    if not subjects:
        return []
    keys = sa.tuple_(col(SlaEscalation.subject_kind), col(SlaEscalation.subject_id))
    statement = (
        select(SlaEscalation.subject_kind, SlaEscalation.subject_id, func.max(SlaEscalation.level))
        .where(keys.in_([(kind.value, db_id) for kind, db_id in subjects]))
        .group_by(col(SlaEscalation.subject_kind), col(SlaEscalation.subject_id))
    )
    found = {(SubjectKind(r[0]), r[1]): r[2] for r in (await session.execute(statement)).all()}
    return [found.get(subject) for subject in subjects]


def escalations(
    principal: Principal | None,
    *,
    territory_id: int | None = None,
    task_id: int | None = None,
    service_request_id: int | None = None,
) -> SelectOfScalar[SlaEscalation]:
    """Escalations are for the organisation's staff."""
    statement = select(SlaEscalation)
    if principal is None or not principal.is_staff:
        return statement.where(false())
    if territory_id is not None:
        statement = statement.where(col(SlaEscalation.territory_id) == territory_id)
    if task_id is not None:
        statement = statement.where(
            col(SlaEscalation.subject_kind) == SubjectKind.TASK,
            col(SlaEscalation.subject_id) == task_id,
        )
    if service_request_id is not None:
        statement = statement.where(
            col(SlaEscalation.subject_kind) == SubjectKind.SERVICE_REQUEST,
            col(SlaEscalation.subject_id) == service_request_id,
        )
    return statement


async def get_escalation(
    session: AsyncSession, principal: Principal | None, escalation_id: int
) -> SlaEscalation | None:
    return await session.scalar(
        escalations(principal).where(col(SlaEscalation.id) == escalation_id)
    )


async def policies(session: AsyncSession) -> Sequence[EscalationPolicy]:
    statement = select(EscalationPolicy).order_by(
        col(EscalationPolicy.trigger), col(EscalationPolicy.level)
    )
    return (await session.scalars(statement)).all()


async def get_policy(
    session: AsyncSession, principal: Principal | None, policy_id: int
) -> EscalationPolicy | None:
    if principal is None or not principal.is_staff:
        return None
    return await session.get(EscalationPolicy, policy_id)
