"""Engine, sessions and the unit of work.

Services take a session and never commit; the request (or the job) owns the transaction
through `unit_of_work`, which commits and then publishes the events the work queued.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core.config import Settings
from app.core.events import Broker, take_pending

SessionFactory = async_sessionmaker[AsyncSession]
T = TypeVar("T")


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

    async def _serialized(self, call: Coroutine[Any, Any, T]) -> T:
        """Runs one database call at a time. A call under way finishes even when its caller
        is cancelled (graphql-core cancels the siblings of a field whose error nulls their
        parent): cut off mid-statement, the connection would be lost, and the operation's
        rollback and any later statement on the session would fail with it."""
        running: asyncio.Future[T] | None = None
        try:
            async with self._lock:
                running = asyncio.ensure_future(call)
                try:
                    return await asyncio.shield(running)
                except asyncio.CancelledError:
                    await asyncio.wait([running])
                    if not running.cancelled():
                        running.exception()  # retrieved: the caller is gone
                    raise
        finally:
            if running is None:
                call.close()  # cancelled while waiting for its turn: it never ran

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return await self._serialized(super().execute(*args, **kwargs))

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        return await self._serialized(super().scalar(*args, **kwargs))

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        return await self._serialized(super().get(*args, **kwargs))

    async def flush(self, *args: Any, **kwargs: Any) -> None:
        await self._serialized(super().flush(*args, **kwargs))

    async def refresh(self, *args: Any, **kwargs: Any) -> None:
        await self._serialized(super().refresh(*args, **kwargs))

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        await self._serialized(super().delete(*args, **kwargs))

    # The end of the transaction waits for a call still under way: a DataLoader's batch runs
    # in a task of its own, which outlives a cancelled field that was waiting for it.

    async def commit(self) -> None:
        await self._serialized(super().commit())

    async def rollback(self) -> None:
        await self._serialized(super().rollback())

    async def close(self) -> None:
        await self._serialized(super().close())


async def core_rows(session: AsyncSession, statement: Any) -> list[Any]:
    """The rows of a column select, run on the session's connection (its transaction, or
    its autocommit read connection) through Core: without the ORM's execution steps, which
    cost more than the query itself for a page of plain rows. One statement at a time on
    the session, as every other call."""

    async def run() -> list[Any]:
        connection = await AsyncSession.connection(session)
        return list((await connection.execute(statement)).all())

    if isinstance(session, SerializedSession):
        return await session._serialized(run())
    return await run()


def create_read_engine(settings: Settings) -> AsyncEngine:
    """The pool that query operations read from: autocommit, so a query's statements go
    without the BEGIN and ROLLBACK round trips around them (each statement of a READ
    COMMITTED transaction sees its own snapshot anyway, so nothing a query reads changes),
    and read-only, so a write slipped into a query fails loudly instead of committing."""
    engine = create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        isolation_level="AUTOCOMMIT",
        connect_args={
            "server_settings": {
                "application_name": "fieldgraph-read",
                "statement_timeout": str(settings.db_statement_timeout_ms),
                "default_transaction_read_only": "on",
            }
        },
    )
    ping_idle_connections(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 5.0
"""A pooled connection idle this long is pinged before use."""


def create_engine(settings: Settings) -> AsyncEngine:
    engine = create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        connect_args={
            "server_settings": {
                "application_name": "fieldgraph",
                "statement_timeout": str(settings.db_statement_timeout_ms),
            }
        },
    )
    ping_idle_connections(engine)
    return engine


def ping_idle_connections(
    engine: AsyncEngine, idle_seconds: float = PING_AFTER_IDLE_SECONDS
) -> None:
    """A connection that sat in the pool for `idle_seconds` or more is pinged when checked
    out, and replaced if the server dropped it (a restart, a failover, an idle timeout):
    what `pool_pre_ping` does, without its three round trips (BEGIN, ping, ROLLBACK) on
    every checkout of a busy pool, where they cost as much CPU as a small query."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError(f"a pooled connection was lost: {error}") from error


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
