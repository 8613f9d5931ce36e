"""A payload shared by every subscriber of an event is rendered once per selection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Hashable
from typing import Any

import strawberry

from subscriptions.fanout import shared_event_executor

RENDERS: list[str] = []


@strawberry.type
class Position:
    lat: float
    shared_results: strawberry.Private[dict[Hashable, Any] | None] = None

    @strawberry.field
    def label(self, prefix: str = "") -> str:
        RENDERS.append(prefix)
        return f"{prefix}{self.lat}"


@strawberry.type
class Query:
    ok: bool = True


def make_subscription(payload: Position, events: int) -> type:
    @strawberry.type
    class Subscription:
        @strawberry.subscription
        async def positions(self) -> AsyncGenerator[Position, None]:
            for _ in range(events):
                yield payload

    return Subscription


async def collect(schema: strawberry.Schema, query: str, variables: dict[str, Any]) -> list[Any]:
    stream = await schema.subscribe(query, variable_values=variables)
    return [result.data async for result in stream]


def build(payload: Position) -> strawberry.Schema:
    schema = strawberry.Schema(query=Query, subscription=make_subscription(payload, 1))
    schema.execution_context_class = shared_event_executor(schema.execution_context_class)
    return schema


QUERY = "subscription S($p: String!) { positions { lat label(prefix: $p) } }"


async def test_subscribers_with_the_same_selection_share_one_rendering() -> None:
    RENDERS.clear()
    schema = build(Position(lat=12.5, shared_results={}))

    results = await asyncio.gather(*(collect(schema, QUERY, {"p": "x"}) for _ in range(5)))

    assert results == [[{"positions": {"lat": 12.5, "label": "x12.5"}}]] * 5
    assert RENDERS == ["x"]


async def test_a_different_selection_renders_on_its_own() -> None:
    RENDERS.clear()
    schema = build(Position(lat=1.0, shared_results={}))

    a = await collect(schema, QUERY, {"p": "a"})
    b = await collect(schema, QUERY, {"p": "b"})

    assert a == [{"positions": {"lat": 1.0, "label": "a1.0"}}]
    assert b == [{"positions": {"lat": 1.0, "label": "b1.0"}}]
    assert RENDERS == ["a", "b"]


async def test_a_payload_that_is_not_shared_renders_per_subscriber() -> None:
    RENDERS.clear()
    schema = build(Position(lat=2.0))

    await asyncio.gather(*(collect(schema, QUERY, {"p": "x"}) for _ in range(3)))

    assert RENDERS == ["x", "x", "x"]
