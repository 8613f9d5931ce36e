"""SIGTERM stops `fieldgraph serve` gracefully: requests under way finish and their writes are
kept, subscribers are told to reconnect (1012), and the process exits 0 within the grace."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import IO

import httpx
import pytest
import sqlalchemy as sa
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from app.core.auth import Role
from app.core.config import Settings
from app.core.db import SessionFactory
from app.service_requests.models import ServiceRequest
from schema.ids import encode_id
from tests.support import token
from tests.work_orders import factories

GRACE_SECONDS = 10
CLIENTS = 12
MAX_REQUESTS_PER_CLIENT = 60
CREATE = """
mutation Create($input: CreateServiceRequestInput!) {
  createServiceRequest(input: $input) { serviceRequest { id externalRef } userErrors { code } }
}
"""


@dataclass
class Server:
    process: subprocess.Popen[str]
    address: str
    output: list[str] = field(default_factory=list)


def wait_for_address(process: subprocess.Popen[str], output: list[str]) -> str:
    stream: IO[str] | None = process.stdout
    assert stream is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line and process.poll() is not None:
            break
        output.append(line)
        found = re.search(r"listening on http://(127\.0\.0\.1:\d+)/graphql", line)
        if found:
            return found.group(1)
    raise AssertionError("the server did not start:\n" + "".join(output))


def start(settings: Settings, database: str, *options: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "ENV": "test",
        "DATABASE_URL": database,
        "JWT_SECRET": settings.jwt_secret,
        "SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
        # No job worker: rows other tests committed here (webhooks, notifications) must not be
        # acted on; the worker's own stop is tested with the job engine.
        "RUN_JOBS": "false",
        "LOG_JSON": "false",
        "LOG_LEVEL": "INFO",
        "RATE_LIMIT_PER_TOKEN": "0",
    }
    env.pop("REDIS_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", "0", *options],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


@pytest.fixture
def server(settings: Settings, committed_database: str) -> Iterator[Server]:
    process = start(settings, committed_database)
    output: list[str] = []
    try:
        yield Server(process, wait_for_address(process, output), output)
    finally:
        stop(process)


@pytest.fixture
async def site_of_a_customer(committed_sessions: SessionFactory) -> AsyncIterator[dict[str, str]]:
    async with committed_sessions() as session:
        world = await factories.world(session)
        await session.commit()
    yield {
        "customerId": encode_id("Customer", world.customer.id),
        "siteId": encode_id("Site", world.site.id),
    }


@dataclass
class Outcome:
    ref: str
    sent_at: float
    answered_at: float | None = None  # None: the connection failed, no response


async def client_loop(
    address: str, headers: dict[str, str], site: dict[str, str], tag: str, log: list[Outcome]
) -> None:
    """Creates requests one after another until the server stops answering."""
    async with httpx.AsyncClient(base_url=f"http://{address}", headers=headers) as http:
        for n in range(MAX_REQUESTS_PER_CLIENT):
            ref = f"{tag}-{n}"
            outcome = Outcome(ref, time.monotonic())
            log.append(outcome)
            variables = {
                "input": {
                    **site,
                    "channel": "PHONE",
                    "category": "REPAIR",
                    "description": "No cooling since the morning",
                    "externalRef": ref,
                    "idempotencyKey": ref,
                }
            }
            try:
                response = await http.post(
                    "/graphql", json={"query": CREATE, "variables": variables}
                )
            except httpx.TransportError:
                return  # not accepted: the server had stopped listening or closed the socket
            body = response.json()
            assert response.status_code == 200, body
            payload = body["data"]["createServiceRequest"]
            assert payload["userErrors"] == [], payload
            assert payload["serviceRequest"]["externalRef"] == ref
            outcome.answered_at = time.monotonic()


async def test_sigterm_finishes_what_was_accepted_closes_subscriptions_and_exits_0(
    server: Server,
    settings: Settings,
    committed_sessions: SessionFactory,
    site_of_a_customer: dict[str, str],
) -> None:
    dispatcher = {"Authorization": f"Bearer {token(settings, Role.DISPATCHER)}"}
    tag = f"graceful-{time.time_ns()}"

    # Given an open subscription
    socket = await connect(
        f"ws://{server.address}/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
        open_timeout=10,
    )
    await socket.send(json.dumps({"type": "connection_init", "payload": dispatcher}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "connection_ack"
    subscribe = {"query": "subscription { alerts { kind } }"}
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))

    # and clients creating service requests one after another, several at once
    log: list[Outcome] = []
    clients = [
        asyncio.create_task(
            client_loop(server.address, dispatcher, site_of_a_customer, f"{tag}-{c}", log)
        )
        for c in range(CLIENTS)
    ]
    for _ in range(200):  # until each client has had answers
        await asyncio.sleep(0.05)
        if sum(o.answered_at is not None for o in log) >= 2 * CLIENTS:
            break

    # When the server is told to stop
    signalled = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    returncode = await asyncio.to_thread(server.process.wait, GRACE_SECONDS + 5)
    stopped_after = time.monotonic() - signalled
    await asyncio.wait_for(asyncio.gather(*clients), 10)

    # Then the subscriber was asked to reconnect elsewhere: close code 1012, service restart
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012

    # and the process exited 0 within the grace period
    rest = server.process.stdout.read() if server.process.stdout else ""
    assert returncode == 0, "".join(server.output) + rest
    assert stopped_after < GRACE_SECONDS

    # and requests were under way when the signal came: they got their whole answer
    answered = {o.ref for o in log if o.answered_at is not None}
    assert [o for o in log if o.sent_at < signalled < (o.answered_at or 0)], "none in flight"
    assert len(log) <= CLIENTS * MAX_REQUESTS_PER_CLIENT

    # and exactly the answered requests are in the database: nothing lost, nothing half-done
    async with committed_sessions() as session:
        saved = await session.scalars(
            sa.select(ServiceRequest.external_ref).where(sa.column("external_ref").like(f"{tag}-%"))
        )
        assert set(saved.all()) == answered


def test_workers_share_one_port_and_all_stop_on_sigterm(
    settings: Settings, committed_database: str
) -> None:
    # Given `fieldgraph serve --workers 2`
    process = start(settings, committed_database, "--workers", "2")
    output: list[str] = []
    try:
        address = wait_for_address(process, output)
        assert process.stdout is not None
        deadline = time.monotonic() + 90
        while sum("started" in line for line in output) < 2 and time.monotonic() < deadline:
            output.append(process.stdout.readline())
        assert sum("started" in line for line in output) == 2, "".join(output)

        # When requests are served on the one port, then the supervisor is told to stop
        with httpx.Client(base_url=f"http://{address}") as http:
            for _ in range(4):
                assert http.get("/healthz").json() == {"status": "ok"}
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=GRACE_SECONDS + 10)

        # Then both workers stopped and the supervisor exited 0 within the grace period
        rest = process.stdout.read()
        assert returncode == 0, "".join(output) + rest
        assert time.monotonic() - signalled < GRACE_SECONDS + 2
    finally:
        stop(process)
