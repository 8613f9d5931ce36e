"""The demo seed rolls its history up, so `make run` opens on meaningful KPI tiles."""

from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.db import SessionFactory
from app.demo.command import seed_database
from app.kpis.service import reconcile
from tests.demo.test_seed import SMALL


async def test_the_seeded_city_has_kpis_that_equal_a_recompute(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    # when the demo city is seeded
    out = io.StringIO()
    assert await seed_database(sessions, out=out, **SMALL) == 0  # type: ignore[arg-type]
    # then its history is rolled up: completed jobs, ratings and revenue on many days
    jobs, ratings, revenue, days = (
        await connection.execute(
            sa.text(
                "SELECT sum(jobs_completed), sum(rating_count), sum(revenue_net), "
                "count(DISTINCT day) FROM kpi_daily"
            )
        )
    ).one()
    assert jobs > 0 and ratings > 0 and revenue > 0 and days > 1
    assert "kpi_daily" in out.getvalue()
    # and a reconciliation finds nothing to repair
    async with sessions() as session:
        first, last = (
            await session.execute(sa.text("SELECT min(day), max(day) FROM kpi_daily"))
        ).one()
        drift = await reconcile(session, first - timedelta(days=1), last + timedelta(days=1))
    assert drift == 0
