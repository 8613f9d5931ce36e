"""Events leave only after the transaction that caused them commits."""

from __future__ import annotations

import asyncio
import os

import pytest

from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker, Event, queue_event

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def next_message(broker: Broker, channel: str, trigger: object) -> dict | None:
    async with broker.subscribe(channel) as messages:
        await asyncio.sleep(0.05)
        await trigger()  # type: ignore[operator]
        try:
            return await asyncio.wait_for(anext(messages), timeout=0.5)
        except TimeoutError:
            return None


async def test_a_committed_unit_of_work_publishes_its_events(
    sessions: SessionFactory, broker: Broker
) -> None:
    async def work() -> None:
        async with unit_of_work(sessions, broker) as session:
            queue_event(session, "test-channel", "PING", {"n": 1})

    message = await next_message(broker, "test-channel", work)
    assert message is not None and message["kind"] == "PING" and message["data"] == {"n": 1}


async def test_a_failed_unit_of_work_publishes_nothing(
    sessions: SessionFactory, broker: Broker
) -> None:
    async def work() -> None:
        with pytest.raises(RuntimeError):
            async with unit_of_work(sessions, broker) as session:
                queue_event(session, "test-channel", "PING", {"n": 1})
                raise RuntimeError("refused")

    assert await next_message(broker, "test-channel", work) is None


async def test_events_cross_server_instances_through_redis() -> None:
    """Two brokers stand for two server processes sharing one Redis."""
    instance_a, instance_b = Broker(REDIS_URL), Broker(REDIS_URL)
    await instance_a.connect()
    await instance_b.connect()
    try:
        event = Event("fieldgraph-test-fanout", "PING", {"from": "a"})
        message = await next_message(instance_b, event.channel, lambda: instance_a.publish(event))
    finally:
        await instance_a.disconnect()
        await instance_b.disconnect()
    assert message is not None and message["data"] == {"from": "a"}


async def test_listeners_run_inside_the_transaction_that_queued_the_event(
    sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core import events

    seen: list[tuple[object, str]] = []
    monkeypatch.setattr(
        events, "_listeners", [("PING", lambda session, event: seen.append((session, event.kind)))]
    )
    async with sessions() as session:
        queue_event(session, "test-channel", "PING", {})
        queue_event(session, "test-channel", "PONG", {})

    assert seen == [(session, "PING")]


async def test_an_event_for_several_channels_reaches_listeners_once(
    sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core import events

    seen: list[str] = []
    monkeypatch.setattr(events, "_listeners", [(None, lambda s, event: seen.append(event.channel))])
    async with sessions() as session:
        queue_event(session, ["task:1", "technician:2:tasks"], "MOVED", {"n": 1})
        queued = [event.channel for event in events.pending_events(session)]

    assert seen == ["task:1"]
    assert queued == ["task:1", "technician:2:tasks"]
