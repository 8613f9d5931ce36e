"""Loopback receivers for notification tests: an HTTP provider and an SMTP server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.core.auth import Principal, Role
from app.core.models import utcnow
from app.notifications.models import Channel, NotificationProvider
from app.work_orders import offers
from app.work_orders.models import Task, TaskCreate, TaskType
from app.work_orders.service import create_task
from app.work_orders.transitions import Actor
from tests.support import serving
from tests.work_orders import factories

DISPATCHER = Principal(subject="test:dispatcher", role=Role.DISPATCHER, name="Dispatcher")


@dataclass
class HttpReceiver:
    """Records every POST; answers `fail_with` for the first `failures` calls. Deduplicates on
    the Idempotency-Key header, as a provider does."""

    failures: int = 0
    fail_with: int = 500
    requests: list[dict[str, Any]] = field(default_factory=list)
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)
    address: str = ""

    @property
    def url(self) -> str:
        return f"http://{self.address}/send"

    async def handle(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        key = request.headers.get("idempotency-key", "")
        self.requests.append({"headers": dict(request.headers), "body": body})
        if self.failures > 0:
            self.failures -= 1
            return JSONResponse({"error": "try later"}, status_code=self.fail_with)
        self.accepted.setdefault(key, body)
        return JSONResponse({"id": f"prov-{len(self.accepted)}"})


@asynccontextmanager
async def http_receiver(**kw: Any) -> AsyncIterator[HttpReceiver]:
    receiver = HttpReceiver(**kw)
    app = Starlette(routes=[Route("/send", receiver.handle, methods=["POST"])])
    async with serving(app) as address:
        receiver.address = address
        yield receiver


@dataclass
class SmtpReceiver:
    """A minimal SMTP server on loopback that keeps what it receives."""

    messages: list[str] = field(default_factory=list)
    port: int = 0

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def reply(line: str) -> None:
            writer.write(f"{line}\r\n".encode())
            await writer.drain()

        await reply("220 localhost ready")
        while line := (await reader.readline()).decode(errors="replace"):
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                await reply("250 localhost")
            elif verb == "DATA":
                await reply("354 end with .")
                lines = []
                while (chunk := (await reader.readline()).decode()) not in (".\r\n", ""):
                    lines.append(chunk)
                self.messages.append("".join(lines))
                await reply("250 queued")
            elif verb == "QUIT":
                await reply("221 bye")
                break
            else:
                await reply("250 ok")
        writer.close()


@asynccontextmanager
async def smtp_receiver() -> AsyncIterator[SmtpReceiver]:
    receiver = SmtpReceiver()
    server = await asyncio.start_server(receiver.session, "127.0.0.1", 0)
    receiver.port = server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        server.close()
        await server.wait_closed()


async def provider(
    session: AsyncSession, channel: Channel, config: dict[str, Any]
) -> NotificationProvider:
    row = NotificationProvider(channel=channel, config=config)
    session.add(row)
    await session.flush()
    return row


async def task_for(session: AsyncSession, w: factories.World) -> Task:
    data = TaskCreate.model_validate(
        {
            "type": TaskType.REPAIR,
            "customer_id": w.customer.id,
            "site_id": w.site.id,
            "duration_minutes": 60,
            "window_start": utcnow() + timedelta(hours=3),
            "window_end": utcnow() + timedelta(hours=6),
        }
    )
    return await create_task(session, Actor.of(DISPATCHER), data)


async def scheduled_task(session: AsyncSession, w: factories.World) -> Task:
    task = await task_for(session, w)
    assert task.id is not None and w.technician.id is not None
    task, _ = await offers.assign_task(
        session, DISPATCHER, task.id, w.technician.id, utcnow() + timedelta(hours=3, minutes=30)
    )
    return task
