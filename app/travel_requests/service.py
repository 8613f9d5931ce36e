"""Travel and advance requests: raised for a task by its technician (or staff for them),
approved on their own under the policy's floor or by the role the cost requires, rejected or
cancelled with a reason; a manager records the advance paid out, and it settles against the
technician's approved expense claims for the task."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, Forbidden, NotFound
from app.core.models import utcnow
from app.core.repository import check_version, flush_unique, get_for_update
from app.expenses.models import ExpenseClaim, ExpenseStatus
from app.technicians.models import Technician
from app.travel_requests import policy
from app.travel_requests.models import (
    SettlementStatus,
    TravelRequest,
    TravelRequestCreate,
    TravelStatus,
)
from app.work_orders import repository as tasks
from app.work_orders.models import CLOSED_STATUSES

SYSTEM = "system"
"""Who decides a request approved on its own under the policy's floor."""
CENT = Decimal("0.01")


def reference(request: TravelRequest) -> str:
    return f"TR-{request.id}"


# --- raising a request --------------------------------------------------------------------


async def request_travel(
    session: AsyncSession,
    principal: Principal,
    data: TravelRequestCreate,
    now: datetime | None = None,
) -> TravelRequest:
    """A request for an open task the caller may read: a technician for themselves (their
    task), staff for the task's technician. Under the policy's floor it is approved at once."""
    now = now or utcnow()
    task = await tasks.get_readable(session, principal, data.task_id)
    if task is None:
        raise NotFound("task", ["taskId"])
    if task.status in CLOSED_STATUSES:
        raise DomainError(
            f"the task is {task.status.value}", ErrorCode.INVALID_TRANSITION, ["taskId"]
        )
    technician_id = _technician(principal, data, task.technician_id)
    technician = await session.get(Technician, technician_id)
    if technician is None or technician.archived_at is not None:
        raise NotFound("technician", ["technicianId"])
    row = await policy.policy_for(session, task.type)
    cost, currency = data.estimated_cost.quantize(CENT), data.currency
    request = TravelRequest(
        task_id=data.task_id,
        technician_id=technician_id,
        mode=data.mode,
        origin=data.origin,
        destination=data.destination,
        departs_on=data.departs_on,
        returns_on=data.returns_on,
        estimated_cost=cost,
        lodging_nights=data.lodging_nights,
        advance_amount=data.advance_amount.quantize(CENT),
        currency=currency,
        notes=data.notes.strip() if data.notes else None,
        requested_by=principal.subject,
        settlement_status=(
            SettlementStatus.NOT_PAID if data.advance_amount > 0 else SettlementStatus.NO_ADVANCE
        ),
    )
    if policy.approves_itself(row, cost, currency):
        request.status = TravelStatus.APPROVED
        request.decided_by, request.decided_at = SYSTEM, now
        request.decision_reason = "under the policy's floor"
    else:
        request.approver_role = policy.approver_for(row, cost, currency).value
    session.add(request)
    await flush_unique(
        session, "taskId", "the technician already has an open travel request for the task"
    )
    return request


def _technician(principal: Principal, data: TravelRequestCreate, assigned: int | None) -> int:
    if principal.role is Role.TECHNICIAN:
        if data.technician_id not in (None, principal.technician_id):
            raise Forbidden("a technician requests travel for themselves", ["technicianId"])
        if assigned != principal.technician_id or principal.technician_id is None:
            raise Forbidden("the task is not assigned to you", ["taskId"])
        return principal.technician_id
    technician_id = data.technician_id or assigned
    if technician_id is None:
        raise DomainError(
            "the task has no technician: name one", ErrorCode.INVALID, ["technicianId"]
        )
    return technician_id


# --- deciding -----------------------------------------------------------------------------


async def _locked(
    session: AsyncSession, request_id: int, expected_version: int | None
) -> TravelRequest:
    request = await get_for_update(
        session, TravelRequest, request_id, what="travel request", field="requestId"
    )
    check_version(request, expected_version)
    return request


def _refuse(request: TravelRequest, to: str) -> DomainError:
    return DomainError(
        f"the travel request is {request.status.value}: it cannot be {to}",
        ErrorCode.INVALID_TRANSITION,
        ["requestId"],
    )


