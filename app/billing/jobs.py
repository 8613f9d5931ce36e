"""Periodic billing work: paid accessories wait for their van to hold the part."""

from __future__ import annotations

from app.billing.payments import retry_pending_upsells
from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker
from app.core.jobs import Job

UPSELL_RETRY_SECONDS = 60.0


async def deliver_pending_upsells(sessions: SessionFactory, broker: Broker | None) -> list[int]:
    """Consume the parts of paid upsells whose van was short and has since been restocked
    (offers locked by another server are skipped)."""
    async with unit_of_work(sessions, broker) as session:
        return await retry_pending_upsells(session)


JOBS: list[Job] = [
    Job("billing.deliver_pending_upsells", UPSELL_RETRY_SECONDS, deliver_pending_upsells)
]
