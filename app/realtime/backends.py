"""broadcaster backends that survive what the stock ones do not.

broadcaster 0.3.1's Redis backend stops delivering for good when its connection drops (the
listener task dies silently) and queues without bound. `ResilientRedisBackend` keeps one
pub/sub connection alive under a supervisor: on any connection loss it reconnects with a
short capped backoff and subscribes again to every channel it was asked for, so subscribers
resume within about a second of Redis coming back. Incoming messages wait in a bounded
queue that drops its oldest entries (counted and logged) if the hub ever falls behind.
`BoundedMemoryBackend` has the same semantics in one process, for development and tests.

Pub/sub alone forgets whatever is published while a subscriber is not subscribed, and a
Redis restart leaves every instance unsubscribed for up to a second. So messages that must
not be missed (task and stock changes; not positions, which the next one supersedes) are
also appended to a short, expiring Redis stream per channel, in the same atomic script as
their PUBLISH, and carry their stream id. Each instance remembers the last id it delivered
per channel; after reconnecting it reads every channel's stream from there (XRANGE) before
reading pub/sub again, and drops the pub/sub copies of what it replayed. A durable publish
that fails while Redis is down is kept (bounded, in order) and sent again once Redis answers;
a superseded one is dropped and counted.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections import deque
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

STREAM_PREFIX = "fieldgraph:stream:"
"""The replay stream of channel `c` is `STREAM_PREFIX + c`."""
STREAM_MAXLEN = 1000
"""Entries kept per channel's stream (approximately: MAXLEN ~)."""
STREAM_TTL_MS = 15 * 60 * 1000
"""A channel's stream expires this long after its last message: the replay window."""
REPLAY_BATCH = 500
REFUSALS_BEFORE_GIVING_UP = 5
"""Kept messages Redis refuses (not a lost connection) are tried this often, then dropped."""

DURABLE_MARK = "~"
"""Prefix of a pub/sub message that carries its stream id: `~<id> <message>`."""

