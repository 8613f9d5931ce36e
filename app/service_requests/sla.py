"""Response and resolution due times from the priority's SLA policy and the contract's SLA."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.service_requests.models import SlaPolicy

# Used only when no policy row exists for a priority (the migration seeds all five).
FALLBACK = {1: (60, 240), 2: (240, 480), 3: (480, 1440), 4: (1440, 2880), 5: (2880, 7200)}


async def due_times(
    session: AsyncSession,
    priority: int,
    start: datetime,
    contract_response_hours: int | None = None,
    contract_resolution_hours: int | None = None,
) -> tuple[datetime, datetime]:
    """(response due, resolution due); a contract's SLA only ever tightens the policy."""
    policy = await session.get(SlaPolicy, priority)
    return due_from(policy, priority, start, contract_response_hours, contract_resolution_hours)


def due_from(
    policy: SlaPolicy | None,
    priority: int,
    start: datetime,
    contract_response_hours: int | None = None,
    contract_resolution_hours: int | None = None,
) -> tuple[datetime, datetime]:
    """`due_times` with the priority's policy already loaded (None: the fallback)."""
    response, resolution = (
        (policy.response_minutes, policy.resolution_minutes) if policy else FALLBACK[priority]
    )
    if contract_response_hours:
        response = min(response, contract_response_hours * 60)
    if contract_resolution_hours:
        resolution = min(resolution, contract_resolution_hours * 60)
    return start + timedelta(minutes=response), start + timedelta(minutes=resolution)
