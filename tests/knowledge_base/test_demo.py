"""The demo city carries a knowledge base: published internal and customer articles for its
faults and models, a draft under review, votes from completed jobs, a proposal, and
suggestions for a demo repair that put the article for its fault first."""

from __future__ import annotations

import io
from datetime import date, time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.auth import Principal, Role
from app.core.db import SessionFactory
from app.demo.command import seed_database
from app.demo.generator import local_time
from app.knowledge_base import service
from app.work_orders.models import Task

TODAY = date(2026, 11, 24)
NOW = local_time(TODAY, time(11))


async def test_the_demo_has_a_knowledge_base_that_suggests_for_its_tasks(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    out = io.StringIO()
    assert await seed_database(sessions, today=TODAY, customers=150, technicians=20, out=out) == 0
    assert "kb_articles" in out.getvalue()

    by_state = sa.text("SELECT status, audience, count(*) FROM kb_articles GROUP BY 1, 2")
    counts = {(s, a): n for s, a, n in (await connection.execute(by_state)).all()}
    assert counts[("PUBLISHED", "INTERNAL")] >= 30
    assert counts[("PUBLISHED", "CUSTOMER")] >= 8
    assert counts[("REVIEW", "INTERNAL")] == 1
    assert ("ARCHIVED", "INTERNAL") in counts
    assert await connection.scalar(sa.text("SELECT count(*) FROM kb_votes")) > 10
    assert await connection.scalar(sa.text("SELECT count(*) FROM kb_proposals")) == 1
    unlinked = sa.text(
        "SELECT count(*) FROM kb_articles a WHERE status = 'PUBLISHED' AND NOT EXISTS "
        "(SELECT 1 FROM kb_article_models m WHERE m.article_id = a.id)"
    )
    assert await connection.scalar(unlinked) == 0

    # a repair whose customer quoted E5 gets the E5 articles first, for its model
    find = sa.text(
        "SELECT id FROM tasks WHERE description LIKE '%E5%' AND asset_id IS NOT NULL "
        "ORDER BY id LIMIT 1"
    )
    task_id = await connection.scalar(find)
    assert task_id is not None
    async with sessions() as session:
        task = await session.get(Task, task_id)
        assert task is not None and task.technician_id is not None
        technician = Principal("t", Role.TECHNICIAN, technician_id=task.technician_id)
        found = await service.suggestions(
            session, technician, task_id=task_id, service_request_id=None, limit=5
        )
        customer = Principal("c", Role.CUSTOMER, customer_id=task.customer_id)
        theirs = await service.suggestions(
            session, customer, task_id=task_id, service_request_id=None, limit=5
        )
    assert (
        found[0].article.title == "Diagnose and fix: Display blinks E5 and the remote does nothing"
    )
    assert {"PRODUCT_MODEL", "FAULT_CODE", "SYMPTOMS"} <= set(found[0].reasons)
    assert "AC display shows E5: reset the unit" in [s.article.title for s in found]
    assert theirs[0].article.title == "AC display shows E5: reset the unit"
