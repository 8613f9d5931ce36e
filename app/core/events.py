"""Domain events: queued inside a transaction, published only after it commits.

Services call `queue_event(session, ...)`; whoever owns the transaction publishes
`take_pending(session)` through the `Broker` after a successful commit. A rollback clears the
queue, so a refused mutation publishes nothing.

The `Broker` fans events out to every server instance through broadcaster, over Redis (a
backend that reconnects and resubscribes by itself) or in memory. Locally, one hub shares
each channel among all subscribers and feeds each through a bounded queue: a slow subscriber
drops its oldest messages (or keeps only the latest per key, for location streams) and never
stalls the others.

Over Redis, every event but a superseded one (a position: the next one replaces it) is also
kept in a short replay stream, so an instance that was briefly unsubscribed (Redis restarted,
its connection dropped) delivers what it missed once it is back, in order, before anything
newer; an event published while Redis is down is sent again once it answers.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Hashable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from broadcaster import Broadcast
from sqlalchemy.ext.asyncio import AsyncSession

from app.realtime.backends import BoundedMemoryBackend, ResilientRedisBackend
from app.realtime.hub import Delivery, Hub
from app.realtime.queues import QueueClosed

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


def queue_event(
    session: AsyncSession, channel: str | Sequence[str], kind: str, data: dict[str, Any]
) -> None:
    """Queue one event for every channel it goes to; listeners see it once, with its first
    channel (list the most specific channel first)."""
    channels = [channel] if isinstance(channel, str) else list(channel)
    events = [Event(name, kind, data) for name in channels]
    session.info.setdefault(_PENDING, []).extend(events)
    for wanted, listener in listeners():
        if wanted is None or wanted == kind:
            listener(session, events[0])


Listener = Callable[[AsyncSession, Event], None]
"""Runs inside the transaction that queued the event; it may only `session.add(...)` rows
(an outbox entry, say), so whatever it records commits or rolls back with the change."""

_listeners: list[tuple[str | None, Listener]] | None = None


def listeners() -> list[tuple[str | None, Listener]]:
    """Every `LISTENERS` list of `app/<domain>/listeners.py`: (event kind or None, listener)."""
    global _listeners
    if _listeners is None:
        from app.core.discovery import domain_modules

        _listeners = [entry for module in domain_modules("listeners") for entry in module.LISTENERS]
    return _listeners


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


Backend = BoundedMemoryBackend | ResilientRedisBackend

SUPERSEDED_KINDS = frozenset({"TECHNICIAN_LOCATION", "TASK_TRACKING"})
"""Event kinds the next one of the same stream replaces (positions, ETAs): published on the
fast path only, never replayed nor kept to send again. Every other kind is durable."""

DEFAULT_QUEUE_SIZE = 256
"""Messages a subscriber may fall behind before its oldest are dropped."""


def _backend_for(url: str) -> Backend:
    if url.startswith(("redis://", "rediss://")):
        return ResilientRedisBackend(url)
    if url.startswith("memory://"):
        return BoundedMemoryBackend(url)
    raise ValueError(f"unsupported broker url scheme: {url.split(':', 1)[0]}")


class Broker:
    """Fan-out of events to subscribers on every server instance (Redis), or in memory."""

    def __init__(
        self,
        url: str | None,
        *,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        backend: Backend | None = None,
    ) -> None:
        self.url = url or "memory://"
        self.queue_size = queue_size
        self.backend = backend or _backend_for(self.url)
        self._broadcast = Broadcast(backend=self.backend)
        self._hub = Hub(self._broadcast)
        self.connected = False

    async def connect(self) -> None:
        await self._broadcast.connect()
        self.connected = True

    async def disconnect(self) -> None:
        if self.connected:
            await self._hub.close()
            await self._broadcast.disconnect()
            self.connected = False

    async def publish(self, event: Event) -> None:
        await self.publish_all([event])

    async def publish_all(self, events: list[Event]) -> None:
        """One round trip for the whole batch; best effort once the transaction committed."""
        await self.backend.publish_many(
            [(event.channel, event.encode()) for event in events],
            [event.kind not in SUPERSEDED_KINDS for event in events],
        )

    @asynccontextmanager
    async def listen(
        self,
        *channels: str,
        coalesce: Callable[[Delivery], Hashable | None] | None = None,
        queue_size: int | None = None,
    ) -> AsyncIterator[AsyncIterator[Delivery]]:
        """Deliveries from any of `channels`, through one bounded queue.

        With `coalesce`, deliveries with the same key replace each other while queued (the
        latest position per technician, for example).
        """
        queue = self._hub.new_queue(queue_size or self.queue_size, coalesce)
        joined: list[str] = []
        try:
            for channel in dict.fromkeys(channels):
                await self._hub.join(channel, queue)
                joined.append(channel)

            async def deliveries() -> AsyncIterator[Delivery]:
                while True:
                    try:
                        yield await queue.get()
                    except QueueClosed:
                        return

            yield deliveries()
        finally:
            queue.close()
            for channel in joined:
                await self._hub.leave(channel, queue)

    @asynccontextmanager
    async def subscribe(
        self,
        channel: str,
        *,
        coalesce: Callable[[Delivery], Hashable | None] | None = None,
        queue_size: int | None = None,
    ) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """The decoded events of one channel: `{"kind", "at", "data"}`; treat as read-only."""
        async with self.listen(channel, coalesce=coalesce, queue_size=queue_size) as deliveries:

            async def decoded() -> AsyncIterator[dict[str, Any]]:
                async for delivery in deliveries:
                    yield delivery.message

            yield decoded()

    async def ping(self) -> bool:
        return self.connected and await self.backend.ping()

    def stats(self) -> dict[str, int]:
        """Counters for health pages and benchmarks."""
        return {
            "channels": self._hub.channel_count,
            "subscribers": self._hub.subscriber_count,
            "delivered": self._hub.delivered,
            "dropped_by_subscribers": self._hub.dropped,
            "dropped_by_inbox": self.backend.dropped,
            "publish_failures": self.backend.publish_failures,
            "reconnects": self.backend.reconnects,
            "replayed": self.backend.replayed,
            "resent": self.backend.resent,
            "replay_gaps": self.backend.replay_gaps,
        }
