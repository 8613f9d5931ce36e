"""What agents do with the ladder: call outcomes, retention cases, and the per-channel report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.confirmations.ladder import DIRECT, record_answer, return_to_sales
from app.confirmations.models import (
    Answer,
    CallPurpose,
    CallStatus,
    Confirmation,
    ConfirmationCall,
    ConfirmationStage,
    ConfirmationStatus,
    RetentionCase,
    RetentionStatus,
)
from app.confirmations.repository import OPEN_CALLS
from app.core.auth import Principal
from app.core.errors import DomainError, ErrorCode
from app.core.models import utcnow
from app.core.repository import get_for_update
from app.service_requests.models import ServiceRequest
from app.work_orders.models import Task

NO_ANSWER = "NO_ANSWER"
CALL_OUTCOMES = frozenset({*(a.value for a in Answer), NO_ANSWER})


async def record_call_outcome(
    session: AsyncSession,
    principal: Principal,
    call_id: int,
    outcome: str,
    *,
    notes: str | None = None,
    reason: str | None = None,
) -> ConfirmationCall:
    """An agent's (or AI voice provider's) result of one queued call."""
    if outcome not in CALL_OUTCOMES:
        raise DomainError(f"unknown outcome {outcome}", ErrorCode.INVALID, ["outcome"])
    call = await get_for_update(session, ConfirmationCall, call_id, what="call", field="callId")
    if call.status not in OPEN_CALLS:
        raise DomainError(
            f"this call is already {call.status}", ErrorCode.INVALID_TRANSITION, ["callId"]
        )
    confirmation = await get_for_update(
        session, Confirmation, call.confirmation_id, what="confirmation"
    )
    now = utcnow()
    call.assignee, call.notes = principal.subject[:200], notes
    if outcome == NO_ANSWER:
        call.status, call.outcome, call.closed_at = CallStatus.NO_ANSWER, NO_ANSWER, now
        if (
            call.purpose is CallPurpose.CONFIRM
            and confirmation.status is ConfirmationStatus.CALL_QUEUED
        ):
            await return_to_sales(session, confirmation, now)
    else:
        await record_answer(
            session, confirmation, Answer(outcome), via="CALL", now=now, reason=reason, text=notes
        )
    await session.flush()
    await session.refresh(call)
    return call


async def resolve_retention_case(
    session: AsyncSession,
    principal: Principal,
    case_id: int,
    status: RetentionStatus,
    notes: str | None,
) -> RetentionCase:
    if status is RetentionStatus.OPEN:
        raise DomainError("resolve as WON_BACK or LOST", ErrorCode.INVALID, ["status"])
    case = await get_for_update(
        session, RetentionCase, case_id, what="retention case", field="caseId"
    )
    if case.status is not RetentionStatus.OPEN:
        raise DomainError(
            f"this case is already {case.status}", ErrorCode.INVALID_TRANSITION, ["caseId"]
        )
    case.status, case.closed_at = status, utcnow()
    case.assignee, case.notes = principal.subject[:200], notes
    await session.flush()
    return case


@dataclass(frozen=True, slots=True)
class ChannelCounts:
    sales_channel: str
    requested: int
    confirmed: int
    rejected: int
    silent: int
    recovered: int
    pending: int


async def confirmation_report(
    session: AsyncSession, start: datetime, end: datetime
) -> list[ChannelCounts]:
    """Confirmations requested in [start, end) per sales channel, in one query.

    confirmed: answered yes at any rung; rejected: answered no; silent: reached the sales
    channel without an answer (message and call unanswered), whatever happened after;
    recovered: confirmed only after the message went unanswered (by the call or sales);
    pending: still waiting for the message or the call."""
    if end <= start:
        raise DomainError("`to` must be after `from`", ErrorCode.INVALID, ["to"])
    channel = func.coalesce(sa.cast(col(ServiceRequest.channel), sa.String), DIRECT)
    status = col(Confirmation.status)

    def count(condition: Any) -> Any:
        return func.count().filter(condition)

    statement = (
        sa.select(
            channel.label("channel"),
            func.count(),
            count(status == ConfirmationStatus.CONFIRMED),
            count(status == ConfirmationStatus.REJECTED),
            count(col(Confirmation.stage) == ConfirmationStage.SALES),
            count((status == ConfirmationStatus.CONFIRMED) & col(Confirmation.recovered)),
            count(status.in_((ConfirmationStatus.AWAITING_REPLY, ConfirmationStatus.CALL_QUEUED))),
        )
        .select_from(Confirmation)
        .join(Task, col(Task.id) == col(Confirmation.task_id))
        .outerjoin(ServiceRequest, col(ServiceRequest.id) == col(Task.service_request_id))
        .where(
            col(Confirmation.requested_at) >= start,
            col(Confirmation.requested_at) < end,
            status != ConfirmationStatus.SUPERSEDED,
        )
        .group_by("channel")
        .order_by("channel")
    )
    rows = (await session.execute(statement)).all()
    return [ChannelCounts(str(row[0]), *(int(v) for v in row[1:])) for row in rows]