# KEYS[1] stream, KEYS[2] channel; ARGV[1] message, ARGV[2] maxlen, ARGV[3] ttl ms.
_PUBLISH_DURABLE = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'm', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', KEYS[2], '~' .. id .. ' ' .. ARGV[1])
return id
"""


def stream_id(text: str) -> tuple[int, int]:
    """A stream id (`<ms>-<seq>`) in comparable form."""
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


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
        self.resent = 0
        self.replayed = 0
        self.replay_gaps = 0

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

    async def publish_many(
        self, messages: Sequence[tuple[str, str]], durable: Sequence[bool] | None = None
    ) -> None:
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
        unsent_size: int = 10_000,
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
        self._script = self._publisher.register_script(_PUBLISH_DURABLE)
        self._last_ids: dict[str, tuple[int, int]] = {}
        """Per subscribed channel: the newest stream id delivered (or when listening began)."""
        self._unsent: deque[tuple[str, str]] = deque()
        self._unsent_size = unsent_size
        self._resender: asyncio.Task[None] | None = None
        self.reconnects = 0
        self.publish_failures = 0
        """Messages that never reached Redis: superseded ones while it was down, durable ones
        beyond the bound of the resend buffer."""
        self.resent = 0
        self.replayed = 0
        self.replay_gaps = 0

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
        if self._resender is not None:
            # A last chance for what is waiting, then give up on it (counted).
            try:
                await asyncio.wait_for(asyncio.shield(self._resender), 1.0)
            except TimeoutError:
                self._resender.cancel()
                await asyncio.gather(self._resender, return_exceptions=True)
            self._resender = None
            self._count_lost(len(self._unsent), "shutting down")
            self._unsent.clear()
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
        if self._up.is_set():
            await self._mark_start([channel])
        await self._send("subscribe", channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        self._last_ids.pop(channel, None)
        await self._send("unsubscribe", channel)

    async def publish(self, channel: str, message: Any) -> None:
        await self.publish_many([(channel, message)])

    async def publish_many(
        self, messages: Sequence[tuple[str, str]], durable: Sequence[bool] | None = None
    ) -> None:
        """One round trip for a batch; `durable[i]` (default: all) says whether message `i`
        must reach every subscriber even across a reconnect. Never raises into a request
        whose transaction has already committed: a durable message that cannot be sent now
        is kept and sent again, in order, once Redis answers; a superseded one is dropped
        and counted."""
        if not messages:
            return
        flags = list(durable) if durable is not None else [True] * len(messages)
        if self._unsent:
            self._keep([m for m, keep in zip(messages, flags, strict=True) if keep])
            self._count_lost(flags.count(False), "redis unavailable")
            return
        try:
            await self._send_batch(messages, flags)
        except (*_LOST, RedisError) as error:
            log.error(
                "broker publish failed, durable messages kept to send again",
                messages=len(messages),
                error=repr(error),
            )
            self._keep([m for m, keep in zip(messages, flags, strict=True) if keep])
            self._count_lost(flags.count(False), "redis unavailable")

    async def _send_batch(self, messages: Sequence[tuple[str, str]], flags: list[bool]) -> None:
        if len(messages) == 1:
            channel, message = messages[0]
            if flags[0]:
                await self._publish_durable(self._publisher, channel, message)
            else:
                await self._publisher.publish(channel, message)
            return
        async with self._publisher.pipeline(transaction=False) as pipe:
            for (channel, message), keep in zip(messages, flags, strict=True):
                if keep:
                    await self._publish_durable(pipe, channel, message)
                else:
                    pipe.publish(channel, message)
            await pipe.execute()

    async def _publish_durable(self, client: Any, channel: str, message: str) -> Any:
        return await self._script(
            keys=[STREAM_PREFIX + channel, channel],
            args=[message, STREAM_MAXLEN, STREAM_TTL_MS],
            client=client,
        )

    def _keep(self, messages: list[tuple[str, str]]) -> None:
        room = self._unsent_size - len(self._unsent)
        self._unsent.extend(messages[:room])
        self._count_lost(len(messages) - max(room, 0), "resend buffer full")
        if self._unsent and (self._resender is None or self._resender.done()):
            # Not in the context of the request that happened to fail (its log fields).
            self._resender = asyncio.create_task(
                self._resend(), name="redis-broker-resend", context=contextvars.Context()
            )

    def _count_lost(self, count: int, reason: str) -> None:
        if count <= 0:
            return
        before = self.publish_failures
        self.publish_failures += count
        if before == 0 or _is_milestone(self.publish_failures):
            log.error(
                "broker messages not published", reason=reason, failures=self.publish_failures
            )

    async def _resend(self) -> None:
        """Send what was kept, oldest first, as soon as Redis answers again."""
        delay = self._backoff_start
        refusals = 0
        while self._unsent:
            chunk = [self._unsent[i] for i in range(min(len(self._unsent), 100))]
            try:
                await self._send_batch(chunk, [True] * len(chunk))
            except _LOST:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._backoff_cap)
                continue
            except RedisError as error:
                # Redis answered but refused (out of memory, say): a few more tries, then
                # they are given up, counted and logged rather than hold up all behind them.
                refusals += 1
                if refusals < REFUSALS_BEFORE_GIVING_UP:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self._backoff_cap)
                    continue
                log.error("broker refused kept messages", error=repr(error))
                for _ in chunk:
                    self._unsent.popleft()
                self._count_lost(len(chunk), "refused by redis")
                refusals = 0
                continue
            for _ in chunk:
                self._unsent.popleft()
            self.resent += len(chunk)
            delay = self._backoff_start
            refusals = 0
        log.warning("broker messages sent again after redis returned", resent=self.resent)

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
                # Where replay starts is taken before subscribing: taken after, it would
                # swallow what pub/sub delivers in between.
                await self._mark_start(self._channels)
                await self._open()
                self._up.set()
                await self._catch_up()
                await self._replay()
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
            data = message["data"].decode()
            if data.startswith(DURABLE_MARK):
                marked, _, data = data.partition(" ")
                if not self._first_delivery(channel, stream_id(marked[1:])):
                    continue  # replayed already
            self._inbox.put_nowait(BroadcastEvent(channel, data))

    def _first_delivery(self, channel: str, at: tuple[int, int]) -> bool:
        last = self._last_ids.get(channel)
        if last is not None and at <= last:
            return False
        if channel in self._channels:
            self._last_ids[channel] = at
        return True

    async def _mark_start(self, channels: Sequence[str] | set[str]) -> None:
        """Channels with nothing delivered yet replay from now on, should the connection drop."""
        fresh = [c for c in channels if c not in self._last_ids]
        if not fresh:
            return
        try:
            seconds, micros = await self._publisher.time()
        except (*_LOST, RedisError):
            return  # marked on the next connection
        # Redis may stamp a change within this very millisecond as `<ms>-0`: start just
        # before it (at worst, a reconnect replays a change of the millisecond before).
        now = (int(seconds) * 1000 + int(micros) // 1000 - 1, 0)
        for channel in fresh:
            self._last_ids.setdefault(channel, now)

    async def _replay(self) -> None:
        """What was published on each subscribed channel since its last delivery, in order.

        Runs after (re)subscribing and before reading pub/sub, so nothing falls between the
        two; pub/sub copies of replayed messages are dropped by id."""
        channels = [c for c in sorted(self._channels) if c in self._last_ids]
        await self._count_gaps(channels)
        while channels:
            async with self._publisher.pipeline(transaction=False) as pipe:
                for channel in channels:
                    low = "({}-{}".format(*self._last_ids[channel])
                    pipe.xrange(STREAM_PREFIX + channel, min=low, count=REPLAY_BATCH)
                batches = await pipe.execute()
            more = []
            for channel, entries in zip(channels, batches, strict=True):
                for entry_id, fields in entries:
                    if self._first_delivery(channel, stream_id(entry_id.decode())):
                        self._inbox.put_nowait(BroadcastEvent(channel, fields[b"m"].decode()))
                        self.replayed += 1
                if len(entries) == REPLAY_BATCH:
                    more.append(channel)
            channels = more

    async def _count_gaps(self, channels: list[str]) -> None:
        """Streams trimmed past a channel's last delivery (MAXLEN) may have lost entries it
        never saw: counted and logged, so a gap is never silent."""
        if not channels:
            return
        async with self._publisher.pipeline(transaction=False) as pipe:
            for channel in channels:
                pipe.xinfo_stream(STREAM_PREFIX + channel)
            infos = await pipe.execute(raise_on_error=False)
        for channel, info in zip(channels, infos, strict=True):
            if not isinstance(info, dict) or not info.get("first-entry"):
                continue  # no stream (nothing durable published, or expired)
            trimmed = int(info.get("entries-added", 0)) > int(info.get("length", 0))
            first = stream_id(info["first-entry"][0].decode())
            if trimmed and first > self._last_ids[channel]:
                self.replay_gaps += 1
                log.warning("broker replay may have missed trimmed messages", channel=channel)

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
