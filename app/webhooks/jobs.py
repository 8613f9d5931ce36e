"""The webhook delivery job, periodic on the job engine (rows claimed SKIP LOCKED)."""

from __future__ import annotations

from app.core.db import SessionFactory
from app.core.events import Broker
from app.core.jobs import Job
from app.webhooks.delivery import deliver_due


async def run_delivery(sessions: SessionFactory, broker: Broker) -> None:
    await deliver_due(sessions, broker)


JOBS: list[Job] = [Job("webhooks.deliver", 10, run_delivery)]
