"""Bulk-writes the demo city: Core executemany inserts in chunks, in the caller's transaction.

Rows carry their own ids (see `generator`), so the writer loads only into empty tables and moves
each table's id sequence past the largest id at the end. The work (`workday`) is generated once
the customers are in: it reads the stored intake rules and the customers the writer registered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

import app.models  # noqa: F401  (every table on SQLModel.metadata)
from app.demo import workday
from app.demo.generator import DEMO_DOMAIN, DemoCity, Row, seeded_on
from app.tracking.repository import ensure_partitions

TABLES = (
    "partners",
    "territories",
    "territory_holidays",
    "skills",
    "product_models",
    "technicians",
    "technician_skills",
    "territory_memberships",
    "working_hours",
    "time_off",
    "parts",
    "price_lists",
    "labour_rates",
    "tax_rates",
    "customers",
    "sites",
    "assets",
    "contracts",
    "contract_coverages",
    "users",
    *workday.TABLES,
)
"""Every table the demo city writes, parents first."""

CHUNK = 2_000
LOCK_KEY = 7_203_114_525
"""The advisory lock that keeps two seeders from writing at once."""

Progress = Callable[[str, int], None]


def table(name: str) -> sa.Table:
    return SQLModel.metadata.tables[name]


async def lock(session: AsyncSession) -> None:
    """Serialise seeders until the transaction ends."""
    await session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


async def occupied_tables(session: AsyncSession) -> list[str]:
    """The demo tables that already hold rows."""
    checks = [
        sa.select(sa.literal(name)).where(
            sa.exists(sa.select(sa.literal(1)).select_from(table(name)))
        )
        for name in TABLES
    ]
    result = await session.execute(sa.union_all(*checks))
    return [name for (name,) in result]


async def insert_rows(session: AsyncSession, name: str, rows: Iterable[Row]) -> int:
    """Insert rows (all with the same keys) in chunks; the number written."""
    statement = sa.insert(table(name))
    written = 0
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            await session.execute(statement, chunk)
            written += len(chunk)
            chunk = []
    if chunk:
        await session.execute(statement, chunk)
        written += len(chunk)
    return written


async def write_city(
    session: AsyncSession,
    city: DemoCity,
    progress: Progress | None = None,
    history_days: int = workday.HISTORY_DAYS,
) -> tuple[dict[str, int], workday.Workload]:
    """Write every row of the city and its work into empty tables; the row count per table,
    and the work written."""
    counts = dict.fromkeys(TABLES, 0)

    async def put(name: str, rows: list[Row]) -> None:
        counts[name] += await insert_rows(session, name, rows)
        if progress is not None:
            progress(name, counts[name])

    for name, rows in city.organisation():
        await put(name, rows)
    register = workday.Register()
    for batch in city.customers():
        for name, rows in batch.tables():
            await put(name, rows)
        register.add(batch)
    await put("users", city.users)
    await set_demo_policies(session)
    rules = await workday.load_rules(session)
    work = workday.generate_work(city, register, rules, city.now, history_days)
    await ensure_partitions(session, work.ping_days)
    for name, rows in work.tables():
        await put(name, rows)
    await place_technicians(session, work.positions)
    await advance_sequences(session)
    return counts, work


DEMO_POLICIES = {"offer_response_minutes": 180}
"""The demo organisation gives its technicians three hours to answer an offer, so the offers
standing at seeding expire over the afternoon rather than all within half an hour."""


async def set_demo_policies(session: AsyncSession) -> None:
    policies = table("work_policies")
    for key, value in DEMO_POLICIES.items():
        await session.execute(
            sa.update(policies).where(policies.c.key == key).values(value=sa.func.to_jsonb(value))
        )


async def place_technicians(session: AsyncSession, positions: list[Row]) -> None:
    """Each technician's last known position and when it was reported."""
    if not positions:
        return
    technicians = table("technicians")
    statement = (
        sa.update(technicians)
        .where(technicians.c.id == sa.bindparam("technician_id"))
        .values(
            last_location=sa.bindparam("position", type_=technicians.c.last_location.type),
            last_seen_at=sa.bindparam("seen_at"),
        )
    )
    rows = [
        {
            "technician_id": p["technician_id"],
            "position": p["last_location"],
            "seen_at": p["last_seen_at"],
        }
        for p in positions
    ]
    await session.execute(statement, rows)


async def advance_sequences(session: AsyncSession) -> None:
    """Move each id sequence past the ids the rows brought, so later inserts do not collide."""
    for name in TABLES:
        if "id" not in table(name).c:
            continue
        await session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"coalesce((SELECT max(id) FROM {name}), 0) + 1, false)"
            )
        )


async def seeded_day(session: AsyncSession) -> date | None:
    """The day the stored demo city stands on, None when it holds no demo users."""
    users = table("users")
    founded = await session.scalar(
        sa.select(sa.func.min(users.c.created_at)).where(users.c.email.like(f"%@{DEMO_DOMAIN}"))
    )
    return None if founded is None else seeded_on(founded)


async def demo_logins(session: AsyncSession) -> list[tuple[str, str, str]]:
    """(role, email, name) of the stored demo users, for the printed table."""
    users = table("users")
    result = await session.execute(
        sa.select(users.c.role, users.c.email, users.c.name)
        .where(users.c.email.like(f"%@{DEMO_DOMAIN}"))
        .order_by(users.c.id)
    )
    return [(str(role), email, name) for role, email, name in result]
