"""A crew assignment reaches every member's phone, not only the lead's."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.events import pending_events
from app.crews.service import assign_crew
from app.work_orders.channels import TASK_STATUS_CHANGED, technician_channel
from tests.crews.test_crews_api import soon
from tests.dispatch import test_service_factories as f


async def test_every_member_hears_of_the_crew_task(session: AsyncSession) -> None:
    d = await f.day(session, technicians=3)
    lead, *members = d.technicians
    task = await f.task(session, d, start=0, end=24)
    task.crew_size = 3
    await session.flush()
    assert task.id is not None and lead.id is not None
    await assign_crew(
        session, f.DISPATCHER, task.id, lead.id, [m.id or 0 for m in members], soon(), reason="x"
    )
    heard = {
        event.channel
        for event in pending_events(session)
        if event.kind == TASK_STATUS_CHANGED and event.data["task_id"] == task.id
    }
    for technician in d.technicians:
        assert technician_channel(technician.id or 0) in heard
