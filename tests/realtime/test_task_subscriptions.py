"""taskUpdates and taskTracking over WebSocket: who may follow which task, what a customer
sees of their technician and when it stops.

The app serves on loopback with the test's rolled-back transaction; changes are made through
the domain services on the test session and their events published as a commit would, one
step at a time (each awaited on the socket before the next database work)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from app.core.auth import Role
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker, Event, take_pending
from app.core.models import utcnow
from app.main import create_app
from app.tracking import channels
from app.tracking.repository import TrackingView
from app.work_orders import customer as customer_flow
from app.work_orders import offers
from app.work_orders.transitions import Action
from schema.ids import encode_id
from subscriptions.tracking import Watch
from tests.realtime.ws import nothing_within, receive, subscribe
from tests.support import serving
from tests.tracking.journeys import (
    DISPATCHER,
    Journey,
    accepted_task,
    check_in,
    drive,
    en_route_task,
    north_of_site,
    step,
)
from tests.work_orders import factories

UPDATES = """
subscription Updates($taskId: ID, $technicianId: ID, $territoryId: ID) {
  taskUpdates(taskId: $taskId, technicianId: $technicianId, territoryId: $territoryId) {
    fromStatus toStatus actorRole reason
    task { id status }
  }
}
"""
TRACKING = """
subscription Track($taskId: ID!) {
  taskTracking(taskId: $taskId) { taskId status tracking location { lat lng } etaMinutes }
}
"""


@pytest.fixture
async def address(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> AsyncIterator[str]:
    async with serving(create_app(settings, sessions=sessions, broker=broker)) as address:
        yield address


async def publish(session: AsyncSession, broker: Broker) -> list[Event]:
    """What a commit would publish now."""
    events = take_pending(session)
    await broker.publish_all(events)
    return events


async def until_received(
    broker: Broker, socket: ClientConnection, events: list[Event]
) -> dict[str, Any]:
    """Publish `events` until the subscription (which starts asynchronously) gets one."""
    for _ in range(20):
        await broker.publish_all(events)
        try:
            return await receive(socket, 0.25)
        except TimeoutError:
            continue
    raise AssertionError("nothing was delivered")


async def settled() -> None:
    """Let a new subscription finish its access check before the test writes again: the app
    shares the test's connection, and their savepoints must not interleave."""
    await asyncio.sleep(0.3)


def gid(type_name: str, db_id: int | None) -> str:
    assert db_id is not None
    return encode_id(type_name, db_id)


def update_of(message: dict[str, Any]) -> dict[str, Any]:
    assert message["type"] == "next", message
    data: dict[str, Any] = message["payload"]["data"]["taskUpdates"]
    return data


def tracking_of(message: dict[str, Any]) -> dict[str, Any]:
    assert message["type"] == "next", message
    data: dict[str, Any] = message["payload"]["data"]["taskTracking"]
    return data


def error_code(message: dict[str, Any]) -> str:
    assert message["type"] == "error", message
    code: str = message["payload"][0]["extensions"]["code"]
    return code


# --- taskUpdates ---------------------------------------------------------------------------


async def test_a_customer_follows_the_status_of_their_own_task(
    address: str, settings: Settings, session: AsyncSession, broker: Broker
) -> None:
    journey = await accepted_task(session)
    socket = await subscribe(
        address,
        settings,
        Role.CUSTOMER,
        UPDATES,
        {"taskId": gid("Task", journey.task_id)},
        customer_id=journey.customer_id,
    )
    await settled()
    await step(session, journey, Action.START_TRAVEL)
    events = take_pending(session)

    update = update_of(await until_received(broker, socket, events))
    await socket.close()

    assert update == {
        "fromStatus": "ACCEPTED",
        "toStatus": "EN_ROUTE",
        "actorRole": "TECHNICIAN",  # who, by role: the actor is not for customers
        "reason": None,
        "task": {"id": gid("Task", journey.task_id), "status": "EN_ROUTE"},
    }


@pytest.mark.parametrize(
    ("role", "links", "code"),
    [
        (Role.CUSTOMER, {"customer_id": -1}, "NOT_FOUND"),
        (Role.TECHNICIAN, {"technician_id": -1}, "NOT_FOUND"),
        (Role.PARTNER, {"partner_id": -1}, "NOT_FOUND"),
    ],
)
async def test_someone_elses_task_cannot_be_followed(
    address: str,
    settings: Settings,
    session: AsyncSession,
    role: Role,
    links: dict[str, int],
    code: str,
) -> None:
    journey = await accepted_task(session)
    socket = await subscribe(
        address, settings, role, UPDATES, {"taskId": gid("Task", journey.task_id)}, **links
    )

    message = await receive(socket)
    await socket.close()

    assert error_code(message) == code


