"""Expense claims: technicians file them; approval needs a role that grows with the amount."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, Forbidden, NotFound
from app.core.models import utcnow
from app.expenses.models import ExpenseClaim, ExpenseClaimCreate, ExpenseStatus
from app.technicians.models import Technician
from app.work_orders.models import Task

APPROVAL_TIERS: tuple[tuple[Decimal, Role], ...] = (
    (Decimal("2000.00"), Role.DISPATCHER),
    (Decimal("10000.00"), Role.MANAGER),
)
"""Up to each amount, the least role that approves; above the last, ADMIN."""
RANK = {Role.DISPATCHER: 1, Role.AGENT: 1, Role.MANAGER: 2, Role.ADMIN: 3}


def approver_for(amount: Decimal) -> Role:
    for limit, role in APPROVAL_TIERS:
        if amount <= limit:
            return role
    return Role.ADMIN


def readable(principal: Principal | None) -> SelectOfScalar[ExpenseClaim]:
    statement = select(ExpenseClaim)
    if principal is None:
        return statement.where(false())
    if principal.is_staff:
        return statement
    if principal.role is Role.TECHNICIAN and principal.technician_id:
        return statement.where(col(ExpenseClaim.technician_id) == principal.technician_id)
    if principal.role is Role.PARTNER and principal.partner_id:
        crew = select(Technician.id).where(col(Technician.partner_id) == principal.partner_id)
        return statement.where(col(ExpenseClaim.technician_id).in_(crew))
    return statement.where(false())


async def get_readable(
    session: AsyncSession, principal: Principal | None, claim_id: int
) -> ExpenseClaim | None:
    return await session.scalar(readable(principal).where(col(ExpenseClaim.id) == claim_id))


async def submit_claim(
    session: AsyncSession, principal: Principal, data: ExpenseClaimCreate
) -> ExpenseClaim:
    technician_id = data.technician_id
    if principal.role is Role.TECHNICIAN:
        if technician_id not in (None, principal.technician_id):
            raise Forbidden("a technician files their own claims", ["technicianId"])
        technician_id = principal.technician_id
    if technician_id is None or await session.get(Technician, technician_id) is None:
        raise NotFound("technician", ["technicianId"])
    if data.task_id is not None:
        task = await session.get(Task, data.task_id)
        if task is None or task.technician_id != technician_id:
            raise NotFound("task", ["taskId"])
    claim = ExpenseClaim(
        **data.model_dump(exclude={"technician_id"}),
        technician_id=technician_id,
        approver_role=approver_for(data.amount).value,
        submitted_by=principal.subject,
    )
    session.add(claim)
    await session.flush()
    return claim


async def decide_claim(
    session: AsyncSession,
    principal: Principal,
    claim_id: int,
    approve: bool,
    reason: str | None = None,
) -> ExpenseClaim:
    claim = await session.scalar(
        readable(principal).where(col(ExpenseClaim.id) == claim_id).with_for_update()
    )
    if claim is None:
        raise NotFound("expense claim", ["claimId"])
    if claim.status is not ExpenseStatus.SUBMITTED:
        raise DomainError(f"the claim is {claim.status}", ErrorCode.INVALID_TRANSITION, ["claimId"])
    if approve and RANK.get(principal.role, 0) < RANK[Role(claim.approver_role)]:
        raise Forbidden(f"a claim of {claim.amount} needs a {claim.approver_role} to approve")
    if not approve and not (reason or "").strip():
        raise DomainError("say why the claim is rejected", ErrorCode.INVALID, ["reason"])
    claim.status = ExpenseStatus.APPROVED if approve else ExpenseStatus.REJECTED
    claim.decided_by = principal.subject
    claim.decided_at = utcnow()
    claim.decision_reason = reason
    claim.touch()
    await session.flush()
    if claim.task_id is not None:
        # Imported here: travel requests build on expense claims.
        from app.travel_requests.service import settle_after_claims

        await settle_after_claims(session, claim.technician_id, claim.task_id)
    return claim
