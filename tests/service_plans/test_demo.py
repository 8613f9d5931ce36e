"""The demo city's running contracts carry plans whose visits fill the horizon."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.db import SessionFactory
from app.demo.command import seed_database

TODAY = date(2026, 11, 24)
COUNTS = """
SELECT (SELECT count(*) FROM service_plans),
       (SELECT count(*) FROM planned_visits),
       (SELECT count(*) FROM planned_visits v JOIN tasks t ON t.id = v.task_id
         WHERE t.type IN ('PREVENTIVE', 'INSPECTION') AND t.window_start = v.window_start),
       (SELECT count(*) FROM contracts
         WHERE kind IN ('AMC', 'CMC') AND archived_at IS NULL AND ends_on >= :today)
"""


async def test_the_demo_contracts_get_plans_and_visits(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    out = io.StringIO()
    code = await seed_database(sessions, out=out, today=TODAY, customers=150, technicians=20)

    plans, visits, as_tasks, promising = (
        await connection.execute(sa.text(COUNTS), {"today": TODAY})
    ).one()
    assert code == 0 and "service plans:" in out.getvalue()
    assert promising > 0 and plans >= promising
    assert visits > 0 and as_tasks == visits
