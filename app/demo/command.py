"""`fieldgraph seed`: load the demo city, and its work as it stands now, into an empty database,
in one transaction."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import TextIO

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import hash_password
from app.core.config import Settings
from app.core.db import SessionFactory, create_engine, create_session_factory
from app.demo import (
    attendance,
    billing,
    contract_billing,
    conversations,
    crews,
    depot_repair,
    dispatch_board,
    dispatch_parts,
    durations,
    inspections,
    knowledge_base,
    remote_service,
    renewals,
    replacements,
    service_plans,
    travel_requests,
    walk_in,
    workday,
    writer,
)
from app.demo.generator import DEMO_PASSWORD, LOCAL, generate
from app.kpis.hooks import defer_to_recompute
from app.kpis.service import reconcile


def seed_command(
    settings: Settings, scale: int, if_empty: bool, history_days: int = workday.HISTORY_DAYS
) -> int:
    """Seed the database in `settings`; the process exit code."""
    if scale < 1:
        print("--scale must be 1 or more", file=sys.stderr)
        return 2
    if not 1 <= history_days <= workday.MAX_HISTORY_DAYS:
        print(f"--history-days must be 1 to {workday.MAX_HISTORY_DAYS}", file=sys.stderr)
        return 2
    return asyncio.run(_seed(settings, scale, if_empty, history_days))


async def _seed(settings: Settings, scale: int, if_empty: bool, history_days: int) -> int:
    engine = create_engine(settings)
    try:
        return await seed_database(
            create_session_factory(engine),
            scale=scale,
            if_empty=if_empty,
            history_days=history_days,
        )
    finally:
        await engine.dispose()


async def seed_database(
    sessions: SessionFactory,
    *,
    scale: int = 1,
    if_empty: bool = False,
    today: date | None = None,
    now: datetime | None = None,
    customers: int | None = None,
    technicians: int | None = None,
    out: TextIO | None = None,
    history_days: int = workday.HISTORY_DAYS,
) -> int:
    """Write the demo city unless the tables hold data; 0 when seeded or skipped, 1 if refused.

    `today` is the reference date of every generated date and `now` the moment the work's
    states stand at (default: the current time; with only `today`, 11:00 that day).
    """
    if today is None:
        now = now or datetime.now(UTC)
        today = now.astimezone(LOCAL).date()
    out = out or sys.stdout
    errors = sys.stderr if out is sys.stdout else out
    started = time.perf_counter()
    async with sessions() as session, session.begin():
        # one-off bulk statements (a year of history rolled up) outlast a request's limit
        await session.execute(sa.text("SET LOCAL statement_timeout = 0"))
        defer_to_recompute(session.sync_session)  # the backfill below rolls up every day
        await writer.lock(session)
        occupied = await writer.occupied_tables(session)
        if occupied:
            if not if_empty:
                print(
                    f"refusing to seed: the database already has data ({', '.join(occupied)}).\n"
                    "The demo city loads only into an empty database: drop the database, run "
                    "`fieldgraph migrate`, then `fieldgraph seed` again.",
                    file=errors,
                )
                return 1
            print(
                f"the database already has data ({', '.join(occupied)}); nothing seeded", file=out
            )
            _print_demo_day(await writer.seeded_day(session), today, out)
            _print_logins(await writer.demo_logins(session), out)
            return 0
        city = generate(
            scale,
            today=today,
            now=now,
            password_hash=hash_password(DEMO_PASSWORD),
            customers=customers,
            technicians=technicians,
        )
        counts, work = await writer.write_city(session, city, history_days=history_days)
        books = await billing.issue_and_collect(session, city.now)
        offers = await renewals.run_pipeline(session, city.now)
        contract_invoices = await contract_billing.bill_contracts(session, city.now)
        planned = await service_plans.seed_plans(session, city.now)
        counts |= await inspections.seed_inspections(session, city.now)
        counts |= await walk_in.seed_orders(session, city.now)
        counts |= await depot_repair.seed_depot_repair(session, city.now)
        counts |= await replacements.seed_replacements(session, city.now)
        counts |= await dispatch_board.seed_dispatch_board(session, city.now)
        counts |= await remote_service.seed_remote_service(session, city.now)
        counts |= await travel_requests.seed_travel_requests(session, city.now)
        counts |= await knowledge_base.seed_knowledge_base(session, city.now)
        counts |= await crews.seed_crews(session, city.now)
        counts |= await dispatch_parts.seed_dispatch_parts(session, city.now)
        counts |= await attendance.seed_attendance(session, city.now)
        counts |= await conversations.seed_conversations(session, city.now)
        model = await durations.train_model(session, city.now)
        counts["kpi_daily"] = await _backfill_kpis(session, today)
        tasks_by_state = workday.summary(work)
        logins = [(role, email, name) for role, email, name in city.logins]
    elapsed = time.perf_counter() - started
    moment = city.now.astimezone(LOCAL)
    print(
        f"seeded the demo city (Bengaluru, scale {scale}, as it stands on {moment:%Y-%m-%d} "
        f"at {moment:%H:%M}) in {elapsed:.1f} s:",
        file=out,
    )
    for name, count in counts.items():
        print(f"  {name:<24}{count:>10,}", file=out)
    print("\ntasks by state", file=out)
    for label, count in tasks_by_state:
        print(f"  {label:<24}{count:>10,}", file=out)
    print(
        f"\ninvoices: {books.issued:,} issued ({books.paid:,} paid, {books.partly_paid:,} in "
        f"part), {books.drafts:,} drafts waiting to be issued; {contract_invoices:,} contract "
        "invoices",
        file=out,
    )
    print(f"contract offers by stage: {dict(sorted(offers.items()))}", file=out)
    if model is not None and model.holdout_mae is not None:
        print(
            f"duration model v{model.version}: trained on {model.samples:,} completed tasks; "
            f"held-out error {model.holdout_mae:.0f} min against {model.static_mae or 0:.0f} "
            "min for the static durations",
            file=out,
        )
    print(
        f"service plans: {planned['plans']:,} on the contracts, {planned['visits']:,} planned "
        "visits over the horizon",
        file=out,
    )
    _print_logins(logins, out)
    return 0


async def _backfill_kpis(session: AsyncSession, today: date) -> int:
    """Roll the seeded history up into the KPI tables (the same recompute as the hourly
    reconciliation), so the dashboards open on a year of figures; the rows written."""
    await reconcile(session, today - timedelta(days=KPI_HISTORY_DAYS), today + timedelta(days=2))
    return int(await session.scalar(sa.text("SELECT count(*) FROM kpi_daily")) or 0)


KPI_HISTORY_DAYS = 400


def _print_demo_day(seeded: date | None, today: date, out: TextIO) -> None:
    if seeded is None or seeded >= today:
        return
    days = (today - seeded).days
    print(
        f"the demo city stands as seeded on {seeded:%Y-%m-%d} ({days} day{'s' if days > 1 else ''}"
        " ago): its routes, offers and bookings are that day's. `make demo-reset` drops the "
        "database and seeds the city anew as of now.",
        file=out,
    )


def _print_logins(logins: list[tuple[str, str, str]], out: TextIO) -> None:
    if not logins:
        return
    print(f"\ndemo logins (password for every one: {DEMO_PASSWORD})", file=out)
    width = max(len(email) for _, email, _ in logins)
    print(f"  {'ROLE':<12}{'EMAIL':<{width + 2}}STANDS FOR", file=out)
    for role, email, who in logins:
        print(f"  {role:<12}{email:<{width + 2}}{who}", file=out)
