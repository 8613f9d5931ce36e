"""Local fan-out: one broker subscription per channel, shared by every local subscriber.

A server instance with a thousand sockets on one channel holds one Redis subscription for
it, decodes each message once and hands the same `Delivery` to a thousand bounded queues
without awaiting any of them. A slow socket loses its oldest messages (or, for coalescing
streams, sees only the latest per key); it never holds up the others nor grows memory.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import structlog
from broadcaster import Broadcast

from app.realtime.queues import BoundedQueue

log = structlog.get_logger("fieldgraph.broker")


@dataclass(slots=True, eq=False)
class Delivery:
    """One event as every local subscriber receives it; treat as read-only.

    `memo` lets subscribers whose output would be identical (same selection, same audience)
    render it once: the first computes, the others reuse.
    """

    channel: str
    message: dict[str, Any]
    memo: dict[Hashable, Any] = field(default_factory=dict)

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = self.message.get("data") or {}
        return data


@dataclass(slots=True, eq=False)
class _Channel:
    queues: set[BoundedQueue[Delivery]] = field(default_factory=set)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    pump: asyncio.Task[None] | None = None


class Hub:
    def __init__(self, broadcast: Broadcast, *, ready_timeout: float = 5.0) -> None:
        self._broadcast = broadcast
        self._ready_timeout = ready_timeout
        self._channels: dict[str, _Channel] = {}
        self._lock = asyncio.Lock()
        self.dropped = 0
        self.delivered = 0

    @property
    def subscriber_count(self) -> int:
        return sum(len(state.queues) for state in self._channels.values())

    @property
    def channel_count(self) -> int:
        return len(self._channels)

    def new_queue(
        self, maxsize: int, key: Callable[[Delivery], Hashable | None] | None
    ) -> BoundedQueue[Delivery]:
        def on_drop(count: int) -> None:
            self.dropped += 1
            if count == 1 or count % 1000 == 0:
                log.warning("slow subscriber, oldest messages dropped", dropped=count)

        return BoundedQueue(maxsize, key=key, on_drop=on_drop)

    async def join(self, channel: str, queue: BoundedQueue[Delivery]) -> None:
        async with self._lock:
            state = self._channels.get(channel)
            if state is None:
                state = self._channels[channel] = _Channel()
                state.pump = asyncio.create_task(self._pump(channel, state), name=f"hub:{channel}")
                await asyncio.wait_for(state.ready.wait(), self._ready_timeout)
            state.queues.add(queue)

    async def leave(self, channel: str, queue: BoundedQueue[Delivery]) -> None:
        async with self._lock:
            state = self._channels.get(channel)
            if state is None:
                return
            state.queues.discard(queue)
            if state.queues:
                return
            del self._channels[channel]
            if state.pump is not None:
                state.pump.cancel()
                await asyncio.gather(state.pump, return_exceptions=True)

    async def close(self) -> None:
        async with self._lock:
            channels, self._channels = self._channels, {}
            for state in channels.values():
                for queue in state.queues:
                    queue.close()
                if state.pump is not None:
                    state.pump.cancel()
            await asyncio.gather(
                *(s.pump for s in channels.values() if s.pump is not None), return_exceptions=True
            )

    async def _pump(self, channel: str, state: _Channel) -> None:
        try:
            async with self._broadcast.subscribe(channel) as subscriber:
                state.ready.set()
                while True:
                    event = await subscriber.get()
                    try:
                        message = json.loads(event.message)
                    except ValueError:
                        log.warning("undecodable broker message dropped", channel=channel)
                        continue
                    delivery = Delivery(channel, message)
                    queues = list(state.queues)
                    for queue in queues:
                        queue.put_nowait(delivery)
                    self.delivered += len(queues)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Subscribers end rather than wait forever on a channel nobody feeds.
            log.exception("broker channel pump failed", channel=channel)
            for queue in state.queues:
                queue.close()
