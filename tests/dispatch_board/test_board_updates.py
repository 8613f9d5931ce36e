"""dispatchBoardUpdates over WebSocket: two dispatchers on one territory's board see each
other's moves and pins; other roles are refused.

The app serves the committed database: each mutation really commits, as in production, so
the subscription's reads and the dispatchers' writes run in their own transactions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import ClientConnection

from app.core.auth import Role
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker
from app.main import create_app
from tests.dispatch_board.factories import assigned, day, gid, tomorrow_at
from tests.realtime.ws import nothing_within, receive, subscribe
from tests.support import GraphQLClient, serving

UPDATES = """
subscription Board($territoryId: ID!) {
  dispatchBoardUpdates(territoryId: $territoryId) {
    action pinned actorRole actorName
    task { id status scheduledStart technician { id } }
  }
}
"""
MOVE = """
mutation Move($input: MoveAssignmentInput!) {
  moveAssignment(input: $input) { applied userErrors { code message } }
}
"""
PIN = """
mutation Pin($input: PinAssignmentsInput!) {
  pinAssignments(input: $input) { userErrors { code message } }
}
"""


@pytest.fixture
async def live(
    settings: Settings, committed_sessions: SessionFactory, broker: Broker
) -> AsyncIterator[tuple[str, GraphQLClient]]:
    """The app on the committed database: its address, and a client calling it over HTTP."""
    app = create_app(settings, sessions=committed_sessions, broker=broker)
    async with serving(app) as address, httpx.AsyncClient(base_url=f"http://{address}") as http:
        yield address, GraphQLClient(http, settings)


@pytest.fixture
def address(live: tuple[str, GraphQLClient]) -> str:
    return live[0]


def update_of(message: dict[str, Any]) -> dict[str, Any]:
    assert message["type"] == "next", message
    data: dict[str, Any] = message["payload"]["data"]["dispatchBoardUpdates"]
    return data


async def _listening(gql: GraphQLClient, socket: ClientConnection, task_gid: str) -> None:
    """Pin (harmless to repeat) until the new subscription hears it: it starts asynchronously."""
    for _ in range(20):
        payload = await gql.mutate(PIN, {"taskIds": [task_gid], "pinned": True})
        assert payload["userErrors"] == []
        try:
            update = update_of(await receive(socket, 0.3))
        except TimeoutError:
            continue
        assert update["action"] == "PIN" and update["pinned"] is True
        while not await nothing_within(socket, 0.2):
            pass  # the repeats of the pin
        return
    raise AssertionError("the subscription never started")


async def test_a_dispatcher_sees_another_dispatchers_move_and_pin(
    committed_sessions: SessionFactory, settings: Settings, live: tuple[str, GraphQLClient]
) -> None:
    # given two technicians' day and a second dispatcher watching the board
    address, gql = live
    async with committed_sessions() as session, session.begin():
        d = await day(session, technicians=2)
        task = await assigned(session, d, d.technicians[0], 9)
        other = await assigned(session, d, d.technicians[1], 12)
    watching = await subscribe(
        address,
        settings,
        Role.DISPATCHER,
        UPDATES,
        {"territoryId": gid("Territory", d.territory.id)},
    )
    first = gql.as_role(Role.DISPATCHER)
    await _listening(first, watching, gid("Task", other.id))

    # when the first dispatcher drags the task to the other technician at 14:00
    moved = await first.mutate(
        MOVE,
        {
            "taskId": gid("Task", task.id),
            "technicianId": gid("Technician", d.technicians[1].id),
            "start": tomorrow_at(14).isoformat(),
            "expectedVersion": task.version,
        },
    )
    assert moved == {"applied": True, "userErrors": []}

    # then the watcher gets the move, with the task where it is now
    update = update_of(await receive(watching))
    assert update["action"] == "ASSIGN"
    assert update["actorRole"] == "DISPATCHER"
    assert update["task"]["id"] == gid("Task", task.id)
    assert update["task"]["technician"]["id"] == gid("Technician", d.technicians[1].id)
    assert update["task"]["status"] == "DISPATCHED"

    # and then an unpin
    unpinned = await first.mutate(PIN, {"taskIds": [gid("Task", other.id)], "pinned": False})
    assert unpinned["userErrors"] == []
    update = update_of(await receive(watching))
    assert (update["action"], update["pinned"]) == ("UNPIN", False)

    # and a pin again: a pin leaves the task's version as it was, and is still news
    repinned = await first.mutate(PIN, {"taskIds": [gid("Task", other.id)], "pinned": True})
    assert repinned["userErrors"] == []
    update = update_of(await receive(watching))
    assert (update["action"], update["pinned"]) == ("PIN", True)
    await watching.close()


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.CUSTOMER, Role.PARTNER, Role.AGENT])
async def test_only_board_readers_may_subscribe(
    session: AsyncSession, settings: Settings, address: str, role: Role
) -> None:
    d = await day(session, technicians=1)
    socket = await subscribe(
        address, settings, role, UPDATES, {"territoryId": gid("Territory", d.territory.id)}
    )
    message = await receive(socket)
    assert message["type"] in {"error", "next"}, message
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    await socket.close()


async def test_an_unknown_territory_is_refused(settings: Settings, address: str) -> None:
    socket = await subscribe(
        address, settings, Role.MANAGER, UPDATES, {"territoryId": gid("Territory", 10**12)}
    )
    message = await receive(socket)
    assert message["type"] == "error", message
    assert message["payload"][0]["extensions"]["code"] == "NOT_FOUND"
    await socket.close()
    await asyncio.sleep(0)
