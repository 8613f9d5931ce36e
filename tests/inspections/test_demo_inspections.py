"""The demo city's checklists and past inspections: readings that trend, follow-ups opened."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.db import SessionFactory
from app.demo.command import seed_database

TREND = """
SELECT i.asset_id, array_agg(a.failed ORDER BY i.submitted_at)
FROM inspections i JOIN inspection_answers a ON a.inspection_id = i.id
WHERE a.number IS NOT NULL GROUP BY i.asset_id HAVING count(*) >= 2
"""


async def test_the_demo_has_default_checklists_and_past_inspections_with_follow_ups(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    out = io.StringIO()
    assert (
        await seed_database(
            sessions, out=out, today=date(2026, 11, 24), customers=150, technicians=20
        )
        == 0
    )

    defaults = await connection.execute(
        sa.text(
            "SELECT count(*) FROM checklist_templates "
            "WHERE is_default AND task_type = 'MAINTENANCE'"
        )
    )
    assert defaults.scalar_one() == 7
    inspections = (
        await connection.execute(sa.text("SELECT count(*) FROM inspections"))
    ).scalar_one()
    assert inspections > 0 and "inspections" in out.getvalue()
    follow_ups = (
        await connection.execute(
            sa.text(
                "SELECT count(*) FROM inspection_follow_ups f JOIN tasks t ON t.id = f.task_id "
                "WHERE t.type = 'REPAIR' AND t.status = 'UNSCHEDULED'"
            )
        )
    ).scalar_one()
    assert 0 < follow_ups < inspections
    trends = (await connection.execute(sa.text(TREND))).all()
    assert trends, "some assets were visited more than once"
    # readings drift over the visits: only an asset's latest visit may be out of range
    assert [asset for asset, failed in trends if any(failed[:-1])] == []
