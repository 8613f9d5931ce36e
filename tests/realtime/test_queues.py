"""Bounded subscriber queues: drop the oldest, coalesce by key, never block the producer."""

from __future__ import annotations

import asyncio

import pytest

from app.realtime.queues import BoundedQueue, QueueClosed


async def test_a_full_queue_drops_its_oldest_items_and_counts_them() -> None:
    queue: BoundedQueue[int] = BoundedQueue(3)

    for n in range(10):
        queue.put_nowait(n)

    assert [queue.get_nowait() for _ in range(3)] == [7, 8, 9]
    assert queue.dropped == 7


async def test_items_with_the_same_key_keep_only_the_latest_in_place() -> None:
    queue: BoundedQueue[tuple[str, int]] = BoundedQueue(10, key=lambda item: item[0])

    for n in range(5):
        queue.put_nowait(("tech-1", n))
        queue.put_nowait(("tech-2", n * 10))
    queue.put_nowait(("tech-3", 0))

    assert [await queue.get() for _ in range(3)] == [("tech-1", 4), ("tech-2", 40), ("tech-3", 0)]
    assert queue.coalesced == 8 and queue.dropped == 0


async def test_items_without_a_key_are_never_coalesced() -> None:
    queue: BoundedQueue[dict[str, int]] = BoundedQueue(10, key=lambda item: item.get("k"))

    queue.put_nowait({"n": 1})
    queue.put_nowait({"n": 2})

    assert len(queue) == 2


async def test_a_waiting_reader_wakes_on_put() -> None:
    queue: BoundedQueue[str] = BoundedQueue(2)
    reader = asyncio.create_task(queue.get())
    await asyncio.sleep(0)

    queue.put_nowait("hello")

    assert await asyncio.wait_for(reader, 1) == "hello"


async def test_a_closed_queue_drains_then_stops_its_reader() -> None:
    queue: BoundedQueue[int] = BoundedQueue(5)
    queue.put_nowait(1)

    queue.close()
    queue.put_nowait(2)

    assert await queue.get() == 1
    with pytest.raises(QueueClosed):
        await queue.get()


def test_a_queue_needs_room_for_one_item() -> None:
    with pytest.raises(ValueError, match="maxsize"):
        BoundedQueue(0)
