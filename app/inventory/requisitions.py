"""Requisitions: a technician asks for parts, a dispatcher or manager approves by value,
the warehouse issues them to the van (in part when short), unused parts come back.

Who may approve is data (the requisition_approval_thresholds table, edited by admins): up to
a currency's dispatcher limit a dispatcher approves, up to its manager limit a manager, above
it an admin; a currency without limits needs a manager. An admin always may.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, FieldProblem, Forbidden, NotFound, collect
from app.core.models import utcnow
from app.core.repository import check_version, flush_unique, get_for_update
from app.inventory.catalogue import ensure_van
from app.inventory.ledger import Leg, Posted, Stamp, post, task_exists
from app.inventory.models import (
    ApprovalThresholdSet,
    MovementKind,
    MovementLine,
    Requisition,
    RequisitionApprovalThreshold,
    RequisitionCreate,
    RequisitionLine,
    RequisitionStatus,
    StockLevel,
    StockLocationKind,
)
from app.inventory.stock import active_location, may_use_van, parts_of, return_to_warehouse
from app.technicians.models import Technician


@dataclass(frozen=True, slots=True)
class Limits:
    dispatcher: Decimal
    """Up to this value (inclusive) a dispatcher may approve."""
    manager: Decimal | None = None
    """Up to this value a manager may; above it only an admin. None: no upper limit."""


@dataclass(frozen=True, slots=True)
class ApprovalPolicy:
    """Who approves a requisition of a value: the limits come from the
    requisition_approval_thresholds table (`approval_policy`); a currency without limits
    needs a manager."""

    limits: Mapping[str, Limits] = field(default_factory=dict)
    approvers: Mapping[Role, frozenset[Role]] = field(
        default_factory=lambda: {
            Role.DISPATCHER: frozenset({Role.DISPATCHER, Role.MANAGER, Role.ADMIN}),
            Role.MANAGER: frozenset({Role.MANAGER, Role.ADMIN}),
            Role.ADMIN: frozenset({Role.ADMIN}),
        }
    )

    def approver_for(self, value: Decimal, currency: str) -> Role:
        limits = self.limits.get(currency)
        if limits is None:
            return Role.MANAGER
        if value <= limits.dispatcher:
            return Role.DISPATCHER
        if limits.manager is None or value <= limits.manager:
            return Role.MANAGER
        return Role.ADMIN

    def may_approve(self, role: Role, required: Role) -> bool:
        return role in self.approvers.get(required, frozenset({Role.ADMIN}))


async def approval_policy(session: AsyncSession) -> ApprovalPolicy:
    """The policy in force: the thresholds admins keep per currency."""
    rows = (
        await session.scalars(
            select(RequisitionApprovalThreshold).where(
                col(RequisitionApprovalThreshold.archived_at).is_(None)
            )
        )
    ).all()
    return ApprovalPolicy(
        limits={row.currency: Limits(row.dispatcher_limit, row.manager_limit) for row in rows}
    )


async def list_thresholds(session: AsyncSession) -> list[RequisitionApprovalThreshold]:
    return list(
        (
            await session.scalars(
                select(RequisitionApprovalThreshold)
                .where(col(RequisitionApprovalThreshold.archived_at).is_(None))
                .order_by(col(RequisitionApprovalThreshold.currency))
            )
        ).all()
    )


async def set_threshold(
    session: AsyncSession, data: ApprovalThresholdSet, expected_version: int | None
) -> RequisitionApprovalThreshold:
    """Create or replace one currency's limits. Requisitions already raised keep the approver
    they were given; new ones follow the new limits."""
    cent = Decimal("0.01")
    data = data.model_copy(
        update={
            "dispatcher_limit": data.dispatcher_limit.quantize(cent),
            "manager_limit": None
            if data.manager_limit is None
            else data.manager_limit.quantize(cent),
        }
    )
    row = await session.scalar(
        select(RequisitionApprovalThreshold)
        .where(col(RequisitionApprovalThreshold.currency) == data.currency)
        .with_for_update()
    )
    if row is None:
        if expected_version is not None:
            raise NotFound("approval threshold", ["currency"])
        row = RequisitionApprovalThreshold.model_validate(data)
        session.add(row)
        await flush_unique(session, "currency", "the currency already has thresholds")
        return row
    check_version(row, expected_version)
    row.dispatcher_limit = data.dispatcher_limit
    row.manager_limit = data.manager_limit
    row.archived_at = None
    row.touch()
    await session.flush()
    return row


async def remove_threshold(
    session: AsyncSession, currency: str, expected_version: int | None
) -> RequisitionApprovalThreshold:
    """Requisitions in this currency then need a manager (or an admin above no limit)."""
    row = await session.scalar(
        select(RequisitionApprovalThreshold)
        .where(
            col(RequisitionApprovalThreshold.currency) == currency,
            col(RequisitionApprovalThreshold.archived_at).is_(None),
        )
        .with_for_update()
    )
    if row is None:
        raise NotFound("approval threshold", ["currency"])
    check_version(row, expected_version)
    row.archived_at = utcnow()
    row.touch()
    await session.flush()
    return row


DEFAULT_POLICY = ApprovalPolicy()

OPEN = (RequisitionStatus.APPROVED, RequisitionStatus.PARTIALLY_FULFILLED)


async def create_requisition(
    session: AsyncSession,
    principal: Principal,
    data: RequisitionCreate,
    policy: ApprovalPolicy | None = None,
) -> Requisition:
    may_use_van(principal, data.technician_id)
    technician = await session.get(Technician, data.technician_id)
    if technician is None or technician.archived_at is not None:
        raise NotFound("technician", ["technicianId"])
    await active_location(session, data.warehouse_id, "warehouseId", StockLocationKind.WAREHOUSE)
    if data.task_id is not None:
        await task_exists(session, data.task_id)
    parts = await parts_of(session, data.lines, allow_archived=False)
    currencies = {part.currency for part in parts.values()}
    if len(currencies) > 1:
        raise DomainError("all parts of a requisition must share one currency", field=["lines"])
    total = sum((parts[line.part_id].unit_cost * line.quantity for line in data.lines), Decimal(0))
    currency = currencies.pop()
    requisition = Requisition(
        technician_id=data.technician_id,
        warehouse_id=data.warehouse_id,
        task_id=data.task_id,
        needed_by=data.needed_by,
        notes=data.notes,
        requested_by=principal.subject,
        total_value=total,
        currency=currency,
        approver_role=(policy or await approval_policy(session))
        .approver_for(total, currency)
        .value,
    )
    session.add(requisition)
    await session.flush()
    assert requisition.id is not None
    session.add_all(
        RequisitionLine(
            requisition_id=requisition.id,
            part_id=line.part_id,
            quantity_requested=line.quantity,
            unit_cost=parts[line.part_id].unit_cost,
        )
        for line in data.lines
    )
    await session.flush()
    return requisition


async def _for_update(
    session: AsyncSession, requisition_id: int, expected_version: int | None
) -> Requisition:
    requisition = await get_for_update(session, Requisition, requisition_id, what="requisition")
    check_version(requisition, expected_version)
    return requisition


def _transition(requisition: Requisition, allowed: Sequence[RequisitionStatus], to: str) -> None:
    if requisition.status not in allowed:
        raise DomainError(
            f"a {requisition.status.value} requisition cannot be {to}",
            ErrorCode.INVALID_TRANSITION,
            ["id"],
        )


async def approve_requisition(
    session: AsyncSession,
    principal: Principal,
    requisition_id: int,
    expected_version: int | None,
    policy: ApprovalPolicy = DEFAULT_POLICY,
) -> Requisition:
    requisition = await _for_update(session, requisition_id, expected_version)
    _transition(requisition, [RequisitionStatus.PENDING_APPROVAL], "approved")
    if not policy.may_approve(principal.role, Role(requisition.approver_role)):
        raise Forbidden(
            f"a requisition worth {requisition.total_value} {requisition.currency} "
            f"needs a {requisition.approver_role} to approve it"
        )
    _decide(requisition, principal, RequisitionStatus.APPROVED, None)
    await session.flush()
    return requisition


async def reject_requisition(
    session: AsyncSession,
    principal: Principal,
    requisition_id: int,
    reason: str,
    expected_version: int | None,
) -> Requisition:
    if not reason.strip():
        raise DomainError("say why the requisition is rejected", field=["reason"])
    requisition = await _for_update(session, requisition_id, expected_version)
    _transition(requisition, [RequisitionStatus.PENDING_APPROVAL], "rejected")
    _decide(requisition, principal, RequisitionStatus.REJECTED, reason.strip())
    await session.flush()
    return requisition


async def cancel_requisition(
    session: AsyncSession,
    principal: Principal,
    requisition_id: int,
    expected_version: int | None,
) -> Requisition:
    requisition = await _for_update(session, requisition_id, expected_version)
    may_use_van(principal, requisition.technician_id)
    _transition(
        requisition, [RequisitionStatus.PENDING_APPROVAL, RequisitionStatus.APPROVED], "cancelled"
    )
    requisition.status = RequisitionStatus.CANCELLED
    requisition.touch()
    await session.flush()
    return requisition


def _decide(
    requisition: Requisition, principal: Principal, status: RequisitionStatus, reason: str | None
) -> None:
    requisition.status = status
    requisition.decided_by = principal.subject
    requisition.decided_at = utcnow()
    requisition.decision_reason = reason
    requisition.touch()


async def fulfil_requisition(
    session: AsyncSession,
    principal: Principal,
    requisition_id: int,
    quantities: Mapping[int, int] | None,
    expected_version: int | None,
) -> tuple[Requisition, Posted]:
    """Issue parts from the requisition's warehouse to the technician's van.

    With `quantities` (part id -> units) exactly those are issued; without, every line's
    outstanding units as far as the warehouse has them available now. Partial issues leave
    the requisition PARTIALLY_FULFILLED until the rest follows.
    """
    requisition = await _for_update(session, requisition_id, expected_version)
    _transition(requisition, OPEN, "fulfilled")
    lines = list(
        (
            await session.scalars(
                select(RequisitionLine)
                .where(col(RequisitionLine.requisition_id) == requisition_id)
                .order_by(col(RequisitionLine.id))
                .with_for_update()
            )
        ).all()
    )
    wanted = quantities if quantities is not None else await _available(session, requisition, lines)
    _check_quantities(lines, wanted)
    van = await ensure_van(session, requisition.technician_id)
    assert van.id is not None and requisition.id is not None
    legs: list[Leg] = []
    for i, line in enumerate(lines):
        units = wanted.get(line.part_id, 0)
        if units <= 0:
            continue
        at = ("lines", str(i), "quantity")
        legs.append(Leg(requisition.warehouse_id, line.part_id, -units, 0, van.id, at))
        legs.append(Leg(van.id, line.part_id, units, 0, requisition.warehouse_id, at))
        line.quantity_fulfilled += units
    if not legs:
        raise DomainError(
            "the warehouse has none of the outstanding parts available",
            ErrorCode.INSUFFICIENT_STOCK,
            ["lines"],
        )
    stamp = Stamp(
        actor=principal.subject,
        reason=f"requisition {requisition.id}",
        task_id=requisition.task_id,
        requisition_id=requisition.id,
    )
    posted = await post(session, MovementKind.ISSUE_TO_VAN, legs, stamp)
    done = all(line.outstanding == 0 for line in lines)
    requisition.status = (
        RequisitionStatus.FULFILLED if done else RequisitionStatus.PARTIALLY_FULFILLED
    )
    requisition.touch()
    await session.flush()
    return requisition, posted


async def _available(
    session: AsyncSession, requisition: Requisition, lines: Sequence[RequisitionLine]
) -> dict[int, int]:
    levels = (
        await session.scalars(
            select(StockLevel).where(
                col(StockLevel.location_id) == requisition.warehouse_id,
                col(StockLevel.part_id).in_([line.part_id for line in lines]),
            )
        )
    ).all()
    available = {level.part_id: level.available for level in levels}
    return {line.part_id: min(line.outstanding, available.get(line.part_id, 0)) for line in lines}


def _check_quantities(lines: Sequence[RequisitionLine], wanted: Mapping[int, int]) -> None:
    by_part = {line.part_id: line for line in lines}
    problems = [
        FieldProblem("the requisition has no line for this part", ErrorCode.INVALID, ["lines"])
        for part_id in wanted
        if part_id not in by_part
    ]
    problems += [
        FieldProblem(
            f"only {line.outstanding} outstanding", ErrorCode.INVALID, ["lines", str(i), "quantity"]
        )
        for i, line in enumerate(lines)
        if wanted.get(line.part_id, 0) > line.outstanding
    ]
    collect(problems)


async def return_unused(
    session: AsyncSession,
    principal: Principal,
    technician_id: int,
    warehouse_id: int,
    lines: Sequence[MovementLine],
    *,
    reason: str | None = None,
    task_id: int | None = None,
    requisition_id: int | None = None,
) -> Posted:
    """Unused parts go from the technician's van back to a warehouse."""
    may_use_van(principal, technician_id)
    if requisition_id is not None:
        requisition = await session.get(Requisition, requisition_id)
        if requisition is None or requisition.technician_id != technician_id:
            raise NotFound("requisition", ["requisitionId"])
    stamp = Stamp(
        actor=principal.subject, reason=reason, task_id=task_id, requisition_id=requisition_id
    )
    return await return_to_warehouse(session, technician_id, warehouse_id, lines, stamp)


async def van_for(session: AsyncSession, principal: Principal, technician_id: int) -> int:
    """The id of the technician's van (created on demand), if the caller may use it."""
    may_use_van(principal, technician_id)
    van = await ensure_van(session, technician_id)
    assert van.id is not None
    return van.id


__all__ = [
    "DEFAULT_POLICY",
    "ApprovalPolicy",
    "Limits",
    "approval_policy",
    "approve_requisition",
    "cancel_requisition",
    "create_requisition",
    "fulfil_requisition",
    "list_thresholds",
    "reject_requisition",
    "remove_threshold",
    "return_unused",
    "set_threshold",
]
