"""Expense claims: filed by technicians, approved by a role that grows with the amount."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode
from app.expenses import service
from app.expenses.models import ExpenseCategory, ExpenseClaimCreate, ExpenseStatus
from tests.work_orders import factories as wf


def _claim(amount: str, **kw: object) -> ExpenseClaimCreate:
    return ExpenseClaimCreate(
        category=ExpenseCategory.FUEL,
        amount=Decimal(amount),
        incurred_on=date(2031, 1, 2),
        receipt_ref="att:receipt-1",
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("amount", "approver"),
    [
        ("150.00", "DISPATCHER"),
        ("2000.00", "DISPATCHER"),
        ("2000.01", "MANAGER"),
        ("10000.01", "ADMIN"),
    ],
)
def test_the_approver_grows_with_the_amount(amount: str, approver: str) -> None:
    assert service.approver_for(Decimal(amount)).value == approver


async def test_a_technician_files_their_own_claim(session: AsyncSession) -> None:
    world = await wf.world(session)
    tech = Principal("t", Role.TECHNICIAN, technician_id=world.technician.id)
    claim = await service.submit_claim(session, tech, _claim("450.00"))
    assert (claim.technician_id, claim.status, claim.approver_role) == (
        world.technician.id,
        ExpenseStatus.SUBMITTED,
        "DISPATCHER",
    )
    with pytest.raises(DomainError) as refused:
        await service.submit_claim(session, tech, _claim("1.00", technician_id=999_999))
    assert (refused.value.code, refused.value.problems[0].field) == (
        ErrorCode.FORBIDDEN,
        ["technicianId"],
    )


@pytest.mark.parametrize(
    ("role", "amount", "code"),
    [
        (Role.DISPATCHER, "1500.00", None),
        (Role.DISPATCHER, "5000.00", ErrorCode.FORBIDDEN),
        (Role.MANAGER, "5000.00", None),
        (Role.MANAGER, "20000.00", ErrorCode.FORBIDDEN),
        (Role.ADMIN, "20000.00", None),
        (Role.TECHNICIAN, "10.00", ErrorCode.FORBIDDEN),
    ],
)
async def test_approval_by_role_and_threshold(
    session: AsyncSession, role: Role, amount: str, code: ErrorCode | None
) -> None:
    world = await wf.world(session)
    tech = Principal("t", Role.TECHNICIAN, technician_id=world.technician.id)
    claim = await service.submit_claim(session, tech, _claim(amount))
    assert claim.id is not None
    approver = Principal("a", role, technician_id=world.technician.id)
    if code is None:
        decided = await service.decide_claim(session, approver, claim.id, True)
        assert decided.status is ExpenseStatus.APPROVED
    else:
        with pytest.raises(DomainError) as refused:
            await service.decide_claim(session, approver, claim.id, True)
        assert refused.value.code is code


async def test_a_rejection_needs_a_reason_and_a_decided_claim_stays_decided(
    session: AsyncSession,
) -> None:
    world = await wf.world(session)
    tech = Principal("t", Role.TECHNICIAN, technician_id=world.technician.id)
    claim = await service.submit_claim(session, tech, _claim("100.00"))
    assert claim.id is not None
    boss = Principal("m", Role.MANAGER)
    with pytest.raises(DomainError) as no_reason:
        await service.decide_claim(session, boss, claim.id, False)
    assert no_reason.value.problems[0].field == ["reason"]
    await service.decide_claim(session, boss, claim.id, False, "no receipt")
    with pytest.raises(DomainError) as again:
        await service.decide_claim(session, boss, claim.id, True)
    assert again.value.code is ErrorCode.INVALID_TRANSITION


async def test_claims_are_scoped_to_their_technician(session: AsyncSession) -> None:
    world = await wf.world(session)
    tech = Principal("t", Role.TECHNICIAN, technician_id=world.technician.id)
    claim = await service.submit_claim(session, tech, _claim("100.00"))
    assert claim.id is not None
    other = Principal("o", Role.TECHNICIAN, technician_id=999_999)
    customer = Principal("c", Role.CUSTOMER, customer_id=world.customer.id)
    assert await service.get_readable(session, tech, claim.id) is claim
    assert await service.get_readable(session, other, claim.id) is None
    assert await service.get_readable(session, customer, claim.id) is None
    assert await service.get_readable(session, None, claim.id) is None
