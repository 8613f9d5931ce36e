"""The partition job: days past the longest retention go, the coming week is created ahead,
and only one server instance works at a time."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import SessionFactory
from app.core.events import Broker
from app.core.models import utcnow
from app.tracking import service
from app.tracking.jobs import maintain_ping_partitions
from app.tracking.models import TrackingMode
from tests.tracking import factories

NOW = utcnow()


async def exists(session: AsyncSession, day: object) -> bool:
    name = f"location_pings_{day:%Y%m%d}"
    return await session.scalar(sa.text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name})


async def test_old_days_go_and_the_next_week_is_ready(session: AsyncSession) -> None:
    await session.execute(sa.text("UPDATE tracking_policies SET retention_days = 30"))
    old = (NOW - timedelta(days=45)).date()
    kept = (NOW - timedelta(days=20)).date()
    for day in (old, kept):
        await session.execute(sa.text("SELECT location_ping_partition(:d)"), {"d": day})

    done = await service.maintain_partitions(session, now=NOW + timedelta(days=60))

    assert f"location_pings_{old:%Y%m%d}" in done.dropped
    assert not await exists(session, old)
    ahead = (NOW + timedelta(days=60 + service.PARTITIONS_AHEAD)).date()
    assert done.created_through == ahead
    assert await exists(session, ahead)


async def test_the_longest_policy_retention_decides(session: AsyncSession) -> None:
    await session.execute(sa.text("UPDATE tracking_policies SET retention_days = 30"))
    area = await factories.territory(session, "KEEP")
    policy = await factories.policy(session, area.id, TrackingMode.ALWAYS)
    policy.retention_days = 120
    await session.flush()
    day = (NOW - timedelta(days=45)).date()
    await session.execute(sa.text("SELECT location_ping_partition(:d)"), {"d": day})

    done = await service.maintain_partitions(session, now=NOW)

    assert f"location_pings_{day:%Y%m%d}" not in done.dropped
    assert await exists(session, day)


async def test_the_job_runs_a_round_under_its_lock(
    sessions: SessionFactory, broker: Broker
) -> None:
    assert await maintain_ping_partitions(sessions, broker) is True
