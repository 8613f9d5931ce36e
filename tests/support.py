"""Small helpers shared by every domain's tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.core.auth import Principal, Role, issue_token
from app.core.config import Settings


def token(settings: Settings, role: Role, **links: int | None) -> str:
    principal = Principal(
        subject=f"test:{role.value.lower()}", role=role, name=f"Test {role.value.title()}", **links
    )  # type: ignore[arg-type]
    return issue_token(settings, principal)


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient
    settings: Settings
    role: Role | None = Role.ADMIN
    links: dict[str, int | None] = field(default_factory=dict)

    def as_role(self, role: Role | None, **links: int | None) -> GraphQLClient:
        """The same client, calling as another role (None: anonymous)."""
        return GraphQLClient(self.http, self.settings, role, links)

    def headers(self) -> dict[str, str]:
        if self.role is None:
            return {}
        return {"Authorization": f"Bearer {token(self.settings, self.role, **self.links)}"}

    async def raw(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=self.headers()
        )
        body: dict[str, Any] = response.json()
        return body

    async def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run an operation that must not fail at the GraphQL level; returns `data`."""
        body = await self.raw(query, variables)
        assert "errors" not in body, body.get("errors")
        data: dict[str, Any] = body["data"]
        return data

    async def mutate(self, query: str, input: dict[str, Any]) -> dict[str, Any]:
        """Run a one-field mutation with `$input`; returns that field's payload."""
        data = await self(query, {"input": input})
        (payload,) = data.values()
        result: dict[str, Any] = payload
        return result


def error_codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


@dataclass
class StatementCounter:
    executed: list[str] = field(default_factory=list)

    def count(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            self.executed.append(statement)

    def reset(self) -> None:
        self.executed.clear()

    @property
    def total(self) -> int:
        return len(self.executed)


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a free loopback port for the duration; yields host:port."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(100):
            if server.started:
                break
            await asyncio.sleep(0.02)
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        yield f"{host}:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=5)
