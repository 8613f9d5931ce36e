"""Pre-rendered delivery of the hot streams: both WebSocket protocols, the same payloads as
per-event execution, access rules unchanged, and a blocked socket never holds up the others."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

import app.main
from app.core.auth import Role
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker, Event
from app.main import build_schema, create_app
from app.tracking import channels
from schema import extensions
from schema.ids import encode_id
from subscriptions import fanout
from subscriptions.fanout import Direct, _direct, deliver, fast_document
from subscriptions.tracking import LOCATION_QUEUE, _locations
from tests.support import serving, token

AT = "2025-03-01T10:00:00+00:00"
FULL = "subscription { technicianLocations { technicianId location { lat lng } recordedAt } }"
ALIASED = "subscription Map { where: technicianLocations { who: technicianId location { lat } } }"
MIXED = "subscription { technicianLocations { technicianId } taskUpdates { action } }"
TASK_EVENTS = "subscription { taskUpdates { action } }"
QUERY = "query { __typename }"


@pytest.fixture
async def address(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> AsyncIterator[str]:
    async with serving(create_app(settings, sessions=sessions, broker=broker)) as address:
        yield address


def location(technician: int, partner: int | None = None, lat: float = 12.97) -> list[Event]:
    data = {
        "technician_id": technician,
        "partner_id": partner,
        "territory_id": 1,
        "lat": lat,
        "lng": 77.59,
        "recorded_at": AT,
        "accuracy_m": 5.0,
        "speed_mps": 3.5,
        "heading": 90.0,
    }
    return [
        Event(channel, channels.TECHNICIAN_LOCATION, data)
        for channel in (channels.ALL_LOCATIONS, channels.technician_locations(technician))
    ]


async def opened(address: str, protocol: str, settings: Settings, role: Role, **links: int) -> Any:
    socket = await connect(f"ws://{address}/graphql", subprotocols=[Subprotocol(protocol)])
    auth = f"Bearer {token(settings, role, **links)}"
    await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": auth}}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 2))["type"] == "connection_ack"
    return socket


async def next_message(socket: ClientConnection, kinds: set[str]) -> dict[str, Any]:
    """The next message of one of `kinds` (the legacy protocol interleaves keep-alives)."""
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 0.25))
        if message["type"] in kinds:
            return message


async def until_received(
    broker: Broker, socket: ClientConnection, events: list[Event], kinds: set[str]
) -> dict[str, Any]:
    """Publish `events` until the socket receives something (subscriptions start
    asynchronously on the server); returns the first message of `kinds`."""
    for _ in range(20):
        await broker.publish_all(events)
        try:
            return await next_message(socket, kinds)
        except TimeoutError:
            continue
    raise AssertionError("nothing was delivered")


def test_only_a_subscription_to_one_hot_field_takes_the_fast_path() -> None:
    assert fast_document(FULL, None) is not None
    assert fast_document(ALIASED, "Map") is not None
    assert fast_document(ALIASED, "Other") is None
    assert fast_document(MIXED, None) is None
    assert fast_document(TASK_EVENTS, None) is None
    assert fast_document(QUERY, None) is None
    assert fast_document("subscription {", None) is None


async def test_graphql_transport_ws_gets_each_selection_rendered_with_its_own_id(
    address: str, settings: Settings, broker: Broker
) -> None:
    full = await opened(address, "graphql-transport-ws", settings, Role.DISPATCHER)
    aliased = await opened(address, "graphql-transport-ws", settings, Role.DISPATCHER)
    await full.send(json.dumps({"id": "a", "type": "subscribe", "payload": {"query": FULL}}))
    subscribe = {"query": ALIASED, "operationName": "Map"}
    await aliased.send(json.dumps({"id": "map-1", "type": "subscribe", "payload": subscribe}))

    first = await until_received(broker, full, location(7), {"next"})
    second = await until_received(broker, aliased, location(7), {"next"})
    await full.close()
    await aliased.close()

    assert first == {
        "id": "a",
        "type": "next",
        "payload": {
            "data": {
                "technicianLocations": {
                    "technicianId": encode_id("Technician", 7),
                    "location": {"lat": 12.97, "lng": 77.59},
                    "recordedAt": AT,
                }
            }
        },
    }
    assert second == {
        "id": "map-1",
        "type": "next",
        "payload": {
            "data": {"where": {"who": encode_id("Technician", 7), "location": {"lat": 12.97}}}
        },
    }


async def test_graphql_ws_gets_data_messages_and_completes_on_stop(
    address: str, settings: Settings, broker: Broker
) -> None:
    socket = await opened(address, "graphql-ws", settings, Role.MANAGER)
    await socket.send(json.dumps({"id": "7", "type": "start", "payload": {"query": FULL}}))

    message = await until_received(broker, socket, location(8), {"data", "error"})
    await socket.send(json.dumps({"id": "7", "type": "stop"}))
    completed = await next_message(socket, {"complete"})
    await socket.close()

    assert message["id"] == "7"
    assert message["payload"] == {
        "data": {
            "technicianLocations": {
                "technicianId": encode_id("Technician", 8),
                "location": {"lat": 12.97, "lng": 77.59},
                "recordedAt": AT,
            }
        }
    }
    assert completed == {"type": "complete", "id": "7"}


async def test_graphql_ws_shows_a_technician_only_themselves(
    address: str, settings: Settings, broker: Broker
) -> None:
    socket = await opened(address, "graphql-ws", settings, Role.TECHNICIAN, technician_id=11)
    await socket.send(json.dumps({"id": "1", "type": "start", "payload": {"query": FULL}}))

    message = await until_received(broker, socket, [*location(12), *location(11)], {"data"})
    await socket.close()

    who = message["payload"]["data"]["technicianLocations"]["technicianId"]
    assert who == encode_id("Technician", 11)


async def test_graphql_ws_refuses_a_customer_before_anything_is_sent(
    address: str, settings: Settings, broker: Broker
) -> None:
    socket = await opened(address, "graphql-ws", settings, Role.CUSTOMER, customer_id=5)
    await socket.send(json.dumps({"id": "1", "type": "start", "payload": {"query": FULL}}))

    message = await until_received(broker, socket, location(9), {"data", "error"})
    await socket.close()

    assert message["type"] == "error"
    assert message["id"] == "1"
    assert message["payload"]["extensions"] == {"code": "FORBIDDEN"}


async def test_a_blocked_socket_does_not_hold_up_the_others_nor_grow_its_queue(
    settings: Settings, broker: Broker
) -> None:
    # Given two map subscribers on the fast path, one whose socket never takes a write
    schema = build_schema(settings)._schema
    document = fast_document(FULL, None)
    assert document is not None
    received: list[dict[str, Any]] = []
    blocked = asyncio.Event()

    async def stalled(text: str) -> None:
        blocked.set()
        await asyncio.Event().wait()

    async def quick(text: str) -> None:
        received.append(json.loads(text))

    def follow(write: Any) -> asyncio.Task[None]:
        async def run() -> None:
            _direct.set(Direct(schema, document, None, {}, None, write))
            info: Any = SimpleNamespace(context=SimpleNamespace(broker=broker))
            locations = _locations(info, channels.ALL_LOCATIONS, lambda data: True, None, None)
            async for _ in deliver(locations):
                raise AssertionError("the fast path yields nothing to strawberry")

        return asyncio.create_task(run())

    slow, fast = follow(stalled), follow(quick)
    hub = broker._hub
    for _ in range(100):
        if hub.subscriber_count == 2:
            break
        await asyncio.sleep(0.01)

    # When many technicians move (distinct, so nothing coalesces)
    for technician in range(1, 201):
        await broker.publish_all(location(technician)[:1])
        for _ in range(200):
            if len(received) == technician:
                break
            await asyncio.sleep(0.005)
    queued = [len(queue) for state in hub._channels.values() for queue in state.queues]
    slow.cancel()
    fast.cancel()
    await asyncio.gather(slow, fast, return_exceptions=True)

    # Then the other subscriber got every position, each rendered once for both
    assert blocked.is_set()
    assert len(received) == 200
    assert received[-1]["data"]["technicianLocations"]["technicianId"] == encode_id(
        "Technician", 200
    )
    # and the stalled one holds at most its bound, the oldest dropped
    assert max(queued) == LOCATION_QUEUE
    assert hub.dropped >= 200 - LOCATION_QUEUE - 1


async def test_a_serving_app_freezes_its_long_lived_heap_and_makes_full_collections_rare(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.main, "_collector_tuned", False)
    thresholds = gc.get_threshold()
    served = create_app(settings)
    try:
        # When the app starts serving
        async with served.router.lifespan_context(served):
            # Then what existed at start is out of the collector's way
            assert gc.get_freeze_count() > 0
            assert gc.get_threshold()[2] >= 1000
    finally:
        # (this process goes on building apps without serving them)
        gc.unfreeze()
        gc.set_threshold(*thresholds)


# A payload that fails to render leaves the fast path: strawberry executes it, logs and masks
# its errors as for any subscription, so both paths send the same message.


async def both_paths(
    address: str,
    settings: Settings,
    broker: Broker,
    events: list[Event],
    request_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The first message of the same subscription on the fast path, then on the usual one."""
    messages = []
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(fanout, "fast_document", lambda query, name: None)
        socket = await connect(
            f"ws://{address}/graphql",
            subprotocols=[Subprotocol("graphql-transport-ws")],
            additional_headers={"X-Request-ID": request_id},
        )
        init = {"Authorization": f"Bearer {token(settings, Role.DISPATCHER)}"}
        await socket.send(json.dumps({"type": "connection_init", "payload": init}))
        await socket.recv()
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": FULL}}))
        messages.append(await until_received(broker, socket, events, {"next"}))
        await socket.close()
    return messages[0], messages[1]


