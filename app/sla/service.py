"""Changing escalation policies (they are data: thresholds, audiences, on or off)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.repository import apply_changes, get_for_update
from app.sla.models import EscalationPolicy, EscalationPolicyUpdate


async def update_policy(
    session: AsyncSession, policy_id: int, changes: EscalationPolicyUpdate
) -> EscalationPolicy:
    policy = await get_for_update(session, EscalationPolicy, policy_id, what="escalation policy")
    apply_changes(policy, changes.model_dump(exclude_unset=True))
    await session.flush()
    return policy
