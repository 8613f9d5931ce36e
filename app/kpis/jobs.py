"""The KPI reconciliation: every hour, recompute the last days from the source rows and repair
any drift of the rollup (writes that bypassed the session hook). One round at a time: the
others skip on the advisory lock."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import structlog

from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker
from app.core.jobs import Job
from app.core.models import utcnow
from app.kpis.service import reconcile
from app.kpis.spans import compact

log = structlog.get_logger("fieldgraph.kpis")

LOCK = "fieldgraph:kpis:reconcile"
DAYS_BACK = 3
"""Local days recomputed each round, ending tomorrow (a territory east of UTC)."""


async def reconcile_recent_days(sessions: SessionFactory, broker: Broker) -> int | None:
    """One round; None when another instance holds the lock, else the rows repaired."""
    today = utcnow().date()
    async with unit_of_work(sessions, broker) as session:
        locked = await session.scalar(
            sa.text("SELECT pg_try_advisory_xact_lock(hashtext(:lock))"), {"lock": LOCK}
        )
        if not locked:
            return None
        repaired = await reconcile(
            session, today - timedelta(days=DAYS_BACK), today + timedelta(days=1)
        )
    if repaired:
        log.warning("kpi rollup drift repaired", rows=repaired)
    return repaired


async def compact_spans(sessions: SessionFactory, broker: Broker) -> int:
    """Fold the month and week spans' difference rows (readers sum them either way; fewer
    rows keep year-long tiles fast)."""
    async with unit_of_work(sessions, broker) as session:
        return await compact(session)


JOBS = [
    Job("kpi-reconcile", every_seconds=3600, run=reconcile_recent_days),
    Job("kpi-compact", every_seconds=300, run=compact_spans),
]
