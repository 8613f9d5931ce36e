"""Tests run against a real PostgreSQL with PostGIS, built once per run by `alembic upgrade head`.

Each test runs inside one outer transaction that is rolled back at the end; the app's sessions
join it through savepoints, so a test sees its own writes and leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from strawberry.extensions import validation_cache

from app.core import bootstrap
from app.core.config import Environment, Settings
from app.core.db import SerializedSession, SessionFactory
from app.core.events import Broker
from app.main import create_app
from tests.support import GraphQLClient, StatementCounter

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/fieldgraph_test"
)


async def _recreate_database(url: str) -> None:
    name = make_url(url).database
    admin = await asyncpg.connect(bootstrap._plain_dsn(url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
    await bootstrap.prepare_database(url)


@pytest.fixture(autouse=True)
def _forget_validated_documents() -> Iterator[None]:
    """After each test, drop strawberry's validation cache: it is module-wide and keyed by the
    schema, so in a suite that builds an app (a schema of ~30k objects) per test it kept up to
    1,024 dead schemas alive, ~2 GB that pytest's closing collections and the interpreter's
    shutdown then walked for over a minute after the last test."""
    yield
    validation_cache._get_validate_cache.cache_clear()


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(
        env=Environment.TEST,
        database_url=TEST_DATABASE_URL,
        redis_url=None,
        log_level="WARNING",
        jwt_secret="test-only-secret-for-the-fieldgraph-suite",
        run_jobs=False,
    )


@pytest.fixture(scope="session")
def migrated_database(settings: Settings) -> Iterator[str]:
    asyncio.run(_recreate_database(settings.database_url))
    bootstrap.upgrade(settings.database_url)
    yield settings.database_url


@pytest.fixture(scope="session")
async def engine(migrated_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(migrated_database, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        if transaction.is_active:
            await transaction.rollback()


@pytest.fixture
def sessions(connection: AsyncConnection) -> SessionFactory:
    return async_sessionmaker(
        bind=connection,
        class_=SerializedSession,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )


@pytest.fixture
async def session(sessions: SessionFactory) -> AsyncIterator[object]:
    async with sessions() as session:
        yield session


@pytest.fixture
async def broker() -> AsyncIterator[Broker]:
    broker = Broker(None)
    await broker.connect()
    yield broker
    await broker.disconnect()


@pytest.fixture
async def gql(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> AsyncIterator[GraphQLClient]:
    app = create_app(settings, sessions=sessions, broker=broker)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        yield GraphQLClient(http, settings)


@pytest.fixture(scope="session")
def committed_database(settings: Settings) -> Iterator[str]:
    """A second database, recreated per run, for tests whose transactions really commit
    (races between real connections, several processes). Tests there use unique rows."""
    url = make_url(settings.database_url)
    committed = url.set(database=f"{url.database}_committed").render_as_string(hide_password=False)
    asyncio.run(_recreate_database(committed))
    bootstrap.upgrade(committed)
    yield committed


@pytest.fixture(scope="session")
async def committed_engine(committed_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(committed_database, pool_size=12, max_overflow=0)
    yield engine
    await engine.dispose()


@pytest.fixture
def committed_sessions(committed_engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(
        committed_engine, class_=SerializedSession, expire_on_commit=False, autoflush=False
    )


@pytest.fixture
def statements(connection: AsyncConnection) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(connection.sync_connection, "before_cursor_execute", counter.count)
    yield counter
    event.remove(connection.sync_connection, "before_cursor_execute", counter.count)
