"""The demo city carries threads on the day's requests with messages from the customer, the
desk and the technician, some of them unread."""

from __future__ import annotations

import io
from datetime import date, time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.conversations import repository
from app.core.db import SessionFactory
from app.demo.command import seed_database
from app.demo.generator import local_time

TODAY = date(2026, 11, 24)
NOW = local_time(TODAY, time(11))


async def test_the_demo_has_threads_with_three_roles_and_unread_messages(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    out = io.StringIO()
    assert await seed_database(sessions, today=TODAY, customers=150, technicians=20, out=out) == 0
    assert "conversation_messages" in out.getvalue()

    roles = sa.text(
        "SELECT m.conversation_id, array_agg(DISTINCT m.sender_role ORDER BY m.sender_role) "
        "FROM conversation_messages m JOIN conversations c ON c.id = m.conversation_id "
        "WHERE c.subject_kind = 'SERVICE_REQUEST' GROUP BY 1"
    )
    threads: dict[int, list[str]] = {int(k): v for k, v in (await connection.execute(roles)).all()}
    assert len(threads) >= 3
    assert all(r == ["AGENT", "CUSTOMER", "TECHNICIAN"] for r in threads.values())
    first = min(threads)
    customer = sa.text(
        "SELECT subject FROM conversation_participants WHERE conversation_id = :id "
        "AND role = 'CUSTOMER'"
    )
    subject = await connection.scalar(customer, {"id": first})
    async with sessions() as session:
        assert await repository.unread_counts(session, subject, [first]) == [1]
    system = sa.text("SELECT count(*) FROM conversation_messages WHERE kind = 'SYSTEM'")
    assert await connection.scalar(system) >= 1
