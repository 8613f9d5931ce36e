"""The demo city carries travel policies and requests waiting, approved and settled."""

from __future__ import annotations

import io
from datetime import date, time
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.db import SessionFactory
from app.demo.command import seed_database
from app.demo.generator import local_time

TODAY = date(2026, 11, 24)
NOW = local_time(TODAY, time(11))


async def test_the_demo_has_policies_and_a_pending_an_approved_and_a_settled_request(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    out = io.StringIO()
    assert await seed_database(sessions, today=TODAY, customers=150, technicians=20, out=out) == 0
    assert "travel_requests" in out.getvalue()

    policies = await connection.scalar(sa.text("SELECT count(*) FROM travel_policies"))
    assert policies == 2
    rows = sa.text(
        "SELECT status, settlement_status, approver_role, balance FROM travel_requests ORDER BY id"
    )
    assert [tuple(r) for r in (await connection.execute(rows)).all()] == [
        ("PENDING_APPROVAL", "NOT_PAID", "MANAGER", None),
        ("APPROVED", "PAID_OUT", "DISPATCHER", None),
        ("APPROVED", "SETTLED", "DISPATCHER", Decimal("650.00")),
    ]
