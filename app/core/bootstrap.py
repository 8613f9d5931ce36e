"""Bring a database to the current schema: create it if absent, enable PostGIS, migrate."""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The source checkout when running from one; site-packages when installed from the wheel."""


class MigrationsNotFound(RuntimeError):
    pass


def migrations_dir() -> Path:
    """`MIGRATIONS_DIR` when set; else `migrations/` of the source checkout, else of the
    working directory (the container image copies it beside its working directory)."""
    configured = os.environ.get("MIGRATIONS_DIR")
    candidates = (
        [Path(configured)] if configured else [REPO_ROOT / "migrations", Path("migrations")]
    )
    for candidate in candidates:
        if (candidate / "env.py").is_file():
            return candidate.resolve()
    looked = ", ".join(str(c.resolve()) for c in candidates)
    raise MigrationsNotFound(
        f"no Alembic migrations found (looked in {looked}): run from the directory that holds "
        "`migrations/`, or set MIGRATIONS_DIR to it"
    )


def _plain_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def ensure_database(url: str) -> bool:
    """Create the database named in `url` when it does not exist; True if it was created."""
    name = make_url(url).database
    admin = await asyncpg.connect(_plain_dsn(url, "postgres"))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{name}"')
        return not exists
    finally:
        await admin.close()


async def ensure_postgis(url: str) -> None:
    conn = await asyncpg.connect(_plain_dsn(url))
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    finally:
        await conn.close()


def alembic_config(url: str) -> Config:
    directory = migrations_dir()
    ini = directory.parent / "alembic.ini"
    config = Config(str(ini) if ini.is_file() else None)
    config.set_main_option("script_location", str(directory))
    config.attributes["database_url"] = url
    return config


def upgrade(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


async def prepare_database(url: str) -> None:
    await ensure_database(url)
    await ensure_postgis(url)
