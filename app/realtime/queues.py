"""A bounded queue that drops its oldest items instead of growing or blocking the producer.

Each subscriber reads from one of these. A producer (the hub, the broker backend) never
waits on a slow reader: when the queue is full the oldest item goes and is counted. With a
`key`, items with the same key coalesce: a newer item replaces the queued one in place, so a
location stream keeps only the latest position per technician however slow the reader is.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class QueueClosed(Exception):
    """The queue was closed and is empty: the reader should stop."""


class BoundedQueue(Generic[T]):
    def __init__(
        self,
        maxsize: int,
        *,
        key: Callable[[T], Hashable | None] | None = None,
        on_drop: Callable[[int], None] | None = None,
    ) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._key = key
        self._on_drop = on_drop
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self.dropped = 0
        """Items pushed out by newer ones because the reader was too slow."""
        self.coalesced = 0
        """Items replaced in place by a newer item with the same key."""

    def __len__(self) -> int:
        return len(self._items)

    @property
    def closed(self) -> bool:
        return self._closed

    def put_nowait(self, item: T) -> None:
        """Enqueue without ever blocking; returns at once even when the reader is stalled."""
        if self._closed:
            return
        key = self._key(item) if self._key is not None else None
        if key is not None and ("k", key) in self._items:
            self._items[("k", key)] = item
            self.coalesced += 1
        else:
            if len(self._items) >= self.maxsize:
                self._items.popitem(last=False)
                self.dropped += 1
                if self._on_drop is not None:
                    self._on_drop(self.dropped)
            self._items[("k", key) if key is not None else object()] = item
        self._wake()

    async def get(self) -> T:
        while not self._items:
            if self._closed:
                raise QueueClosed
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.popitem(last=False)[1]

    def get_nowait(self) -> T | None:
        return self._items.popitem(last=False)[1] if self._items else None

    def close(self) -> None:
        """Let the reader drain what is queued, then stop with QueueClosed."""
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
