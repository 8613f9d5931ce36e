"""Killing the server between commit and send loses nothing and sends nothing twice.

A real server process commits an assignment (its notifications in the same transaction); its
worker claims them and starts sending; the provider accepts the first message but the answer
never comes back, and the process is killed with SIGKILL. A second server process takes over
once the leases expire: every message reaches the provider exactly once (the repeated send
carries the same idempotency key, which the provider uses to drop the duplicate). Uses its own
committed database, since the suite's rolled-back transaction is invisible to other processes.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.core.auth import Role
from app.core.config import Settings
from app.core.models import utcnow
from app.notifications.models import Channel, NotificationProvider
from bench.realtime import ServerProcess, bearer, database_beside, fresh_database
from schema.ids import encode_id
from tests.notifications.support import task_for
from tests.support import serving
from tests.work_orders import factories

ASSIGN = """mutation($input: AssignTaskInput!) {
  assignTask(input: $input) { task { status } userErrors { code message } } }"""


class StallingProvider:
    """Accepts every message once per idempotency key; the very first request is accepted and
    then left hanging, so its sender never learns the outcome."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.accepted: dict[str, dict[str, Any]] = {}
        self.first_arrived = asyncio.Event()
        self.release = asyncio.Event()

    async def handle(self, request: Request) -> JSONResponse:
        key = request.headers["idempotency-key"]
        self.requests.append(key)
        self.accepted.setdefault(key, json.loads(await request.body()))
        if len(self.requests) == 1:
            self.first_arrived.set()
            await self.release.wait()
        return JSONResponse({"id": f"prov-{key}"})


@asynccontextmanager
async def provider_app() -> AsyncIterator[tuple[StallingProvider, str]]:
    provider = StallingProvider()
    app = Starlette(routes=[Route("/send", provider.handle, methods=["POST"])])
    async with serving(app) as address:
        try:
            yield provider, f"http://{address}/send"
        finally:
            provider.release.set()


async def seed(url: str) -> tuple[int, int]:
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            w = await factories.world(session)
            w.customer.whatsapp = "+91 98450 00077"
            session.add(NotificationProvider(channel=Channel.WHATSAPP, config={"url": url}))
            task = await task_for(session, w)
            await session.execute(
                sa.text("UPDATE communication_policies SET value = '2' WHERE key = 'lease_seconds'")
            )
            await session.execute(  # no reminders in this scenario
                sa.text(
                    "UPDATE communication_policies SET value = '0'"
                    " WHERE key = 'reminder_hours_before'"
                )
            )
            await session.commit()
            assert task.id is not None and w.technician.id is not None
            return task.id, w.technician.id
    finally:
        await engine.dispose()


async def outbox(url: str) -> list[tuple[str, str, int]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.text("SELECT idempotency_key, status, attempts FROM notifications ORDER BY id")
            )
            return [(r[0], r[1], r[2]) for r in rows]
    finally:
        await engine.dispose()


async def point_provider_at(url: str, provider_url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text("UPDATE notification_providers SET config = CAST(:c AS jsonb)"),
                {"c": json.dumps({"url": provider_url})},
            )
    finally:
        await engine.dispose()


@pytest.fixture
def jobs_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUN_JOBS", "true")
    monkeypatch.setenv("NOTIFICATIONS_DELIVERY_INTERVAL_SECONDS", "0.2")


async def test_a_server_killed_between_commit_and_send_loses_nothing(
    jobs_env: None, settings: Settings
) -> None:
    database = database_beside(settings.database_url, "comms_e2e")
    await fresh_database(database)
    task_id, technician_id = await seed(database)
    first = ServerProcess(database, jobs=True)
    second = ServerProcess(database, jobs=True)
    async with provider_app() as (provider, provider_url):
        await point_provider_at(database, provider_url)
        await asyncio.to_thread(first.start)
        try:
            # given an assignment committed through a real server
            variables = {
                "input": {
                    "taskId": encode_id("Task", task_id),
                    "technicianId": encode_id("Technician", technician_id),
                    "start": (utcnow() + timedelta(hours=3, minutes=30)).isoformat(),
                }
            }
            async with httpx.AsyncClient(base_url=f"http://{first.address}") as http:
                body = await http.post(
                    "/graphql",
                    json={"query": ASSIGN, "variables": variables},
                    headers={"Authorization": bearer(Role.DISPATCHER)},
                )
            assert body.json()["data"]["assignTask"]["userErrors"] == []
            # when its worker is mid-send, the process is killed outright
            await asyncio.wait_for(provider.first_arrived.wait(), timeout=30)
            assert first.process is not None
            os.kill(first.process.pid, signal.SIGKILL)
            first.process.wait(timeout=10)
            in_flight = provider.requests[0]
        finally:
            first.stop()
        committed = await outbox(database)
        assert len(committed) == 3  # request received, scheduled, confirmation request
        statuses = {key: status for key, status, _ in committed}
        assert statuses[in_flight] == "SENDING"
        assert set(statuses.values()) <= {"SENDING", "PENDING"}  # claimed or not yet
        # then a new server's worker takes over once the leases expire
        await asyncio.to_thread(second.start)
        try:
            for _ in range(150):
                rows = await outbox(database)
                if all(status == "SENT" for _, status, _ in rows):
                    break
                await asyncio.sleep(0.2)
        finally:
            second.stop()
    # and every message reached the provider exactly once
    rows = await outbox(database)
    assert [status for _, status, _ in rows] == ["SENT"] * 3
    assert sorted(provider.accepted) == sorted(key for key, _, _ in rows)
    # the interrupted one was sent again under the same key, and dropped as a duplicate
    assert provider.requests.count(in_flight) == 2
    assert {key: attempts for key, _, attempts in rows}[in_flight] == 2
