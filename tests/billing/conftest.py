"""A second database whose transactions really commit, for the numbering concurrency test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from app.core import bootstrap
from app.core.config import Settings
from app.core.db import SessionFactory
from tests.conftest import _recreate_database


@pytest.fixture(scope="session")
def committed_database(settings: Settings) -> Iterator[str]:
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
    return async_sessionmaker(committed_engine, expire_on_commit=False, autoflush=False)
