"""The confirmation ladder's clock, a periodic job; rows are claimed SKIP LOCKED."""

from __future__ import annotations

from datetime import datetime

from app.confirmations.ladder import advance
from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker
from app.core.jobs import Job
from app.core.models import utcnow


async def run_ladder(
    sessions: SessionFactory, broker: Broker | None, now: datetime | None = None
) -> dict[str, int]:
    async with unit_of_work(sessions, broker) as session:
        return await advance(session, now or utcnow())


JOBS: list[Job] = [Job("confirmations.ladder", 60, run_ladder)]
