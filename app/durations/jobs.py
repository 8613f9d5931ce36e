"""Nightly retraining of the duration model on the day's completed work."""

from __future__ import annotations

import structlog

from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker
from app.core.jobs import Job
from app.durations.service import retrain

log = structlog.get_logger("fieldgraph.durations")


async def retrain_durations(sessions: SessionFactory, broker: Broker) -> int | None:
    """One round: the new model version, or None when another round holds the lock."""
    async with unit_of_work(sessions, broker) as session:
        model = await retrain(session)
        if model is None:
            return None
        version, samples = model.version, model.samples
    log.info("duration model trained", version=version, samples=samples)
    return version


JOBS: list[Job] = [Job("durations.retrain", every_seconds=24 * 3600, run=retrain_durations)]
