"""The renewal clock, a periodic job on the job engine (an advisory lock still serialises it)."""

from __future__ import annotations

from datetime import datetime

from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker
from app.core.jobs import Job
from app.core.models import utcnow
from app.renewals.ladder import advance
from app.renewals.settings import get_renewal_settings


async def run_renewals(
    sessions: SessionFactory, broker: Broker | None, now: datetime | None = None
) -> dict[str, int]:
    async with unit_of_work(sessions, broker) as session:
        return await advance(session, now or utcnow())


JOBS: list[Job] = [
    Job("renewals.ladder", get_renewal_settings().job_interval_seconds, run_renewals)
]
