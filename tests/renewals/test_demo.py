"""The demo city carries offers at every stage, and a rerun of the renewal clock on the
seeded day creates nothing new."""

from __future__ import annotations

import io
from datetime import date, time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.db import SessionFactory
from app.demo.command import seed_database
from app.demo.generator import local_time
from app.renewals.ladder import advance
from app.renewals.models import OfferStage

TODAY = date(2026, 11, 24)
NOW = local_time(TODAY, time(11))


async def test_the_demo_has_offers_at_every_stage_and_the_clock_is_quiet_after(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    out = io.StringIO()
    assert await seed_database(sessions, today=TODAY, out=out) == 0
    assert "contract offers by stage" in out.getvalue()

    by_stage = sa.text("SELECT stage, count(*) FROM contract_offers GROUP BY 1")
    stages = dict((await connection.execute(by_stage)).all())
    assert set(stages) == {stage.value for stage in OfferStage}, str(sorted(stages.items()))
    renewed = await connection.scalar(
        sa.text("SELECT count(*) FROM contracts WHERE renewed_from_id IS NOT NULL")
    )
    won_renewals = await connection.scalar(
        sa.text("SELECT count(*) FROM contract_offers WHERE stage = 'WON' AND kind = 'RENEWAL'")
    )
    assert renewed == won_renewals and renewed > 0

    async with sessions() as session, session.begin():
        again = await advance(session, NOW)
    assert (again["offered"], again["reminded"], again["expired"]) == (0, 0, 0)
