"""The service plan clock: generate visits over the horizon, then settle done/missed ones.

A periodic job on the job engine; a transaction-level advisory lock lets one round run at a
time (the unique visit key keeps visits single even without it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from app.core.config import get_settings
from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker
from app.core.jobs import Job
from app.core.models import utcnow
from app.service_plans.generation import LOCK_KEY, generate, settle

__all__ = ["JOBS", "LOCK_KEY", "run_plans"]


async def run_plans(
    sessions: SessionFactory,
    broker: Broker | None,
    now: datetime | None = None,
    horizon_days: int | None = None,
) -> dict[str, int]:
    now = now or utcnow()
    horizon = horizon_days or get_settings().service_plan_horizon_days
    async with unit_of_work(sessions, broker) as session:
        if not await session.scalar(select(func.pg_try_advisory_xact_lock(LOCK_KEY))):
            return {"skipped": 1}
        counts = await generate(session, now.date(), horizon)
        return counts | await settle(session, now)


JOBS: list[Job] = [Job("service_plans.generate", 15 * 60, run_plans)]
