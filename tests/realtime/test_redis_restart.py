"""Two server processes sharing PostgreSQL and a private Redis that is killed and restarted
while a task changes through instance A: a taskUpdates subscriber on instance B receives
every change, in order, including the one made while Redis was down and the one made right
after it returned, before B had subscribed again. Uses its own committed database, since the
suite's rolled-back transaction is invisible to other processes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from app.core.auth import Role
from app.core.config import Settings
from app.core.models import utcnow
from app.work_orders import channels, offers
from app.work_orders.models import TaskCreate, TaskType
from app.work_orders.service import create_task
from app.work_orders.transitions import Actor
from bench.realtime import ServerProcess, bearer, database_beside, fresh_database
from schema.ids import encode_id
from tests.realtime.redis_server import RedisServer
from tests.tracking.journeys import DISPATCHER
from tests.work_orders import factories

UPDATES = """subscription($taskId: ID) {
  taskUpdates(taskId: $taskId) { fromStatus toStatus task { id status } } }"""
STEP = """mutation($input: TaskStepInput!) {
  %s(input: $input) { task { status } userErrors { code message } } }"""


async def assigned_task(url: str) -> tuple[int, int]:
    """A committed task assigned (DISPATCHED) to a technician: (task id, technician id)."""
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            w = await factories.world(session)
            data = TaskCreate.model_validate(
                {"type": TaskType.REPAIR, "customer_id": w.customer.id, "site_id": w.site.id}
            )
            task = await create_task(session, Actor.of(DISPATCHER), data)
            assert task.id is not None and w.technician.id is not None
            start = utcnow() + timedelta(minutes=30)
            await offers.assign_task(session, DISPATCHER, task.id, w.technician.id, start)
            await session.commit()
            return task.id, w.technician.id
    finally:
        await engine.dispose()


@pytest.fixture
def instances(
    settings: Settings, redis_server: RedisServer
) -> Iterator[tuple[ServerProcess, ServerProcess, int, int]]:
    database = database_beside(settings.database_url, "realtime_restart")
    asyncio.run(fresh_database(database))
    task_id, technician_id = asyncio.run(assigned_task(database))
    a, b = ServerProcess(database, redis_server.url), ServerProcess(database, redis_server.url)
    a.start()
    try:
        b.start()
        yield a, b, task_id, technician_id
    finally:
        b.stop()
        a.stop()


@asynccontextmanager
async def following(address: str, task_id: int) -> AsyncIterator[ClientConnection]:
    async with connect(
        f"ws://{address}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as socket:
        auth = {"Authorization": bearer(Role.DISPATCHER)}
        await socket.send(json.dumps({"type": "connection_init", "payload": auth}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        payload = {"query": UPDATES, "variables": {"taskId": encode_id("Task", task_id)}}
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        yield socket


async def subscribers(redis_url: str, channel: str) -> int:
    client = Redis.from_url(redis_url)
    try:
        ((_, count),) = await client.pubsub_numsub(channel)
        return int(count)
    finally:
        await client.aclose()


async def until_subscribed(redis_url: str, channel: str, within: float) -> None:
    async def poll() -> None:
        while await subscribers(redis_url, channel) == 0:  # noqa: ASYNC110 - polling Redis
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), within)


def test_every_task_change_reaches_the_other_instance_across_a_redis_restart(
    instances: tuple[ServerProcess, ServerProcess, int, int], redis_server: RedisServer
) -> None:
    a, b, task_id, technician_id = instances
    channel = channels.task_channel(task_id)
    technician = {"Authorization": bearer(Role.TECHNICIAN, technician_id=technician_id)}
    step_input = {"input": {"taskId": encode_id("Task", task_id)}}

    async def step(http: httpx.AsyncClient, mutation: str) -> None:
        body = {"query": STEP % mutation, "variables": step_input}
        response = (await http.post("/graphql", json=body, headers=technician)).json()
        assert response["data"][mutation]["userErrors"] == [], response

    async def scenario() -> list[dict[str, Any]]:
        async with (
            following(b.address, task_id) as socket,
            httpx.AsyncClient(base_url=f"http://{a.address}", timeout=30) as http,
        ):
            # given a subscriber on B, listening
            await until_subscribed(redis_server.url, channel, 30)

            # when Redis dies, the task is accepted through A meanwhile
            redis_server.kill()
            await step(http, "acceptTask")
            await asyncio.sleep(1.5)  # B's reconnect attempts back off meanwhile
            # and, as soon as Redis is back, the technician sets off
            redis_server.start()
            await step(http, "startTravel")

            received: list[dict[str, Any]] = []
            while len(received) < 2:
                message = json.loads(await asyncio.wait_for(socket.recv(), 15))
                assert message["type"] == "next", message
                received.append(message["payload"]["data"]["taskUpdates"])
            return received

    received = asyncio.run(asyncio.wait_for(scenario(), 120))

    # then B delivered both changes, in order
    assert [(r["fromStatus"], r["toStatus"]) for r in received] == [
        ("DISPATCHED", "ACCEPTED"),
        ("ACCEPTED", "EN_ROUTE"),
    ]
