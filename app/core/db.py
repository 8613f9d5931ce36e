"""Engine, sessions and the unit of work.

Services take a session and never commit; the request (or the job) owns the transaction
through `unit_of_work`, which commits and then publishes the events the work queued.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core.config import Settings
from app.core.events import Broker, take_pending

SessionFactory = async_sessionmaker[AsyncSession]


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
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


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
