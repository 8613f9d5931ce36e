"""Versions and the audit trail shared by every policy family.

A change locks its family's `policy_sets` row, checks the caller's expected version, writes one
`policy_changes` row per value that really changed and bumps the version once. Nothing is cached
between requests: every reader loads the rows its operation needs, so a change takes effect on
the next operation without a restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.auth import Principal
from app.core.models import utcnow
from app.core.repository import check_version
from app.policies.models import PolicyChange, PolicyKind, PolicySet


@dataclass(frozen=True, slots=True)
class Diff:
    setting: str
    old: Any
    new: Any
    item: str = ""


def plain(value: Any) -> Any:
    """The JSON form of a policy value (enums by name)."""
    if isinstance(value, Enum):
        return value.value
    return str(value) if isinstance(value, Decimal) else value


async def current(session: AsyncSession, kind: PolicyKind) -> PolicySet:
    """The family's version row (created at version 1 when missing)."""
    row = await session.get(PolicySet, kind)
    if row is None:
        row = PolicySet(kind=kind)
        session.add(row)
        await session.flush()
    return row


async def lock(session: AsyncSession, kind: PolicyKind, expected: int | None) -> PolicySet:
    """The family's version row locked for this change; STALE_VERSION when it moved on."""
    await current(session, kind)
    row = await session.scalar(
        select(PolicySet).where(col(PolicySet.kind) == kind).with_for_update()
    )
    assert row is not None
    await session.refresh(row)
    check_version(row, expected)
    return row


def record(
    session: AsyncSession, family: PolicySet, principal: Principal, diffs: Sequence[Diff]
) -> None:
    """Audit the values that changed and bump the family's version (nothing changed: no bump)."""
    if not diffs:
        return
    family.version += 1
    family.updated_at = utcnow()
    session.add_all(
        PolicyChange(
            kind=family.kind,
            version=family.version,
            item=d.item,
            setting=d.setting,
            old_value=plain(d.old),
            new_value=plain(d.new),
            actor=principal.subject,
            actor_role=principal.role.value,
            actor_name=principal.name,
            changed_at=family.updated_at,
        )
        for d in diffs
    )


def changes_statement(kind: PolicyKind | None) -> Any:
    statement = select(PolicyChange)
    if kind is not None:
        statement = statement.where(col(PolicyChange.kind) == kind)
    return statement
