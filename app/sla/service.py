"""Changing escalation policies (they are data: thresholds, audiences, on or off)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.repository import apply_changes, check_version, get_for_update
from app.sla.models import EscalationPolicy, EscalationPolicyUpdate


async def update_policy(
    session: AsyncSession,
    policy_id: int,
    changes: EscalationPolicyUpdate,
    expected_version: int | None = None,
) -> EscalationPolicy:
    policy = await get_for_update(session, EscalationPolicy, policy_id, what="escalation policy")
    check_version(policy, expected_version)
    values = changes.model_dump(exclude_unset=True)
    if any(getattr(policy, name) != value for name, value in values.items()):
        apply_changes(policy, values)
        policy.version += 1
    await session.flush()
    return policy
