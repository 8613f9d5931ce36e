"""Engine, sessions and the unit of work.

Services take a session and never commit; the request (or the job) owns the transaction
through `unit_of_work`, which commits and then publishes the events the work queued.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core.config import Settings
from app.core.events import Broker, take_pending

SessionFactory = async_sessionmaker[AsyncSession]


class SerializedSession(AsyncSession):
    """An AsyncSession that runs one statement at a time.

    GraphQL resolves sibling fields concurrently, and they share the operation's session; an
    AsyncSession refuses concurrent use, so each database call waits for the previous one.
    DataLoaders still batch sibling lookups into one query. (`scalars` goes through `execute`,
    so it is not wrapped again: the lock is not re-entrant.)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = asyncio.Lock()

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        async with self._lock:
            return await super().execute(*args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        async with self._lock:
            return await super().scalar(*args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        async with self._lock:
            return await super().get(*args, **kwargs)

    async def flush(self, *args: Any, **kwargs: Any) -> None:
        async with self._lock:
            await super().flush(*args, **kwargs)

    async def refresh(self, *args: Any, **kwargs: Any) -> None:
        async with self._lock:
            await super().refresh(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        async with self._lock:
            await super().delete(*args, **kwargs)


def create_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
        connect_args={
            "server_settings": {
                "application_name": "fieldgraph",
                "statement_timeout": str(settings.db_statement_timeout_ms),
            }
        },
    )


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(
        engine, class_=SerializedSession, expire_on_commit=False, autoflush=False
    )


@asynccontextmanager
async def unit_of_work(
    sessions: SessionFactory, broker: Broker | None
) -> AsyncIterator[AsyncSession]:
    """One transaction: commit on success, roll back on error, publish events after commit."""
    async with sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            take_pending(session)
            raise
        events = take_pending(session)
    if broker is not None and events:
        await broker.publish_all(events)
