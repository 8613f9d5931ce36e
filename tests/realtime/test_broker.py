"""The broker: one subscription per channel per instance, bounded and coalescing subscriber
queues, and a Redis backend that resumes delivery after Redis restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.core.events import Broker, Event
from app.realtime.backends import ResilientRedisBackend
from app.realtime.hub import Delivery
from tests.realtime.redis_server import RedisServer

CHANNEL = "test:stream"


@pytest.fixture(params=["memory", "redis"])
async def any_broker(request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    if request.param == "memory":
        broker = Broker(None)
        await broker.connect()
        yield broker
        await broker.disconnect()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    broker = Broker(server.url)
    await broker.connect()
    yield broker
    await broker.disconnect()


def by_technician(delivery: Delivery) -> Any:
    return delivery.data.get("technician_id")


async def drain(messages: AsyncIterator[Any], count: int, within: float = 5.0) -> list[Any]:
    received: list[Any] = []

    async def take() -> None:
        async for message in messages:
            received.append(message)
            if len(received) == count:
                return

    await asyncio.wait_for(take(), within)
    return received


async def settle(broker: Broker, expected: int, within: float = 5.0) -> None:
    """Wait until the hub has handed out `expected` deliveries (messages are asynchronous)."""
    async with asyncio.timeout(within):
        while broker.stats()["delivered"] < expected:  # noqa: ASYNC110 - polling a counter
            await asyncio.sleep(0.01)


async def test_a_slow_subscriber_drops_its_oldest_while_a_fast_one_keeps_up(
    any_broker: Broker,
) -> None:
    # given a fast and a stalled subscriber on one channel, each with room for 10 messages
    async with (
        any_broker.subscribe(CHANNEL, queue_size=10) as fast,
        any_broker.subscribe(CHANNEL, queue_size=10) as slow,
    ):
        reader = asyncio.create_task(drain(fast, 100))
        # when 100 events are published
        for n in range(100):
            await any_broker.publish(Event(CHANNEL, "TICK", {"n": n}))
            await asyncio.sleep(0.002)  # a steady stream, not one burst
        fast_received = await reader
        await settle(any_broker, 200)
        slow_received = await drain(slow, 10)

    # then the fast one saw everything in order, the slow one only the latest ten
    assert [m["data"]["n"] for m in fast_received] == list(range(100))
    assert [m["data"]["n"] for m in slow_received] == list(range(90, 100))
    assert any_broker.stats()["dropped_by_subscribers"] == 90


async def test_a_location_stream_keeps_the_latest_position_per_technician(
    any_broker: Broker,
) -> None:
    async with any_broker.subscribe(CHANNEL, coalesce=by_technician) as locations:
        # when three technicians report 20 positions each while the reader is away
        await any_broker.publish_all(
            [
                Event(CHANNEL, "LOCATION", {"technician_id": t, "n": n})
                for n in range(20)
                for t in (1, 2, 3)
            ]
        )
        await settle(any_broker, 60)
        latest = await drain(locations, 3)

    # then it reads one message per technician, each with the newest position
    assert [(m["data"]["technician_id"], m["data"]["n"]) for m in latest] == [
        (1, 19),
        (2, 19),
        (3, 19),
    ]


async def test_local_subscribers_share_one_broker_subscription_per_channel(
    any_broker: Broker,
) -> None:
    async with any_broker.listen(CHANNEL) as first, any_broker.listen(CHANNEL) as second:
        assert any_broker.stats() | {"delivered": 0} == any_broker.stats() | {
            "channels": 1,
            "subscribers": 2,
            "delivered": 0,
        }
        await any_broker.publish(Event(CHANNEL, "TICK", {"n": 1}))
        (one,) = await drain(first, 1)
        (other,) = await drain(second, 1)

    # the event was decoded once and the same delivery handed to both
    assert one is other
    assert any_broker.stats()["channels"] == 0


async def test_a_subscriber_listens_to_several_channels_through_one_queue(
    any_broker: Broker,
) -> None:
    async with any_broker.listen("test:a", "test:b") as deliveries:
        await any_broker.publish(Event("test:a", "TICK", {"n": 1}))
        await any_broker.publish(Event("test:b", "TICK", {"n": 2}))
        received = await drain(deliveries, 2)

    assert sorted((d.channel, d.data["n"]) for d in received) == [("test:a", 1), ("test:b", 2)]


async def test_events_cross_instances_and_resume_after_redis_restarts(
    redis_server: RedisServer,
) -> None:
    # given two server instances sharing a private Redis, one subscribed
    instance_a, instance_b = Broker(redis_server.url), Broker(redis_server.url)
    await instance_a.connect()
    await instance_b.connect()
    backend = instance_b.backend
    assert isinstance(backend, ResilientRedisBackend)
    received: list[str] = []

    async def collect(messages: AsyncIterator[dict[str, Any]]) -> None:
        async for message in messages:
            received.append(message["data"]["n"])

    async def publish_until_received(prefix: str) -> None:
        n = 0
        while not any(r.startswith(prefix) for r in received):
            n += 1
            await instance_a.publish(Event(CHANNEL, "TICK", {"n": f"{prefix}{n}"}))
            await asyncio.sleep(0.05)

    try:
        async with instance_b.subscribe(CHANNEL) as messages:
            collector = asyncio.create_task(collect(messages))
            await asyncio.wait_for(publish_until_received("before-"), 5.0)

            # when Redis dies and comes back on the same port
            redis_server.kill()
            await instance_a.publish(Event(CHANNEL, "TICK", {"n": "lost"}))
            await asyncio.sleep(0.3)
            redis_server.start()

            # then, within 5 s, the subscriber receives what is published after the restart
            await asyncio.wait_for(publish_until_received("after-"), 5.0)
            collector.cancel()
    finally:
        await instance_a.disconnect()
        await instance_b.disconnect()

    assert "lost" not in received
    assert any(r.startswith("after-") for r in received)
    assert backend.reconnects == 1
    assert instance_a.stats()["publish_failures"] >= 1


async def test_a_broker_starts_without_redis_and_connects_when_it_appears() -> None:
    server = RedisServer()
    broker = Broker(server.url)
    backend = broker.backend
    assert isinstance(backend, ResilientRedisBackend)
    await broker.connect()
    try:
        assert await broker.ping() is False
        server.start()
        assert await backend.wait_until_up(5.0)
        async with broker.subscribe(CHANNEL) as messages:
            await broker.publish(Event(CHANNEL, "TICK", {"n": 1}))
            (message,) = await drain(messages, 1)
        assert await broker.ping() is True
    finally:
        await broker.disconnect()
        server.kill()
    assert message["data"] == {"n": 1}
