"""The demo city carries remote service: the catalogue and policies, requests resolved
remotely, escalated and in triage, experts, and assist requests open and answered."""

from __future__ import annotations

import io
from datetime import date, time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.db import SessionFactory
from app.demo.command import seed_database
from app.demo.generator import local_time
from app.remote_service import repository

TODAY = date(2026, 11, 24)
NOW = local_time(TODAY, time(11))


async def test_the_demo_has_remote_cases_experts_and_assist_requests(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    out = io.StringIO()
    assert await seed_database(sessions, today=TODAY, customers=150, technicians=20, out=out) == 0
    assert "remote_cases" in out.getvalue()

    by_stage = sa.text("SELECT stage, count(*) FROM remote_cases GROUP BY 1")
    stages: dict[str, int] = dict((await connection.execute(by_stage)).all())
    assert set(stages) == {"TRIAGE", "RESOLVED", "ESCALATED"}, stages
    # every escalated case has its field task, described by the diagnosis
    carried = sa.text(
        "SELECT count(*) FROM remote_cases c JOIN tasks t ON t.id = c.task_id "
        "WHERE c.stage = 'ESCALATED' AND t.description LIKE 'Remote diagnosis:%'"
    )
    assert await connection.scalar(carried) == stages["ESCALATED"]
    assert await connection.scalar(sa.text("SELECT count(*) FROM remote_resolution_codes")) >= 5
    assert await connection.scalar(sa.text("SELECT count(*) FROM expert_profiles")) >= 4
    by_status = sa.text("SELECT status, count(*) FROM assist_requests GROUP BY 1")
    statuses: dict[str, int] = dict((await connection.execute(by_status)).all())
    assert statuses.get("OPEN", 0) >= 1 and statuses.get("ANSWERED", 0) >= 1, statuses
    escalated = sa.text("SELECT count(*) FROM assist_requests WHERE escalation_level > 0")
    assert await connection.scalar(escalated) >= 1
    async with sessions() as session:
        rows = await repository.resolution_rate(
            session, date(2026, 11, 1), TODAY, repository.Period.MONTH
        )
    assert sum(r.resolved for r in rows) == stages["RESOLVED"]