def _decide(
    request: TravelRequest,
    principal: Principal,
    status: TravelStatus,
    reason: str | None,
    now: datetime,
) -> None:
    request.status = status
    request.decided_by = principal.subject
    request.decided_at = now
    request.decision_reason = reason
    request.touch()


def _reason(reason: str | None, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise DomainError(f"say why the travel request is {what}", ErrorCode.INVALID, ["reason"])
    if len(text) > 1000:
        raise DomainError("at most 1,000 characters", ErrorCode.INVALID, ["reason"])
    return text


async def approve(
    session: AsyncSession,
    principal: Principal,
    request_id: int,
    expected_version: int | None,
    now: datetime | None = None,
) -> TravelRequest:
    """Approve a pending request: the role its cost requires, or above. The task is then
    released for execution."""
    request = await _locked(session, request_id, expected_version)
    if request.status is not TravelStatus.PENDING_APPROVAL:
        raise _refuse(request, "approved")
    if request.requested_by == principal.subject:
        raise Forbidden("a travel request is approved by someone other than who raised it")
    required = Role(request.approver_role or Role.DISPATCHER)
    if not policy.may_approve(principal.role, required):
        raise Forbidden(
            f"a travel request costing {request.estimated_cost} {request.currency} needs a "
            f"{required.value} to approve it"
        )
    _decide(request, principal, TravelStatus.APPROVED, None, now or utcnow())
    await session.flush()
    return request


async def reject(
    session: AsyncSession,
    principal: Principal,
    request_id: int,
    reason: str,
    expected_version: int | None,
    now: datetime | None = None,
) -> TravelRequest:
    """Any approver role may refuse a pending request, saying why."""
    text = _reason(reason, "rejected")
    request = await _locked(session, request_id, expected_version)
    if request.status is not TravelStatus.PENDING_APPROVAL:
        raise _refuse(request, "rejected")
    _decide(request, principal, TravelStatus.REJECTED, text, now or utcnow())
    await session.flush()
    return request


async def cancel(
    session: AsyncSession,
    principal: Principal,
    request_id: int,
    reason: str,
    expected_version: int | None,
) -> TravelRequest:
    """The technician (their own) or staff take back a pending or approved request whose
    advance was not paid out; an approved one no longer releases the task."""
    text = _reason(reason, "cancelled")
    request = await _locked(session, request_id, expected_version)
    own = principal.role is Role.TECHNICIAN and principal.technician_id == request.technician_id
    if not (principal.is_staff or own):
        raise NotFound("travel request", ["requestId"])
    if request.status not in (TravelStatus.PENDING_APPROVAL, TravelStatus.APPROVED):
        raise _refuse(request, "cancelled")
    if request.advance_paid_at is not None:
        raise DomainError(
            "the advance was paid out: it settles against expense claims",
            ErrorCode.INVALID_TRANSITION,
            ["requestId"],
        )
    request.status = TravelStatus.CANCELLED
    request.decision_reason = text
    request.touch()
    await session.flush()
    return request


# --- the advance --------------------------------------------------------------------------


async def record_payout(
    session: AsyncSession,
    principal: Principal,
    request_id: int,
    expected_version: int | None,
    now: datetime | None = None,
) -> TravelRequest:
    """A manager or admin records the advance of an approved request paid out. Claims the
    technician already had approved for the task settle it at once when none waits."""
    now = now or utcnow()
    request = await _locked(session, request_id, expected_version)
    if request.status is not TravelStatus.APPROVED:
        raise _refuse(request, "paid out")
    if request.settlement_status is not SettlementStatus.NOT_PAID:
        raise DomainError(
            "no advance to pay out"
            if request.settlement_status is SettlementStatus.NO_ADVANCE
            else "the advance was already paid out",
            ErrorCode.INVALID_TRANSITION,
            ["requestId"],
        )
    request.advance_paid_at, request.advance_paid_by = now, principal.subject
    request.settlement_status = SettlementStatus.PAID_OUT
    request.touch()
    await _settle_when_due(session, request, now)
    await session.flush()
    return request


async def settle(
    session: AsyncSession,
    principal: Principal,
    request_id: int,
    expected_version: int | None,
    now: datetime | None = None,
) -> TravelRequest:
    """A manager or admin settles a paid-out advance now, against every claim approved so far
    (none: the whole advance is recovered). Refused while a claim for the task waits, or while
    an approved one is in another currency than the advance (there are no exchange rates to
    convert it: the claim is rejected and claimed again in the advance's currency)."""
    request = await _locked(session, request_id, expected_version)
    if request.settlement_status is not SettlementStatus.PAID_OUT:
        raise DomainError(
            f"the advance is {request.settlement_status.value}: only a paid-out one settles",
            ErrorCode.INVALID_TRANSITION,
            ["requestId"],
        )
    claims = await _claims(session, request)
    if claims.waiting:
        raise DomainError(
            f"{claims.waiting} expense claim(s) for the task wait for a decision",
            ErrorCode.CONFLICT,
            ["requestId"],
        )
    if claims.other_currencies:
        raise DomainError(
            f"approved claims in {', '.join(claims.other_currencies)} cannot settle an advance "
            f"in {request.currency}: reject them and claim again in {request.currency}",
            ErrorCode.CONFLICT,
            ["requestId"],
        )
    _settled(request, claims.approved, now or utcnow())
    await session.flush()
    return request


async def settle_after_claims(
    session: AsyncSession, technician_id: int, task_id: int, now: datetime | None = None
) -> TravelRequest | None:
    """After an expense claim for a task is decided: the technician's paid-out advance for
    it settles once none of their claims for the task waits and at least one is approved,
    all in the advance's currency. A settled one is settled again with every approved claim
    (a claim approved after the settlement counts too)."""
    request = await session.scalar(
        select(TravelRequest)
        .where(
            col(TravelRequest.task_id) == task_id,
            col(TravelRequest.technician_id) == technician_id,
            col(TravelRequest.settlement_status).in_(
                (SettlementStatus.PAID_OUT, SettlementStatus.SETTLED)
            ),
        )
        .with_for_update()
    )
    if request is None:
        return None
    await _settle_when_due(session, request, now or utcnow())
    await session.flush()
    return request


async def _settle_when_due(session: AsyncSession, request: TravelRequest, now: datetime) -> None:
    claims = await _claims(session, request)
    if claims.waiting or claims.other_currencies or claims.approved is None:
        return
    unchanged = request.claimed_amount == claims.approved.quantize(CENT)
    if request.settlement_status is SettlementStatus.SETTLED and unchanged:
        return
    _settled(request, claims.approved, now)


@dataclass(frozen=True, slots=True)
class Claims:
    """The technician's claims for the request's task, as settlement reads them."""

    approved: Decimal | None
    """The sum of the approved ones in the advance's currency; None when there is none."""
    waiting: int
    """How many wait for a decision."""
    other_currencies: list[str]
    """The currencies of approved ones not in the advance's currency (which cannot settle)."""


async def _claims(session: AsyncSession, request: TravelRequest) -> Claims:
    table = ExpenseClaim
    approved = col(table.status) == ExpenseStatus.APPROVED
    same = col(table.currency) == request.currency
    statement = sa.select(
        sa.func.sum(col(table.amount)).filter(approved, same),
        sa.func.count().filter(col(table.status) == ExpenseStatus.SUBMITTED),
        sa.func.array_agg(sa.distinct(col(table.currency))).filter(approved, sa.not_(same)),
    ).where(
        col(table.task_id) == request.task_id,
        col(table.technician_id) == request.technician_id,
    )
    total, waiting, others = (await session.execute(statement)).one()
    return Claims(
        approved=None if total is None else Decimal(total),
        waiting=int(waiting),
        other_currencies=sorted(others or []),
    )


def _settled(request: TravelRequest, claimed: Decimal | None, now: datetime) -> None:
    spent = (claimed or Decimal(0)).quantize(CENT)
    request.claimed_amount = spent
    request.balance = (spent - request.advance_amount).quantize(CENT)
    request.settlement_status = SettlementStatus.SETTLED
    request.settled_at = now
    request.touch()