async def test_a_customer_must_name_the_task(address: str, settings: Settings) -> None:
    socket = await subscribe(address, settings, Role.CUSTOMER, UPDATES, customer_id=1)

    message = await receive(socket)
    await socket.close()

    assert error_code(message) == "INVALID"


async def test_a_technician_may_not_follow_another_technician(
    address: str, settings: Settings
) -> None:
    variables = {"technicianId": gid("Technician", 2)}
    socket = await subscribe(
        address, settings, Role.TECHNICIAN, UPDATES, variables, technician_id=1
    )

    message = await receive(socket)
    await socket.close()

    assert error_code(message) == "FORBIDDEN"


async def test_a_partner_may_not_follow_another_partners_technician(
    address: str, settings: Settings, session: AsyncSession
) -> None:
    journey = await accepted_task(session)
    variables = {"technicianId": gid("Technician", journey.world.technician.id)}
    socket = await subscribe(address, settings, Role.PARTNER, UPDATES, variables, partner_id=1)

    message = await receive(socket)
    await socket.close()

    assert error_code(message) == "FORBIDDEN"


async def test_an_anonymous_socket_may_not_follow_tasks(address: str) -> None:
    socket = await connect(
        f"ws://{address}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    )
    await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
    await receive(socket)
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": UPDATES}}))

    message = await receive(socket)
    await socket.close()

    assert error_code(message) == "UNAUTHENTICATED"


async def test_a_dispatcher_follows_a_territory_and_a_technician_their_own_tasks(
    address: str, settings: Settings, session: AsyncSession, broker: Broker
) -> None:
    journey = await accepted_task(session)
    territory = {"territoryId": gid("Territory", journey.world.territory.id)}
    dispatcher = await subscribe(address, settings, Role.DISPATCHER, UPDATES, territory)
    await settled()
    await step(session, journey, Action.START_TRAVEL)
    events = take_pending(session)
    seen_by_dispatcher = update_of(await until_received(broker, dispatcher, events))
    # one reader at a time on the test's shared connection; the dispatcher skips repeats
    technician = await subscribe(
        address, settings, Role.TECHNICIAN, UPDATES, technician_id=journey.world.technician.id
    )
    seen_by_technician = update_of(await until_received(broker, technician, events))
    await dispatcher.close()
    await technician.close()

    assert seen_by_dispatcher["toStatus"] == seen_by_technician["toStatus"] == "EN_ROUTE"


async def test_a_technician_reassigned_away_stops_receiving_the_task(
    address: str, settings: Settings, session: AsyncSession, broker: Broker
) -> None:
    journey = await accepted_task(session)
    other = await factories.technician(
        session, skills=[(journey.world.skill, 3)], area=journey.world.territory
    )
    socket = await subscribe(
        address,
        settings,
        Role.TECHNICIAN,
        UPDATES,
        {"taskId": gid("Task", journey.task_id)},
        technician_id=journey.world.technician.id,
    )
    assert other.id is not None
    await settled()
    start = utcnow() + timedelta(hours=3)
    await offers.assign_task(session, DISPATCHER, journey.task_id, other.id, start, reason="cover")
    await publish(session, broker)

    message = await receive(socket)
    await socket.close()

    assert message == {"id": "1", "type": "complete"}


# --- taskTracking --------------------------------------------------------------------------


async def follow(address: str, settings: Settings, journey: Journey) -> ClientConnection:
    return await subscribe(
        address,
        settings,
        Role.CUSTOMER,
        TRACKING,
        {"taskId": gid("Task", journey.task_id)},
        customer_id=journey.customer_id,
    )


async def test_a_customer_sees_their_technician_approach_with_an_eta(
    address: str, settings: Settings, session: AsyncSession, broker: Broker
) -> None:
    journey = await en_route_task(session)
    socket = await follow(address, settings, journey)
    first = tracking_of(await receive(socket))
    where = north_of_site(10.0)
    await drive(session, journey, where)
    events = [e for e in take_pending(session) if e.kind == channels.TASK_TRACKING]

    moving = tracking_of(await until_received(broker, socket, events))
    await socket.close()

    assert first == {
        "taskId": gid("Task", journey.task_id),
        "status": "EN_ROUTE",
        "tracking": True,
        "location": None,  # no position reported yet
        "etaMinutes": None,
    }
    assert moving == {
        "taskId": gid("Task", journey.task_id),
        "status": "EN_ROUTE",
        "tracking": True,
        "location": {"lat": where.lat, "lng": where.lng},
        "etaMinutes": 20,
    }


async def test_before_travel_the_customer_sees_the_status_but_no_position(
    address: str, settings: Settings, session: AsyncSession, broker: Broker
) -> None:
    journey = await accepted_task(session)
    await drive(session, journey, north_of_site(8.0))
    take_pending(session)
    socket = await follow(address, settings, journey)

    first = tracking_of(await receive(socket))
    await socket.close()

    assert first["status"] == "ACCEPTED"
    assert first["tracking"] is False
    assert first["location"] is None


@pytest.mark.parametrize(
    ("role", "links", "code"),
    [
        (Role.CUSTOMER, {"customer_id": -1}, "NOT_FOUND"),
        (Role.TECHNICIAN, {"technician_id": 1}, "FORBIDDEN"),
        (Role.PARTNER, {"partner_id": 1}, "FORBIDDEN"),
    ],
)
async def test_nobody_else_follows_a_customers_technician(
    address: str,
    settings: Settings,
    session: AsyncSession,
    role: Role,
    links: dict[str, int],
    code: str,
) -> None:
    journey = await en_route_task(session)
    variables = {"taskId": gid("Task", journey.task_id)}
    socket = await subscribe(address, settings, role, TRACKING, variables, **links)

    message = await receive(socket)
    await socket.close()

    assert error_code(message) == code


async def test_a_position_of_another_technician_is_never_shown(
    address: str, settings: Settings, session: AsyncSession, broker: Broker
) -> None:
    journey = await en_route_task(session)
    socket = await follow(address, settings, journey)
    await receive(socket)
    stranger = Event(
        channels.task_tracking(journey.task_id),
        channels.TASK_TRACKING,
        {
            "task_id": journey.task_id,
            "technician_id": -5,
            "status": "EN_ROUTE",
            "lat": 1.0,
            "lng": 1.0,
            "recorded_at": utcnow().isoformat(),
            "eta_minutes": 3,
        },
    )
    await drive(session, journey, north_of_site(2.0))
    own = [e for e in take_pending(session) if e.kind == channels.TASK_TRACKING]

    await broker.publish_all([stranger])
    seen = tracking_of(await until_received(broker, socket, own))
    await socket.close()

    assert seen["location"] == {"lat": north_of_site(2.0).lat, "lng": north_of_site(2.0).lng}


async def test_the_stream_ends_when_work_starts(
    address: str, settings: Settings, session: AsyncSession, broker: Broker
) -> None:
    journey = await en_route_task(session)
    socket = await follow(address, settings, journey)
    await receive(socket)
    await check_in(session, journey)
    on_site = tracking_of(await until_received(broker, socket, take_pending(session)))

    await step(session, journey, Action.START_WORK)
    await publish(session, broker)
    final = tracking_of(await receive(socket))
    completed = await receive(socket)

    assert on_site["status"] == "ON_SITE"
    assert on_site["tracking"] is True
    assert final == {
        "taskId": gid("Task", journey.task_id),
        "status": "IN_PROGRESS",
        "tracking": False,
        "location": None,
        "etaMinutes": None,
    }
    assert completed == {"id": "1", "type": "complete"}
    assert await nothing_within(socket, 0.2)


async def test_the_stream_ends_when_the_visit_is_rescheduled_on_the_way(
    address: str, settings: Settings, session: AsyncSession, broker: Broker
) -> None:
    journey = await en_route_task(session)
    socket = await follow(address, settings, journey)
    await receive(socket)
    later = utcnow() + timedelta(days=2)
    await customer_flow.reschedule_task(
        session, DISPATCHER, journey.task_id, (later, later + timedelta(hours=2))
    )
    events = take_pending(session)

    final = tracking_of(await until_received(broker, socket, events))
    completed = await receive(socket)

    assert final["tracking"] is False
    assert final["location"] is None
    assert completed["type"] == "complete"


def view(status: str, technician_id: int | None) -> TrackingView:
    return TrackingView(1, 2, status, technician_id, None, None, None, None)


def test_a_technician_swapped_while_travelling_ends_the_stream() -> None:
    watch = Watch(view("EN_ROUTE", 7))
    assert watch.update(view("EN_ROUTE", 7))

    assert watch.update(view("EN_ROUTE", 8)) is False
    assert watch.shows({"technician_id": 7, "status": "EN_ROUTE"}) is False


def test_a_technician_swapped_before_travel_keeps_the_customer_waiting() -> None:
    watch = Watch(view("ACCEPTED", 7))
    assert watch.update(view("ACCEPTED", 7))

    assert watch.update(view("DISPATCHED", 8))
    assert watch.shows({"technician_id": 8, "status": "EN_ROUTE"}) is False
