"""Domain events: queued inside a transaction, published only after it commits.

Services call `queue_event(session, ...)`; whoever owns the transaction calls
`publish_pending(session, broker)` after a successful commit. A rollback clears the queue,
so a refused mutation publishes nothing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from broadcaster import Broadcast
from sqlalchemy.ext.asyncio import AsyncSession

_PENDING = "pending_events"


@dataclass(frozen=True, slots=True)
class Event:
    channel: str
    kind: str
    data: dict[str, Any]
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def encode(self) -> str:
        return json.dumps(
            {"kind": self.kind, "at": self.at.isoformat(), "data": self.data}, default=str
        )


def queue_event(session: AsyncSession, channel: str, kind: str, data: dict[str, Any]) -> None:
    session.info.setdefault(_PENDING, []).append(Event(channel, kind, data))


def pending_events(session: AsyncSession) -> list[Event]:
    pending: list[Event] = session.info.setdefault(_PENDING, [])
    return pending


def discard_events_after(session: AsyncSession, mark: int) -> None:
    """Forget events queued since `mark` (a savepoint that was rolled back)."""
    del pending_events(session)[mark:]


def take_pending(session: AsyncSession) -> list[Event]:
    events = list(pending_events(session))
    pending_events(session).clear()
    return events


class Broker:
    """Fan-out of events to subscribers on every server instance (Redis), or in memory."""

    def __init__(self, url: str | None) -> None:
        self.url = url or "memory://"
        self._broadcast = Broadcast(self.url)
        self.connected = False

    async def connect(self) -> None:
        await self._broadcast.connect()
        self.connected = True

    async def disconnect(self) -> None:
        if self.connected:
            await self._broadcast.disconnect()
            self.connected = False

    async def publish(self, event: Event) -> None:
        await self._broadcast.publish(channel=event.channel, message=event.encode())

    async def publish_all(self, events: list[Event]) -> None:
        for event in events:
            await self.publish(event)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        async with self._broadcast.subscribe(channel=channel) as subscriber:

            async def decoded() -> AsyncIterator[dict[str, Any]]:
                async for message in subscriber:  # type: ignore[union-attr]
                    if message is not None:
                        yield json.loads(message.message)

            yield decoded()

    async def ping(self) -> bool:
        if not self.url.startswith(("redis://", "rediss://")):
            return self.connected
        import redis.asyncio as redis

        client = redis.from_url(self.url)
        try:
            return bool(await client.ping())
        finally:
            await client.aclose()
