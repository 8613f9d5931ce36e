"""broadcaster backends that survive what the stock ones do not.

broadcaster 0.3.1's Redis backend stops delivering for good when its connection drops (the
listener task dies silently) and queues without bound. `ResilientRedisBackend` keeps one
pub/sub connection alive under a supervisor: on any connection loss it reconnects with a
short capped backoff and subscribes again to every channel it was asked for, so subscribers
resume within about a second of Redis coming back. Incoming messages wait in a bounded
queue that drops its oldest entries (counted and logged) if the hub ever falls behind.
`BoundedMemoryBackend` has the same semantics in one process, for development and tests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import structlog
from broadcaster import Event as BroadcastEvent
from broadcaster._backends.base import BroadcastBackend
from redis import asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.realtime.queues import BoundedQueue

log = structlog.get_logger("fieldgraph.broker")

CONTROL_CHANNEL = "fieldgraph:broker"
"""Always subscribed, so the pub/sub connection is read (and its loss noticed) even when
no subscriber is listening."""

_LOST = (RedisConnectionError, RedisTimeoutError, OSError, ConnectionError)


def _log_drop(backend: str) -> Any:
    def on_drop(count: int) -> None:
        if _is_milestone(count):
            log.warning(
                "broker inbox full, oldest messages dropped", backend=backend, dropped=count
            )

    return on_drop


def _is_milestone(count: int) -> bool:
    """1, 10, 100, ...: log a growing problem without one line per message."""
    return count == 1 or (count % 10 == 0 and _is_milestone(count // 10))


class BoundedMemoryBackend(BroadcastBackend):
    """In-process fan-out with a bounded inbox; only subscribed channels are delivered."""

    def __init__(self, url: str = "memory://", *, inbox_size: int = 10_000) -> None:
        self._channels: set[str] = set()
        self._inbox: BoundedQueue[BroadcastEvent] = BoundedQueue(
            inbox_size, on_drop=_log_drop("memory")
        )
        self.publish_failures = 0
        self.reconnects = 0

    @property
    def dropped(self) -> int:
        return self._inbox.dropped

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        self._inbox.close()

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)

    async def publish(self, channel: str, message: Any) -> None:
        if channel in self._channels:
            self._inbox.put_nowait(BroadcastEvent(channel, message))

    async def publish_many(self, messages: Sequence[tuple[str, str]]) -> None:
        for channel, message in messages:
            await self.publish(channel, message)

    async def next_published(self) -> BroadcastEvent:
        return await self._inbox.get()

    async def ping(self) -> bool:
        return True


class ResilientRedisBackend(BroadcastBackend):
    """Redis pub/sub (redis-py asyncio) that reconnects and resubscribes on its own."""

    def __init__(
        self,
        url: str,
        *,
        inbox_size: int = 10_000,
        backoff_start: float = 0.05,
        backoff_cap: float = 1.0,
        idle_ping_seconds: float = 2.0,
        connect_timeout: float = 1.0,
    ) -> None:
        self.url = url
        self._backoff_start = backoff_start
        self._backoff_cap = backoff_cap
        self._idle_ping = idle_ping_seconds
        self._publisher = redis.Redis.from_url(
            url,
            socket_connect_timeout=connect_timeout,
            socket_timeout=connect_timeout * 2,
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
        )
        self._listener_client = redis.Redis.from_url(
            url,
            socket_connect_timeout=connect_timeout,
            retry=Retry(NoBackoff(), 0),
        )
        self._channels: set[str] = set()
        self._opened_with: set[str] = set()
        self._pubsub: Any = None
        self._inbox: BoundedQueue[BroadcastEvent] = BoundedQueue(
            inbox_size, on_drop=_log_drop("redis")
        )
        self._supervisor: asyncio.Task[None] | None = None
        self._up = asyncio.Event()
        self.reconnects = 0
        self.publish_failures = 0

    @property
    def dropped(self) -> int:
        return self._inbox.dropped

    @property
    def is_up(self) -> bool:
        return self._up.is_set()

    async def connect(self, wait: float = 2.0) -> None:
        """Start the supervisor; wait briefly for the first connection, but start either way
        (readiness reports the broker down until Redis answers)."""
        self._supervisor = asyncio.create_task(self._supervise(), name="redis-broker")
        try:
            await asyncio.wait_for(self._up.wait(), wait)
        except TimeoutError:
            log.warning("broker starting without redis; will keep trying", url=self._safe_url)

    async def disconnect(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
            self._supervisor = None
        self._inbox.close()
        await self._close_pubsub()
        await self._publisher.aclose()
        await self._listener_client.aclose()

    async def wait_until_up(self, within: float) -> bool:
        try:
            await asyncio.wait_for(self._up.wait(), within)
        except TimeoutError:
            return False
        return True

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)
        await self._send("subscribe", channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        await self._send("unsubscribe", channel)

    async def publish(self, channel: str, message: Any) -> None:
        await self.publish_many([(channel, message)])

    async def publish_many(self, messages: Sequence[tuple[str, str]]) -> None:
        """One round trip for a batch. Delivery is best effort: the database holds the truth,
        so a publish that fails after its retries is logged and counted, never raised into a
        request whose transaction has already committed."""
        if not messages:
            return
        try:
            if len(messages) == 1:
                await self._publisher.publish(*messages[0])
                return
            async with self._publisher.pipeline(transaction=False) as pipe:
                for channel, message in messages:
                    pipe.publish(channel, message)
                await pipe.execute()
        except (*_LOST, RedisError) as error:
            self.publish_failures += len(messages)
            log.error(
                "broker publish failed",
                messages=len(messages),
                failures=self.publish_failures,
                error=repr(error),
            )

    async def next_published(self) -> BroadcastEvent:
        return await self._inbox.get()

    async def ping(self) -> bool:
        try:
            return bool(await self._publisher.ping())
        except (*_LOST, RedisError):
            return False

    # --- the supervised pub/sub connection -----------------------------------------------

    async def _supervise(self) -> None:
        delay = self._backoff_start
        lost_at: float | None = None
        while True:
            try:
                await self._open()
                self._up.set()
                await self._catch_up()
                if lost_at is not None:
                    self.reconnects += 1
                    log.warning(
                        "broker reconnected",
                        after_seconds=round(time.monotonic() - lost_at, 2),
                        channels=len(self._channels),
                        reconnects=self.reconnects,
                    )
                lost_at = None
                delay = self._backoff_start
                await self._read()
            except asyncio.CancelledError:
                raise
            except (*_LOST, RedisError) as error:
                if lost_at is None:
                    lost_at = time.monotonic()
                    log.warning("broker connection lost", error=repr(error))
            self._up.clear()
            await self._close_pubsub()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._backoff_cap)

    async def _open(self) -> None:
        pubsub = self._listener_client.pubsub(ignore_subscribe_messages=True)
        self._pubsub = pubsub
        self._opened_with = set(self._channels)
        await pubsub.subscribe(CONTROL_CHANNEL, *sorted(self._opened_with))

    async def _catch_up(self) -> None:
        """Channels (un)subscribed while the connection was being opened."""
        added = self._channels - self._opened_with
        removed = self._opened_with - self._channels
        if added:
            await self._pubsub.subscribe(*sorted(added))
        if removed:
            await self._pubsub.unsubscribe(*sorted(removed))

    async def _read(self) -> None:
        pubsub = self._pubsub
        idle_since = time.monotonic()
        while True:
            message = await pubsub.get_message(timeout=self._idle_ping)
            if message is None:
                if time.monotonic() - idle_since >= self._idle_ping:
                    await pubsub.ping()
                    idle_since = time.monotonic()
                continue
            idle_since = time.monotonic()
            if message.get("type") != "message":
                continue
            channel = message["channel"].decode()
            if channel == CONTROL_CHANNEL:
                continue
            self._inbox.put_nowait(BroadcastEvent(channel, message["data"].decode()))

    async def _send(self, command: str, channel: str) -> None:
        """(Un)subscribe now if connected; otherwise the supervisor does it on reconnect."""
        pubsub = self._pubsub
        if pubsub is None or not self._up.is_set():
            return
        try:
            await getattr(pubsub, command)(channel)
        except (*_LOST, RedisError) as error:
            log.info("broker command deferred until reconnect", command=command, error=repr(error))

    async def _close_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            try:
                await pubsub.aclose()
            except (*_LOST, RedisError, RuntimeError):
                pass

    @property
    def _safe_url(self) -> str:
        return self.url.split("@")[-1]
