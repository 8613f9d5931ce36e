"""The demo city carries a two-day commercial install offered to a crew of two."""

from __future__ import annotations

import io
from datetime import date, time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.db import SessionFactory
from app.demo.command import seed_database
from app.demo.generator import local_time

TODAY = date(2026, 11, 24)
NOW = local_time(TODAY, time(11))


async def test_the_demo_has_a_two_day_crew_install(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    out = io.StringIO()
    assert await seed_database(sessions, today=TODAY, customers=150, technicians=20, out=out) == 0
    assert "crew_tasks" in out.getvalue()
    crews = sa.text(
        "SELECT t.id, t.crew_size, t.status, count(c.*), count(*) FILTER (WHERE c.is_lead) "
        "FROM tasks t JOIN crew_members c ON c.task_id = t.id GROUP BY t.id"
    )
    rows = (await connection.execute(crews)).all()
    assert [(size, status, members, leads) for _, size, status, members, leads in rows] == [
        (2, "DISPATCHED", 2, 1)
    ]
    segments = sa.text("SELECT count(*) FROM task_segments WHERE task_id = :id")
    assert await connection.scalar(segments, {"id": rows[0][0]}) == 2
