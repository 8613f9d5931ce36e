"""Ping partitions: every hour, drop the days past retention and create the next week's days.

A periodic job on the job engine; a transaction-scoped advisory lock still lets one round work
at a time and any other skip (the next hour will do)."""

from __future__ import annotations

import sqlalchemy as sa
import structlog

from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker
from app.core.jobs import Job
from app.tracking.service import maintain_partitions

log = structlog.get_logger("fieldgraph.tracking")

LOCK = "fieldgraph:tracking:partitions"


async def maintain_ping_partitions(sessions: SessionFactory, broker: Broker) -> bool:
    """One round; False when another instance holds the lock."""
    async with unit_of_work(sessions, broker) as session:
        locked = await session.scalar(
            sa.text("SELECT pg_try_advisory_xact_lock(hashtext(:lock))"), {"lock": LOCK}
        )
        if not locked:
            return False
        done = await maintain_partitions(session)
    if done.dropped:
        log.info("ping partitions dropped", partitions=done.dropped)
    return True


JOBS = [Job("tracking-partitions", every_seconds=3600, run=maintain_ping_partitions)]
