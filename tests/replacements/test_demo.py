"""The demo city carries warranty replacements in every state at two depots."""

from __future__ import annotations

import io
from datetime import date, time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.db import SessionFactory
from app.demo.command import seed_database
from app.demo.generator import local_time
from app.inventory.ledger import drift
from app.replacements import repository
from app.replacements.models import ReplacementStatus

TODAY = date(2026, 11, 24)
NOW = local_time(TODAY, time(11))


async def test_the_demo_has_replacements_in_every_state_and_a_report_per_depot(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    out = io.StringIO()
    assert await seed_database(sessions, today=TODAY, customers=150, technicians=20, out=out) == 0
    assert "replacement_requests" in out.getvalue()

    by_status = sa.text("SELECT status, count(*) FROM replacement_requests GROUP BY 1")
    statuses = dict((await connection.execute(by_status)).all())
    assert set(statuses) == {s.value for s in ReplacementStatus}, statuses
    # every approval retired its old serial and registered the new one
    approved = sa.text(
        "SELECT count(*) FROM replacement_requests r JOIN assets old ON old.id = r.asset_id "
        "JOIN assets new ON new.id = r.new_asset_id "
        "WHERE r.status = 'APPROVED' AND old.archived_at IS NOT NULL AND new.archived_at IS NULL"
    )
    assert await connection.scalar(approved) == statuses["APPROVED"]
    async with sessions() as session:
        assert await drift(session) == []
        rows = await repository.report(session, date(2026, 8, 1), TODAY, repository.Period.MONTH)
    assert len({row.stock_location_id for row in rows}) == 2
    assert sum(row.approved for row in rows) == statuses["APPROVED"]
    # and the depot benches raised their own: one issued, one waiting
    from_bench = sa.text(
        "SELECT status, count(*) FROM replacement_requests WHERE source = 'REPAIR_ORDER' "
        "AND repair_order_id IS NOT NULL GROUP BY 1"
    )
    assert dict((await connection.execute(from_bench)).all()) == {
        "APPROVED": 1,
        "PENDING_APPROVAL": 1,
    }
