"""The broker: one subscription per channel per instance, bounded and coalescing subscriber
queues, and a Redis backend that resumes delivery after Redis restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from app.core.events import Broker, Event
from app.realtime import backends
from app.realtime.backends import STREAM_PREFIX, ResilientRedisBackend
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

            # when Redis dies and comes back on the same port, with a change made meanwhile
            redis_server.kill()
            await instance_a.publish(Event(CHANNEL, "TICK", {"n": "while-down"}))
            await asyncio.sleep(0.3)
            redis_server.start()

            # then, within 5 s, the subscriber receives what is published after the restart
            await asyncio.wait_for(publish_until_received("after-"), 5.0)
            collector.cancel()
    finally:
        await instance_a.disconnect()
        await instance_b.disconnect()

    # and the change made while Redis was down was kept and sent once it returned, before
    # anything published after it
    assert received.count("while-down") == 1
    after = [r for r in received if r.startswith("after-")]
    assert received.index("while-down") < received.index(after[0])
    assert backend.reconnects == 1
    assert instance_a.stats()["publish_failures"] == 0
    assert instance_a.stats()["resent"] >= 1


async def test_changes_published_before_a_subscriber_resubscribes_are_replayed_in_order(
    redis_server: RedisServer,
) -> None:
    # given a subscriber that takes a full second to resubscribe after losing Redis
    publisher = Broker(redis_server.url)
    slow = ResilientRedisBackend(redis_server.url, backoff_start=1.0, backoff_cap=1.0)
    subscriber = Broker(redis_server.url, backend=slow)
    await publisher.connect()
    await subscriber.connect()
    received: list[str] = []
    try:
        async with subscriber.subscribe(CHANNEL) as messages:

            async def collect() -> None:
                async for message in messages:
                    received.append(message["data"]["n"])

            collector = asyncio.create_task(collect())
            await publisher.publish(Event(CHANNEL, "TICK", {"n": "first"}))
            await asyncio.wait_for(until(lambda: received == ["first"]), 5.0)

            # when Redis restarts and changes are made before the subscriber is back
            redis_server.kill()
            redis_server.start()
            assert await publisher.backend.wait_until_up(3.0)  # type: ignore[union-attr]
            for n in range(5):
                await publisher.publish(Event(CHANNEL, "TICK", {"n": f"missed-{n}"}))
            assert not slow.is_up
            assert await slow.wait_until_up(5.0)
            await publisher.publish(Event(CHANNEL, "TICK", {"n": "live"}))

            # then the subscriber receives each of them once, in order, before the live one
            await asyncio.wait_for(until(lambda: "live" in received), 5.0)
            await asyncio.sleep(0.2)  # nothing more turns up (no duplicates)
            collector.cancel()
    finally:
        await publisher.disconnect()
        await subscriber.disconnect()

    assert received == ["first", *[f"missed-{n}" for n in range(5)], "live"]
    assert slow.replayed >= 5


async def test_positions_are_neither_replayed_nor_kept_while_redis_is_down(
    redis_server: RedisServer,
) -> None:
    publisher = Broker(redis_server.url)
    await publisher.connect()
    try:
        redis_server.kill()
        await publisher.publish(Event(CHANNEL, "TECHNICIAN_LOCATION", {"n": "stale"}))
        redis_server.start()
        assert await publisher.backend.wait_until_up(3.0)  # type: ignore[union-attr]
        await publisher.publish(Event(CHANNEL, "TECHNICIAN_LOCATION", {"n": "fresh"}))
        client = Redis.from_url(redis_server.url)
        try:
            assert await client.exists(STREAM_PREFIX + CHANNEL) == 0
        finally:
            await client.aclose()
    finally:
        await publisher.disconnect()
    assert publisher.stats()["publish_failures"] == 1
    assert publisher.stats()["resent"] == 0


async def until(condition: Callable[[], bool]) -> None:
    while not condition():  # noqa: ASYNC110 - polling a list filled by another task
        await asyncio.sleep(0.02)


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


async def test_a_replay_that_cannot_be_complete_is_counted(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given short streams, and a subscriber slow to come back after a Redis restart
    monkeypatch.setattr(backends, "STREAM_MAXLEN", 10)
    publisher = Broker(redis_server.url)
    slow = ResilientRedisBackend(redis_server.url, backoff_start=1.0, backoff_cap=1.0)
    subscriber = Broker(redis_server.url, backend=slow)
    await publisher.connect()
    await subscriber.connect()
    try:
        async with subscriber.subscribe(CHANNEL):
            redis_server.kill()
            redis_server.start()
            assert await publisher.backend.wait_until_up(3.0)  # type: ignore[union-attr]
            # when more is published meanwhile than the stream keeps
            await publisher.publish_all([Event(CHANNEL, "TICK", {"n": n}) for n in range(500)])
            assert await slow.wait_until_up(5.0)
            await asyncio.sleep(0.2)
    finally:
        await publisher.disconnect()
        await subscriber.disconnect()

    # then what could be replayed was, and the gap is counted rather than silent
    assert 0 < slow.replayed < 500
    assert subscriber.stats()["replay_gaps"] == 1


async def test_kept_messages_redis_keeps_refusing_are_given_up_and_do_not_block_the_rest(
    redis_server: RedisServer,
) -> None:
    # given a Redis that refuses writes (out of memory)
    client = Redis.from_url(redis_server.url)
    broker = Broker(redis_server.url)
    await broker.connect()
    try:
        async with broker.subscribe(CHANNEL) as messages:
            await client.config_set("maxmemory", 1)
            # when a durable publish is refused, and keeps being refused
            await broker.publish(Event(CHANNEL, "TICK", {"n": "refused"}))
            await asyncio.wait_for(until(lambda: broker.stats()["publish_failures"] == 1), 10)
            # then it is given up, and what follows once Redis accepts again goes through
            await client.config_set("maxmemory", 0)
            await broker.publish(Event(CHANNEL, "TICK", {"n": "next"}))
            (message,) = await drain(messages, 1)
    finally:
        await broker.disconnect()
        await client.aclose()
    assert message["data"] == {"n": "next"}
    assert broker.stats()["resent"] == 0


async def test_a_change_published_the_moment_a_channel_is_subscribed_is_delivered(
    redis_server: RedisServer,
) -> None:
    # Redis stamps the start of listening and the change within the same millisecond
    broker = Broker(redis_server.url)
    await broker.connect()
    received = []
    try:
        for n in range(30):
            async with broker.subscribe(f"{CHANNEL}:{n}") as messages:
                await broker.publish(Event(f"{CHANNEL}:{n}", "TICK", {"n": n}))
                received += await drain(messages, 1, within=2.0)
    finally:
        await broker.disconnect()
    assert [m["data"]["n"] for m in received] == list(range(30))


async def test_a_channel_subscribed_while_redis_is_down_gets_what_follows_its_return(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = RedisServer()
    broker = Broker(server.url)
    backend = broker.backend
    assert isinstance(backend, ResilientRedisBackend)
    # Redis slow to tell the time: where replay starts must not swallow live messages
    tell_time = backend._publisher.time

    async def slow_time() -> Any:
        await asyncio.sleep(0.3)
        return await tell_time()

    monkeypatch.setattr(backend._publisher, "time", slow_time)
    await broker.connect()
    try:
        async with broker.subscribe(CHANNEL) as messages:
            server.start()
            assert await backend.wait_until_up(5.0)
            await broker.publish(Event(CHANNEL, "TICK", {"n": "right after"}))
            (message,) = await drain(messages, 1)
    finally:
        await broker.disconnect()
        server.kill()
    assert message["data"] == {"n": "right after"}
