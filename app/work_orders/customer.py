"""The customer's side of a task: confirm, reschedule, cancel and rate the visit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal
from app.core.errors import DomainError, ErrorCode
from app.core.models import utcnow
from app.service_requests.service import refresh_status
from app.work_orders import repository
from app.work_orders.models import OfferStatus, Task, TaskStatus
from app.work_orders.offers import close_offers
from app.work_orders.transitions import Action, Actor, Change, apply, check_allowed


async def confirm_appointment(
    session: AsyncSession, principal: Principal, task_id: int, expected_version: int | None
) -> Task:
    task = await repository.get_for_change(session, principal, task_id)
    change = Change(Action.CONFIRM, Actor.of(principal), None, None, expected_version)
    check_allowed(task, change)
    task.confirmed_at = utcnow()
    apply(session, task, change)
    await session.flush()
    return task


async def reschedule_task(
    session: AsyncSession,
    principal: Principal,
    task_id: int,
    window: tuple[datetime, datetime],
    *,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Task:
    """A new appointment window, until work starts; the task goes back to UNSCHEDULED."""
    start, end = window
    if end <= start:
        raise DomainError("windowEnd must be after windowStart", ErrorCode.INVALID, ["windowEnd"])
    if end <= utcnow():
        raise DomainError("the new window is in the past", ErrorCode.INVALID, ["windowEnd"])
    task = await repository.get_for_change(session, principal, task_id)
    change = Change(Action.RESCHEDULE, Actor.of(principal), reason, None, expected_version)
    check_allowed(task, change)
    previous = task.technician_id
    await close_offers(session, task, OfferStatus.WITHDRAWN, "rescheduled")
    task.window_start, task.window_end = start, end
    task.technician_id = None
    task.scheduled_start = task.scheduled_end = task.offer_expires_at = None
    task.confirmed_at = None
    apply(session, task, change, previous_technician=previous)
    await session.flush()
    return task


async def cancel_task(
    session: AsyncSession,
    principal: Principal,
    task_id: int,
    reason: str,
    expected_version: int | None = None,
) -> Task:
    if not reason.strip():
        raise DomainError("a cancellation needs a reason", ErrorCode.INVALID, ["reason"])
    task = await repository.get_for_change(session, principal, task_id)
    change = Change(Action.CANCEL, Actor.of(principal), reason, None, expected_version)
    check_allowed(task, change)
    await close_offers(session, task, OfferStatus.WITHDRAWN, "cancelled")
    task.cancel_reason = reason
    task.offer_expires_at = None
    apply(session, task, change)
    await session.flush()
    if task.service_request_id is not None:
        await refresh_status(session, task.service_request_id)
        await session.flush()
    return task


async def submit_feedback(
    session: AsyncSession,
    principal: Principal,
    task_id: int,
    rating: int,
    comment: str | None,
) -> Task:
    """The customer's rating (1-5) of a completed task, once."""
    if not 1 <= rating <= 5:
        raise DomainError("the rating is 1 to 5", ErrorCode.INVALID, ["rating"])
    if comment is not None and len(comment) > 2000:
        raise DomainError("the comment is too long", ErrorCode.INVALID, ["comment"])
    task = await repository.get_for_change(session, principal, task_id)
    if task.status is not TaskStatus.COMPLETED:
        raise DomainError(
            "only a completed task can be rated", ErrorCode.INVALID_TRANSITION, ["taskId"]
        )
    if task.rating is not None:
        raise DomainError("this task was already rated", ErrorCode.DUPLICATE, ["taskId"])
    task.rating, task.feedback_comment, task.feedback_at = rating, comment, utcnow()
    task.touch()
    await session.flush()
    return task
