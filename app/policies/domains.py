"""Policies whose rows and rules belong to their own domains (SLA escalation, tracking,
requisition approval): changed through that domain's service, audited here like the others."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col, select

from app.core.auth import Principal
from app.inventory import requisitions
from app.inventory.models import ApprovalThresholdSet, RequisitionApprovalThreshold
from app.policies.audit import Diff, lock, record
from app.policies.models import PolicyKind
from app.sla import service as sla
from app.sla.models import EscalationPolicy, EscalationPolicyUpdate
from app.tracking import repository as tracking_rows
from app.tracking import service as tracking
from app.tracking.models import TrackingPolicy, TrackingPolicyBase, TrackingPolicySet

ESCALATION_FIELDS = ("threshold_minutes", "audience_role", "active")
TRACKING_FIELDS = tuple(TrackingPolicyBase.model_fields)
THRESHOLD_FIELDS = ("dispatcher_limit", "manager_limit", "removed")


def _values(row: SQLModel | None, names: tuple[str, ...]) -> dict[str, Any]:
    if row is None:
        return dict.fromkeys(names)
    values = {name: getattr(row, name, None) for name in names}
    if "removed" in names:
        values["removed"] = getattr(row, "archived_at", None) is not None
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}


def _diffs(before: dict[str, Any], after: dict[str, Any], item: str) -> list[Diff]:
    return [Diff(k, before[k], after[k], item) for k in after if before[k] != after[k]]


async def update_escalation_policy(
    session: AsyncSession,
    principal: Principal,
    policy_id: int,
    changes: EscalationPolicyUpdate,
    expected_version: int | None,
) -> EscalationPolicy:
    family = await lock(session, PolicyKind.ESCALATION, None)
    before = _values(await session.get(EscalationPolicy, policy_id), ESCALATION_FIELDS)
    policy = await sla.update_policy(session, policy_id, changes, expected_version)
    item = f"{policy.trigger.value} level {policy.level}"
    record(session, family, principal, _diffs(before, _values(policy, ESCALATION_FIELDS), item))
    await session.flush()
    return policy


async def set_tracking_policy(
    session: AsyncSession,
    principal: Principal,
    data: TrackingPolicySet,
    expected_version: int | None,
) -> TrackingPolicy:
    family = await lock(session, PolicyKind.TRACKING, None)
    existing = await tracking_rows.policy_for_update(session, data.territory_id)
    before = _values(existing, TRACKING_FIELDS)
    policy = await tracking.set_policy(session, data, expected_version)
    item = "default" if data.territory_id is None else f"territory {data.territory_id}"
    record(session, family, principal, _diffs(before, _values(policy, TRACKING_FIELDS), item))
    await session.flush()
    return policy


async def _threshold(session: AsyncSession, currency: str) -> RequisitionApprovalThreshold | None:
    return await session.scalar(
        select(RequisitionApprovalThreshold).where(
            col(RequisitionApprovalThreshold.currency) == currency
        )
    )


async def set_approval_threshold(
    session: AsyncSession,
    principal: Principal,
    data: ApprovalThresholdSet,
    expected_version: int | None,
) -> RequisitionApprovalThreshold:
    family = await lock(session, PolicyKind.REQUISITION_APPROVAL, None)
    before = _values(await _threshold(session, data.currency), THRESHOLD_FIELDS)
    row = await requisitions.set_threshold(session, data, expected_version)
    after = _values(row, THRESHOLD_FIELDS)
    record(session, family, principal, _diffs(before, after, row.currency))
    await session.flush()
    return row


async def remove_approval_threshold(
    session: AsyncSession, principal: Principal, currency: str, expected_version: int | None
) -> RequisitionApprovalThreshold:
    family = await lock(session, PolicyKind.REQUISITION_APPROVAL, None)
    before = _values(await _threshold(session, currency), THRESHOLD_FIELDS)
    row = await requisitions.remove_threshold(session, currency, expected_version)
    after = _values(row, THRESHOLD_FIELDS)
    record(session, family, principal, _diffs(before, after, row.currency))
    await session.flush()
    return row
