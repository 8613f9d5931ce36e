"""Job costing counts every crew member's time at their own rate."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.models import utcnow
from app.costing.service import job_costs
from app.crews.models import CrewMember
from app.crews.service import assign_crew
from tests.crews.test_crews_api import soon
from tests.dispatch import test_service_factories as f


async def test_a_members_hours_are_costed_at_their_rate(session: AsyncSession) -> None:
    d = await f.day(session, technicians=2)
    lead, member = d.technicians
    member.cost_per_hour = Decimal("300.00")
    task = await f.task(session, d, start=0, end=24, duration=120)
    task.crew_size = 2
    await session.flush()
    assert task.id is not None and lead.id is not None and member.id is not None
    await assign_crew(session, f.DISPATCHER, task.id, lead.id, [member.id], soon(), reason="x")
    (before,) = await job_costs(session, [task.id])
    # when the member worked two hours on it
    row = await session.get(CrewMember, (task.id, member.id))
    assert row is not None
    row.completed_at = utcnow()
    row.checked_in_at = row.completed_at - timedelta(hours=2)
    await session.flush()
    (after,) = await job_costs(session, [task.id])
    assert after.labour_cost - before.labour_cost == Decimal("600.00")
