"""Replacement policies as data: per product category (or the default row for every other
category) the value limits of dispatchers and managers, and the warranty of the new unit.
Admins change them; every change is versioned and audited with the other policy families."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import ProductCategory
from app.core.auth import Principal, Role
from app.core.errors import NotFound
from app.core.models import utcnow
from app.core.repository import check_version
from app.inventory.requisitions import ApprovalPolicy, Limits
from app.policies.audit import Diff, lock, record
from app.policies.models import PolicyKind
from app.replacements.models import ReplacementPolicy, ReplacementPolicySet, WarrantyMode

FIELDS = ("currency", "dispatcher_limit", "manager_limit", "warranty_mode", "removed")
CENT = Decimal("0.01")


async def policies(session: AsyncSession) -> list[ReplacementPolicy]:
    """Rows in force: the default (no category) first, then by category."""
    rows = (
        await session.scalars(
            select(ReplacementPolicy).where(col(ReplacementPolicy.archived_at).is_(None))
        )
    ).all()
    return sorted(rows, key=lambda r: (r.product_category is not None, r.product_category or ""))


async def policy_for(session: AsyncSession, category: ProductCategory) -> ReplacementPolicy | None:
    """The category's own row, else the default row, else None (a manager approves, the
    warranty continues)."""
    rows = {row.product_category: row for row in await policies(session)}
    return rows.get(category) or rows.get(None)


def approver_for(row: ReplacementPolicy | None, value: Decimal, currency: str) -> Role:
    """Reuses the requisitions' rule: up to the dispatcher limit a dispatcher, up to the
    manager limit a manager, above it an admin; no limits in this currency: a manager."""
    limits = {} if row is None else {row.currency: Limits(row.dispatcher_limit, row.manager_limit)}
    return ApprovalPolicy(limits=limits).approver_for(value, currency)


def may_approve(role: Role, required: Role) -> bool:
    return ApprovalPolicy().may_approve(role, required)


def warranty_mode(row: ReplacementPolicy | None) -> WarrantyMode:
    return WarrantyMode.CONTINUE if row is None else row.warranty_mode


def _values(row: ReplacementPolicy | None) -> dict[str, Any]:
    if row is None or row.archived_at is not None:
        return dict.fromkeys(FIELDS) | {"removed": True}
    return {
        "currency": row.currency,
        "dispatcher_limit": str(row.dispatcher_limit),
        "manager_limit": None if row.manager_limit is None else str(row.manager_limit),
        "warranty_mode": row.warranty_mode.value,
        "removed": False,
    }


def _item(category: ProductCategory | None) -> str:
    return category.value if category is not None else "default"


async def _row(session: AsyncSession, category: ProductCategory | None) -> ReplacementPolicy | None:
    column = col(ReplacementPolicy.product_category)
    condition = column.is_(None) if category is None else column == category
    return await session.scalar(select(ReplacementPolicy).where(condition).with_for_update())


async def set_policy(
    session: AsyncSession,
    principal: Principal,
    data: ReplacementPolicySet,
    expected_version: int | None,
) -> ReplacementPolicy:
    """Create or replace one category's policy. Requests already raised keep the approver
    they were given; new ones follow the new limits."""
    family = await lock(session, PolicyKind.REPLACEMENT, None)
    row = await _row(session, data.product_category)
    before = _values(row)
    if row is None:
        if expected_version is not None:
            raise NotFound("replacement policy", ["productCategory"])
        row = ReplacementPolicy(product_category=data.product_category, dispatcher_limit=Decimal(0))
        session.add(row)
    else:
        check_version(row, expected_version)
        row.touch()
    row.currency = data.currency
    row.dispatcher_limit = data.dispatcher_limit.quantize(CENT)
    row.manager_limit = None if data.manager_limit is None else data.manager_limit.quantize(CENT)
    row.warranty_mode = data.warranty_mode
    row.archived_at = None
    after = _values(row)
    item = _item(data.product_category)
    record(
        session,
        family,
        principal,
        [Diff(k, before[k], after[k], item) for k in FIELDS if before[k] != after[k]],
    )
    await session.flush()
    return row


async def remove_policy(
    session: AsyncSession,
    principal: Principal,
    category: ProductCategory,
    expected_version: int | None,
) -> ReplacementPolicy:
    """A category's own row goes; its requests then follow the default row (which is never
    removed, only changed)."""
    family = await lock(session, PolicyKind.REPLACEMENT, None)
    row = await _row(session, category)
    if row is None or row.archived_at is not None:
        raise NotFound("replacement policy", ["productCategory"])
    check_version(row, expected_version)
    before = _values(row)
    row.archived_at = utcnow()
    row.touch()
    after = _values(row)
    record(
        session,
        family,
        principal,
        [Diff(k, before[k], after[k], category.value) for k in FIELDS if before[k] != after[k]],
    )
    await session.flush()
    return row
