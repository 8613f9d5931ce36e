"""Alembic environment: async engine, every SQLModel table, PostGIS-aware autogenerate."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table)
from app.core.config import get_settings

config = context.config
target_metadata = SQLModel.metadata

# Tables that belong to PostGIS and its optional extensions, never to this project.
POSTGIS_TABLES = {"spatial_ref_sys", "topology", "layer", "geocode_settings", "pagc_gaz"}


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    unknown = name in POSTGIS_TABLES or name not in target_metadata.tables
    if type_ == "table" and reflected and compare_to is None and unknown:
        return False
    return bool(alembic_helpers.include_object(obj, name, type_, reflected, compare_to))


def database_url() -> str:
    return str(config.attributes.get("database_url") or get_settings().database_url)


def configure(connection: Connection | None = None, url: str | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        include_object=include_object,
        include_schemas=False,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
        user_module_prefix="sqlmodel.sql.sqltypes.",
    )


def run_offline() -> None:
    configure(url=database_url())
    with context.begin_transaction():
        context.run_migrations()


def run_sync(connection: Connection) -> None:
    configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_sync(connection)
        return
    engine = create_async_engine(database_url())
    async with engine.connect() as conn:
        await conn.run_sync(run_sync)
        await conn.commit()
    await engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())
