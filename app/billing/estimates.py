"""Estimates: extra charges found on site, quoted to the customer, accepted or rejected."""

from __future__ import annotations

from sqlalchemy import exists
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.billing import repository
from app.billing.channels import BILLING, ESTIMATE_DECIDED, ESTIMATE_SENT, customer_channel
from app.billing.coverage import apply_coverage, terms_for, to_rows
from app.billing.invoices import set_totals
from app.billing.models import Estimate, EstimateCreate, EstimateStatus
from app.billing.pricing import price_book, price_lines
from app.core.auth import Principal
from app.core.errors import DomainError, ErrorCode
from app.core.events import queue_event
from app.core.models import utcnow
from app.work_orders import repository as tasks
from app.work_orders.models import TaskStatus

ON_SITE = frozenset({TaskStatus.ON_SITE, TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD})
PENDING = (EstimateStatus.DRAFT, EstimateStatus.SENT)


async def create_estimate(
    session: AsyncSession, principal: Principal, data: EstimateCreate
) -> Estimate:
    """The technician on site (or the desk) prices the extra work, with coverage per line."""
    task = await tasks.get_for_change(session, principal, data.task_id)
    if task.status not in ON_SITE:
        raise DomainError(
            f"an estimate is made on site, not on a task that is {task.status}",
            ErrorCode.INVALID_TRANSITION,
            ["taskId"],
        )
    today = utcnow().date()
    book = await price_book(session, today)
    priced = await price_lines(session, book, data.lines, task.type.value)
    terms = await terms_for(session, task.asset_id, task.site_id, today)
    estimate = Estimate(
        task_id=task.id,  # type: ignore[arg-type]
        customer_id=task.customer_id,
        currency=book.currency,
        notes=data.notes,
        requires_acceptance=data.requires_acceptance,
        created_by=principal.subject,
    )
    session.add(estimate)
    await session.flush()
    rows = to_rows(apply_coverage(terms, priced))
    for row in rows:
        row.estimate_id = estimate.id
    session.add_all(rows)
    set_totals(estimate, rows)
    await session.flush()
    return estimate


def _move(estimate: Estimate, allowed: tuple[EstimateStatus, ...], to: EstimateStatus) -> None:
    if estimate.status not in allowed:
        raise DomainError(
            f"cannot move an estimate that is {estimate.status} to {to}",
            ErrorCode.INVALID_TRANSITION,
            ["estimateId"],
        )
    estimate.status = to
    estimate.touch()


def _notify(session: AsyncSession, estimate: Estimate, kind: str) -> None:
    data = {
        "estimate_id": estimate.id,
        "task_id": estimate.task_id,
        "customer_id": estimate.customer_id,
        "status": estimate.status.value,
        "total": str(estimate.total),
        "currency": estimate.currency,
    }
    queue_event(session, [customer_channel(estimate.customer_id), BILLING], kind, data)


async def send_estimate(session: AsyncSession, principal: Principal, estimate_id: int) -> Estimate:
    estimate = await repository.estimate_for_change(session, principal, estimate_id)
    _move(estimate, (EstimateStatus.DRAFT,), EstimateStatus.SENT)
    estimate.sent_at = utcnow()
    _notify(session, estimate, ESTIMATE_SENT)
    await session.flush()
    return estimate


async def decide_estimate(
    session: AsyncSession,
    principal: Principal,
    estimate_id: int,
    accept: bool,
    reason: str | None = None,
) -> Estimate:
    """The customer answers in the app (their own estimates only: the scope says so)."""
    estimate = await repository.estimate_for_change(session, principal, estimate_id)
    to = EstimateStatus.ACCEPTED if accept else EstimateStatus.REJECTED
    _move(estimate, (EstimateStatus.SENT,), to)
    estimate.decided_at = utcnow()
    estimate.decided_by = principal.subject
    estimate.decision_reason = reason
    _notify(session, estimate, ESTIMATE_DECIDED)
    await session.flush()
    return estimate


async def withdraw_estimate(
    session: AsyncSession, principal: Principal, estimate_id: int
) -> Estimate:
    estimate = await repository.estimate_for_change(session, principal, estimate_id)
    _move(estimate, PENDING, EstimateStatus.WITHDRAWN)
    await session.flush()
    return estimate


async def estimate_blocks_work(session: AsyncSession, task_id: int) -> bool:
    """Whether work on the task waits for the customer: an estimate that needs acceptance is
    still a draft or sent. The lifecycle calls this before START_WORK (and on resuming from
    ON_HOLD) and refuses the transition while it is true."""
    pending = select(Estimate.id).where(
        col(Estimate.task_id) == task_id,
        col(Estimate.requires_acceptance).is_(True),
        col(Estimate.status).in_(PENDING),
    )
    return bool(await session.scalar(select(exists(pending))))