async def test_a_payload_that_fails_to_render_gets_the_usual_errors(
    address: str, settings: Settings, broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a position whose latitude is not a number
    bad = [Event(e.channel, e.kind, {**e.data, "lat": "north"}) for e in location(21)]

    # When it goes to a fast-path subscriber and to a usual one
    fast, usual = await both_paths(address, settings, broker, bad, "render-1", monkeypatch)

    # Then both get the same message, the error as graphql-core words it
    assert fast == usual
    assert fast["payload"] == {
        "data": None,
        "errors": [
            {
                "message": "Float cannot represent non numeric value: 'north'",
                "locations": [{"line": 1, "column": 62}],
                "path": ["technicianLocations", "location", "lat"],
            }
        ],
    }


async def test_an_unexpected_render_failure_is_masked_and_logged_with_the_request_id(
    address: str,
    settings: Settings,
    broker: Broker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given positions rendered with a time that cannot be written out
    from schema.tracking import TechnicianLocation

    built = TechnicianLocation.from_event

    def broken(data: dict[str, Any]) -> TechnicianLocation:
        location = built(data)
        location.recorded_at = SimpleNamespace()  # type: ignore[assignment]
        return location

    monkeypatch.setattr(TechnicianLocation, "from_event", broken)
    logged: list[tuple[str, dict[str, Any]]] = []

    class Log:
        def error(self, event: str, **fields: Any) -> None:
            logged.append((event, {**structlog.contextvars.get_contextvars(), **fields}))

    monkeypatch.setattr(extensions, "log", Log())  # where GraphQL errors are logged

    # When one goes to a fast-path subscriber and to a usual one
    fast, usual = await both_paths(address, settings, broker, location(22), "render-2", monkeypatch)

    # Then both get the masked error, and the failure is logged with the request id
    assert fast == usual
    assert fast["payload"]["data"] is None
    assert [(e["message"], e["extensions"]) for e in fast["payload"]["errors"]] == [
        ("Internal error.", {"code": "INTERNAL"})
    ]
    assert [(event, fields["request_id"], fields["path"]) for event, fields in logged] == [
        ("unexpected error", "render-2", ["technicianLocations", "recordedAt"])
    ] * 2
