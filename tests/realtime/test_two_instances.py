"""Two server processes sharing PostgreSQL and Redis: a ping reported through instance A
reaches a technicianLocations subscriber on instance B. Uses its own committed database,
since the suite's rolled-back transaction is invisible to other processes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from app.core.auth import Role
from app.core.config import Settings
from bench.realtime import (
    REPORT,
    ServerProcess,
    batch,
    bearer,
    database_beside,
    fresh_database,
    seed_tracked_technicians,
)
from schema.ids import encode_id
from tests.realtime.redis_server import RedisServer

FOLLOW = "subscription { technicianLocations { technicianId location { lat lng } } }"


@pytest.fixture
def instances(
    settings: Settings, redis_server: RedisServer
) -> Iterator[tuple[ServerProcess, ServerProcess, int]]:
    database = database_beside(settings.database_url, "realtime_e2e")
    asyncio.run(fresh_database(database))
    _, (technician,) = asyncio.run(seed_tracked_technicians(database, 1))
    a, b = (
        ServerProcess(database, redis_server.url),
        ServerProcess(database, redis_server.url),
    )
    a.start()
    try:
        b.start()
        yield a, b, technician
    finally:
        b.stop()
        a.stop()


def test_a_ping_through_instance_a_reaches_a_subscriber_on_instance_b(
    instances: tuple[ServerProcess, ServerProcess, int],
) -> None:
    a, b, technician = instances

    async def scenario() -> dict[str, object]:
        async with (
            connect(
                f"ws://{b.address}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
            ) as socket,
            httpx.AsyncClient(base_url=f"http://{a.address}") as http,
        ):
            auth = {"Authorization": bearer(Role.DISPATCHER)}
            await socket.send(json.dumps({"type": "connection_init", "payload": auth}))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            await socket.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": FOLLOW}})
            )
            headers = {"Authorization": bearer(Role.TECHNICIAN, technician_id=technician)}
            for n in range(40):  # the subscription starts asynchronously on B
                at = datetime.now(UTC) - timedelta(seconds=60 - n)
                body = {"query": REPORT, "variables": {"input": {"pings": batch(at, 1)}}}
                response = (await http.post("/graphql", json=body, headers=headers)).json()
                assert response["data"]["reportLocations"]["accepted"] == 1
                try:
                    message: dict[str, object] = json.loads(
                        await asyncio.wait_for(socket.recv(), 0.25)
                    )
                    return message
                except TimeoutError:
                    continue
        raise AssertionError("instance B delivered nothing")

    message = asyncio.run(asyncio.wait_for(scenario(), 30))

    assert message["type"] == "next"
    assert message["payload"] == {
        "data": {
            "technicianLocations": {
                "technicianId": encode_id("Technician", technician),
                "location": {"lat": 12.97, "lng": 77.59},
            }
        }
    }
