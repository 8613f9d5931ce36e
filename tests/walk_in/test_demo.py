"""The demo city carries walk-in orders paid at the counter and on account, one with a visit."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.db import SessionFactory
from app.demo.command import seed_database

TODAY = date(2026, 11, 24)
ORDERS = """
SELECT o.settlement, i.status, o.payment_id IS NOT NULL, o.task_id IS NOT NULL
FROM walk_in_orders o JOIN invoices i ON i.id = o.invoice_id ORDER BY o.id
"""


async def test_the_demo_has_walk_in_orders_paid_and_on_account_with_a_visit(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    out = io.StringIO()
    assert await seed_database(sessions, today=TODAY, customers=150, technicians=20, out=out) == 0
    assert "walk_in_orders" in out.getvalue()

    rows = (await connection.execute(sa.text(ORDERS))).all()
    paid = [r for r in rows if r[0] == "PAY_NOW"]
    on_account = [r for r in rows if r[0] == "ON_ACCOUNT"]
    assert paid and all(status == "PAID" and has_payment for _, status, has_payment, _ in paid)
    assert on_account and all(status == "ISSUED" and not p for _, status, p, _ in on_account)
    assert sum(1 for *_, visit in rows if visit) == 1
    visit = sa.text("SELECT t.status FROM tasks t JOIN walk_in_orders o ON o.task_id = t.id")
    assert await connection.scalar(visit) == "UNSCHEDULED"
    sold = sa.text(
        "SELECT count(*) FROM stock_movements m JOIN walk_in_orders o ON m.reference = o.number"
    )
    assert await connection.scalar(sold) >= len(rows)
