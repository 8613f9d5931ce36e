"""The demo city's depots: two service centres with repair orders in every state."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.db import SessionFactory
from app.demo.command import seed_database
from app.depot_repair.models import RepairStatus

BY_DEPOT = """
SELECT l.code, o.status, count(*) FROM repair_orders o
JOIN depots d ON d.id = o.depot_id JOIN stock_locations l ON l.id = d.stock_location_id
GROUP BY l.code, o.status
"""


async def test_the_demo_has_two_depots_with_orders_in_every_state(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    out = io.StringIO()
    seeded = await seed_database(
        sessions, out=out, today=date(2026, 11, 24), customers=150, technicians=20
    )
    assert seeded == 0 and "repair orders" in out.getvalue()
    rows = (await connection.execute(sa.text(BY_DEPOT))).all()
    states: dict[str, set[str]] = {}
    for code, status, _ in rows:
        states.setdefault(code, set()).add(status)
    assert set(states) == {"DEPOT-IND", "DEPOT-JAY"}
    for found in states.values():
        assert found == {s.value for s in RepairStatus}
    # the month behind them: QC failures, parts fitted, a storage fee, bench technicians
    counts = await connection.execute(
        sa.text(
            "SELECT (SELECT count(*) FROM repair_order_events WHERE action = 'FAIL_QC'),"
            " (SELECT count(*) FROM repair_part_uses),"
            " (SELECT count(*) FROM repair_orders WHERE storage_invoice_id IS NOT NULL),"
            " (SELECT count(*) FROM depot_technicians)"
        )
    )
    fails, parts, storage, bench = counts.one()
    assert fails > 0 and parts > 0 and storage == 2 and bench == 6
