"""The yardstick for the API's per-request cost: a plain Starlette + asyncpg endpoint that
answers the technicians page (`{ technicians(first: 20) { edges { node { id name } } } }`)
with the same JSON from the same rows, and nothing else: no GraphQL, no auth, no ORM.

    python -m bench.plain_api DATABASE_URL PORT

bench/api.py serves it beside the real API and compares server CPU per request.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.core.bootstrap import _plain_dsn

PAGE = "SELECT id, name FROM technicians WHERE archived_at IS NULL ORDER BY id LIMIT 20"
"""What a dispatcher's page shows: every technician not archived, by id."""


def create_plain_app(database_url: str) -> Starlette:
    pool: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool["pool"] = await asyncpg.create_pool(_plain_dsn(database_url), min_size=1, max_size=10)
        try:
            yield
        finally:
            await pool["pool"].close()

    async def technicians(request: Request) -> Response:
        await request.body()
        async with pool["pool"].acquire() as connection:
            rows = await connection.fetch(PAGE)
        edges = [
            {
                "node": {
                    "id": base64.urlsafe_b64encode(f"Technician:{row['id']}".encode())
                    .decode()
                    .rstrip("="),
                    "name": row["name"],
                }
            }
            for row in rows
        ]
        body = json.dumps({"data": {"technicians": {"edges": edges}}}, separators=(",", ":"))
        return Response(body, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response("ok")

    return Starlette(
        routes=[
            Route("/graphql", technicians, methods=["POST"]),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )


if __name__ == "__main__":
    import uvicorn

    url, port = sys.argv[1], int(sys.argv[2])
    uvicorn.run(
        create_plain_app(url), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
