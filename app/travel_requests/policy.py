"""Travel policies as data: per task type (or the default row for every other type) whether a
task needs an approved travel request before it is released for execution (always, or beyond a
distance from the technician's home base), the floor under which a request is approved on its
own, and the cost limits of dispatchers and managers (the requisitions' approval rule)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.core.auth import Role
from app.core.errors import DomainError, ErrorCode, NotFound
from app.core.repository import check_version
from app.inventory.requisitions import ApprovalPolicy, Limits
from app.technicians.models import Technician
from app.travel_requests.models import TravelPolicy, TravelPolicySet, TravelRequest, TravelStatus
from app.work_orders.models import Task, TaskType

CENT = Decimal("0.01")


async def policies(session: AsyncSession) -> list[TravelPolicy]:
    """Rows in force: the default (no task type) first, then by task type."""
    rows = (
        await session.scalars(select(TravelPolicy).where(col(TravelPolicy.archived_at).is_(None)))
    ).all()
    return sorted(rows, key=lambda r: (r.task_type is not None, r.task_type or ""))


def pick(rows: Sequence[TravelPolicy], task_type: TaskType) -> TravelPolicy | None:
    """The type's own row, else the default row, else None (no release rule; a manager
    approves any request)."""
    by_type = {row.task_type: row for row in rows}
    return by_type.get(task_type) or by_type.get(None)


async def policy_for(session: AsyncSession, task_type: TaskType) -> TravelPolicy | None:
    return pick(await policies(session), task_type)


def approves_itself(row: TravelPolicy | None, cost: Decimal, currency: str) -> bool:
    """Under the policy's floor, in its currency, a request needs no approver."""
    return row is not None and row.currency == currency and cost < row.auto_approve_below


def approver_for(row: TravelPolicy | None, cost: Decimal, currency: str) -> Role:
    """Up to the dispatcher limit a dispatcher, up to the manager limit a manager, above it an
    admin; no policy, or another currency: a manager."""
    limits = {} if row is None else {row.currency: Limits(row.dispatcher_limit, row.manager_limit)}
    return ApprovalPolicy(limits=limits).approver_for(cost, currency)


def may_approve(role: Role, required: Role) -> bool:
    return ApprovalPolicy().may_approve(role, required)


async def set_policy(
    session: AsyncSession, data: TravelPolicySet, expected_version: int | None
) -> TravelPolicy:
    """Create or replace one task type's policy (None: the default). Requests already raised
    keep their approver; the release rule applies at once."""
    column = col(TravelPolicy.task_type)
    condition = column.is_(None) if data.task_type is None else column == data.task_type
    row = await session.scalar(select(TravelPolicy).where(condition).with_for_update())
    if row is None:
        if expected_version is not None:
            raise NotFound("travel policy", ["taskType"])
        row = TravelPolicy(task_type=data.task_type, dispatcher_limit=Decimal(0))
        session.add(row)
    else:
        check_version(row, expected_version)
        row.touch()
    row.requires_approval = data.requires_approval
    row.approval_beyond_km = (
        None if data.approval_beyond_km is None else data.approval_beyond_km.quantize(CENT)
    )
    row.currency = data.currency
    row.auto_approve_below = data.auto_approve_below.quantize(CENT)
    row.dispatcher_limit = data.dispatcher_limit.quantize(CENT)
    row.manager_limit = None if data.manager_limit is None else data.manager_limit.quantize(CENT)
    row.archived_at = None
    await session.flush()
    return row


# --- release for execution ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Release:
    """Whether a task may be started: it needs no travel approval, or it has one."""

    required: bool
    """The task's type needs an approved travel request (always, or by distance)."""
    released: bool
    reason: str | None
    """Why approval is required: the policy, or the distance."""
    distance_km: float | None
    """From the assigned technician's home base to the site; None without a technician, or
    when no travel policy is set."""
    approved_request_id: int | None


async def releases(session: AsyncSession, task_ids: Sequence[int]) -> list[Release]:
    """Each task's release in one pass: the policies once, distances and approvals in one
    query."""
    rows = await policies(session)
    if not rows:  # no policy: nothing needs release (the check costs one small query)
        return [Release(False, True, None, None, None) for _ in task_ids]
    approved = (
        sa.select(col(TravelRequest.id))
        .where(
            col(TravelRequest.task_id) == col(Task.id),
            col(TravelRequest.technician_id) == col(Task.technician_id),
            col(TravelRequest.status) == TravelStatus.APPROVED,
        )
        .order_by(col(TravelRequest.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    distance = func.ST_Distance(col(Technician.home_base), col(Task.location))
    statement = (
        sa.select(col(Task.id), col(Task.type), distance, approved)
        .select_from(Task)
        .outerjoin(Technician, col(Technician.id) == col(Task.technician_id))
        .where(col(Task.id).in_(task_ids))
    )
    found = {row[0]: row for row in (await session.execute(statement)).all()}
    result = []
    for task_id in task_ids:
        if task_id not in found:
            result.append(Release(False, True, None, None, None))
            continue
        _, task_type, metres, request_id = found[task_id]
        km = None if metres is None else round(float(metres) / 1000, 2)
        reason = _reason(pick(rows, task_type), km)
        required = reason is not None
        released = not required or request_id is not None
        result.append(Release(required, released, reason, km, request_id))
    return result


def _reason(row: TravelPolicy | None, km: float | None) -> str | None:
    if row is None:
        return None
    if row.requires_approval:
        return f"{row.task_type or 'every'} task needs an approved travel request"
    if row.approval_beyond_km is not None and km is not None and km > row.approval_beyond_km:
        return (
            f"the site is {km:.1f} km from the technician's home base "
            f"(beyond {row.approval_beyond_km} km)"
        )
    return None


async def release_of(session: AsyncSession, task_id: int) -> Release:
    (found,) = await releases(session, [task_id])
    return found


async def refuse_unreleased(session: AsyncSession, task_id: int) -> None:
    """The check the technician's travel and check-in pass: a task whose policy needs an
    approved travel request is NOT_RELEASED until it has one."""
    release = await release_of(session, task_id)
    if not release.released:
        raise DomainError(
            f"the task is not released for execution: {release.reason}",
            ErrorCode.NOT_RELEASED,
            ["taskId"],
        )
