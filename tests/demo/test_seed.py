"""Seeding into the test database, checked with SQL and PostGIS (rolled back after each test)."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.auth import verify_password
from app.core.db import SessionFactory
from app.demo import writer
from app.demo.command import seed_database

TODAY = date(2026, 11, 24)
SMALL = {"today": TODAY, "customers": 150, "technicians": 20}

SITES_PER_TERRITORY_COUNT = """
SELECT count(*) FILTER (WHERE n = 1), count(*) FROM (
  SELECT s.id, count(t.id) AS n FROM sites s
  LEFT JOIN territories t ON ST_Contains(t.area, s.point::geometry)
  GROUP BY s.id
) AS matches
"""
HOME_BASES_INSIDE = """
SELECT count(*) FROM technicians x
WHERE EXISTS (SELECT 1 FROM territories t WHERE ST_Contains(t.area, x.home_base::geometry))
"""
TERRITORY_OVERLAP = """
SELECT coalesce(sum(ST_Area(ST_Intersection(a.area, b.area))), 0)
FROM territories a JOIN territories b ON a.id < b.id
"""
USER_LINKS = """
SELECT u.role, u.password_hash, t.name, c.name, p.code FROM users u
LEFT JOIN technicians t ON t.id = u.technician_id
LEFT JOIN customers c ON c.id = u.customer_id
LEFT JOIN partners p ON p.id = u.partner_id
ORDER BY u.id
"""


async def scalar(connection: AsyncConnection, sql: str) -> object:
    return (await connection.execute(sa.text(sql))).scalar_one()


async def seed(sessions: SessionFactory, **options: object) -> tuple[int, str]:
    out = io.StringIO()
    code = await seed_database(sessions, out=out, **{**SMALL, **options})  # type: ignore[arg-type]
    return code, out.getvalue()


async def test_seeding_writes_the_city_and_postgis_agrees_with_the_geography(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    # when
    code, output = await seed(sessions)

    # then every row is there and every site lies in exactly one territory polygon
    assert code == 0
    assert "customers" in output and "dispatcher@demo.fieldgraph.dev" in output
    assert await scalar(connection, "SELECT count(*) FROM customers") == 150
    assert await scalar(connection, "SELECT count(*) FROM technicians") == 20
    assert (
        await scalar(connection, "SELECT count(*) FROM technicians WHERE partner_id IS NOT NULL")
        == 4
    )
    inside, total = (await connection.execute(sa.text(SITES_PER_TERRITORY_COUNT))).one()
    assert total >= 150 and inside == total
    assert await scalar(connection, HOME_BASES_INSIDE) == 20
    assert await scalar(connection, TERRITORY_OVERLAP) == 0
    assert await scalar(connection, "SELECT bool_and(ST_IsValid(area)) FROM territories") is True


async def test_every_role_can_log_in_with_the_documented_password(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    await seed(sessions)

    rows = (await connection.execute(sa.text(USER_LINKS))).all()

    assert [row[0] for row in rows] == [
        "ADMIN", "DISPATCHER", "AGENT", "MANAGER", "TECHNICIAN", "CUSTOMER", "PARTNER",
    ]  # fmt: skip
    assert all(verify_password(row[1], "fieldgraph") for row in rows)
    assert len({row[1] for row in rows}) == 1, "one hash, computed once"
    links = {row[0]: row[2:] for row in rows}
    assert links["TECHNICIAN"][0] is not None
    assert links["CUSTOMER"][1] is not None
    assert links["PARTNER"][2] == "COOLBREEZE"
    assert links["ADMIN"] == (None, None, None)


async def test_sequences_continue_after_the_seeded_ids(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    await seed(sessions)

    new_id = await scalar(
        connection,
        "INSERT INTO partners (name, code, created_at, updated_at, version) "
        "VALUES ('New partner', 'NEWCO', now(), now(), 1) RETURNING id",
    )

    assert new_id == 4


async def test_a_second_seed_is_refused_and_if_empty_skips_it(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    # given a seeded database
    await seed(sessions)

    # when seeding again, plainly and with --if-empty
    refused, refusal = await seed(sessions)
    skipped, skip = await seed(sessions, if_empty=True)

    # then nothing more is written
    assert refused == 1
    assert "refusing to seed" in refusal and "drop the database" in refusal
    assert skipped == 0
    assert "nothing seeded" in skip and "customer@demo.fieldgraph.dev" in skip
    assert await scalar(connection, "SELECT count(*) FROM customers") == 150


async def test_any_existing_row_blocks_the_seed(
    sessions: SessionFactory, connection: AsyncConnection
) -> None:
    # given a database where someone created one skill
    await connection.execute(
        sa.text(
            "INSERT INTO skills (code, name, created_at, updated_at, version) "
            "VALUES ('welding', 'Welding', now(), now(), 1)"
        )
    )

    code, output = await seed(sessions)

    assert code == 1
    assert "(skills)" in output
    assert await scalar(connection, "SELECT count(*) FROM customers") == 0


async def test_a_failure_leaves_nothing_written(
    sessions: SessionFactory, connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a writer that fails after every row is in
    async def fail(session: object) -> None:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(writer, "advance_sequences", fail)

    # when seeding
    with pytest.raises(RuntimeError, match="connection lost"):
        await seed(sessions)

    # then the transaction took everything back
    assert await scalar(connection, "SELECT count(*) FROM customers") == 0
    assert await scalar(connection, "SELECT count(*) FROM territories") == 0
