"""`fieldgraph seed`: load the demo city into an empty database, in one transaction."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import date, datetime
from typing import TextIO

from app.core.auth import hash_password
from app.core.config import Settings
from app.core.db import SessionFactory, create_engine, create_session_factory
from app.demo import writer
from app.demo.generator import DEMO_PASSWORD, LOCAL, generate


def seed_command(settings: Settings, scale: int, if_empty: bool) -> int:
    """Seed the database in `settings`; the process exit code."""
    if scale < 1:
        print("--scale must be 1 or more", file=sys.stderr)
        return 2
    return asyncio.run(_seed(settings, scale, if_empty))


async def _seed(settings: Settings, scale: int, if_empty: bool) -> int:
    engine = create_engine(settings)
    try:
        return await seed_database(create_session_factory(engine), scale=scale, if_empty=if_empty)
    finally:
        await engine.dispose()


async def seed_database(
    sessions: SessionFactory,
    *,
    scale: int = 1,
    if_empty: bool = False,
    today: date | None = None,
    customers: int | None = None,
    technicians: int | None = None,
    out: TextIO | None = None,
) -> int:
    """Write the demo city unless the tables hold data; 0 when seeded or skipped, 1 if refused.

    `today` is the reference date of every generated date (default: today in Bengaluru).
    """
    out = out or sys.stdout
    errors = sys.stderr if out is sys.stdout else out
    started = time.perf_counter()
    async with sessions() as session, session.begin():
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
            _print_logins(await writer.demo_logins(session), out)
            return 0
        city = generate(
            scale,
            today=today or datetime.now(LOCAL).date(),
            password_hash=hash_password(DEMO_PASSWORD),
            customers=customers,
            technicians=technicians,
        )
        counts = await writer.write_city(session, city)
        logins = [(role, email, name) for role, email, name in city.logins]
    elapsed = time.perf_counter() - started
    print(
        f"seeded the demo city (Bengaluru, scale {scale}, dates relative to {city.today}) "
        f"in {elapsed:.1f} s:",
        file=out,
    )
    for name, count in counts.items():
        print(f"  {name:<24}{count:>10,}", file=out)
    _print_logins(logins, out)
    return 0


def _print_logins(logins: list[tuple[str, str, str]], out: TextIO) -> None:
    if not logins:
        return
    print(f"\ndemo logins (password for every one: {DEMO_PASSWORD})", file=out)
    width = max(len(email) for _, email, _ in logins)
    print(f"  {'ROLE':<12}{'EMAIL':<{width + 2}}STANDS FOR", file=out)
    for role, email, who in logins:
        print(f"  {role:<12}{email:<{width + 2}}{who}", file=out)
