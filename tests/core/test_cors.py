"""Browser apps on other origins: CORS on HTTP and the same policy on WebSocket handshakes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app.core.auth import Role
from app.core.config import DEV_CORS_ORIGIN_REGEX, DEV_JWT_SECRET, Environment, Settings
from app.core.db import SessionFactory
from app.core.events import Broker
from app.main import create_app
from tests.support import serving, token

PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}
APP_ORIGIN = "https://console.example.com"
OTHER_ORIGIN = "https://evil.example.net"

AppClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client(settings: Settings, sessions: SessionFactory, broker: Broker) -> AppClient:
    """A client of an app whose CORS settings are changed (validators not re-run)."""

    @asynccontextmanager
    async def make(**cors: object) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings.model_copy(update=cors), sessions=sessions, broker=broker)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            yield http

    return make


@pytest.mark.parametrize("origin", ["http://localhost:5173", "http://127.0.0.1:3000"])
async def test_development_lets_local_pages_on_any_port_preflight_and_post(
    client: AppClient, settings: Settings, origin: str
) -> None:
    async with client() as http:
        preflight = await http.options("/graphql", headers={"Origin": origin, **PREFLIGHT})
        post = await http.post(
            "/graphql",
            json={"query": "{ me { role } }"},
            headers={
                "Origin": origin,
                "Authorization": f"Bearer {token(settings, Role.DISPATCHER)}",
            },
        )

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert post.json() == {"data": {"me": {"role": "DISPATCHER"}}}
    assert post.headers["access-control-allow-origin"] == origin
    assert "x-request-id" in post.headers["access-control-expose-headers"].lower()


async def test_a_listed_origin_is_allowed_and_others_get_no_cors_headers(
    client: AppClient,
) -> None:
    async with client(cors_origins=[APP_ORIGIN], cors_origin_regex=None) as http:
        allowed = await http.options("/graphql", headers={"Origin": APP_ORIGIN, **PREFLIGHT})
        refused = await http.options("/graphql", headers={"Origin": OTHER_ORIGIN, **PREFLIGHT})
        local = await http.options(
            "/graphql", headers={"Origin": "http://localhost:5173", **PREFLIGHT}
        )
        post = await http.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Origin": OTHER_ORIGIN}
        )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == APP_ORIGIN
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert local.status_code == 400
    assert "access-control-allow-origin" not in post.headers


def test_production_allows_no_other_origin_unless_listed(settings: Settings) -> None:
    fields = {**settings.model_dump(), "cors_origin_regex": None}
    prod = Settings(**{**fields, "env": Environment.PROD, "jwt_secret": "x" * 40})
    dev = Settings(**{**fields, "env": Environment.DEV})

    assert prod.cors_origin_regex is None
    assert prod.cors_origins == []
    assert dev.cors_origin_regex == DEV_CORS_ORIGIN_REGEX


def test_origins_are_read_from_a_comma_separated_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example.com, https://b.example.com/")
    assert Settings().cors_origins == ["https://a.example.com", "https://b.example.com"]


def test_the_wildcard_origin_with_credentials_is_refused_at_startup(settings: Settings) -> None:
    fields = settings.model_dump()
    with pytest.raises(ValueError, match="CORS_ORIGINS"):
        Settings(**{**fields, "cors_origins": ["*"], "cors_allow_credentials": True})
    with pytest.raises(ValueError, match="CORS_ORIGINS"):
        Settings(
            **{
                **fields,
                "env": Environment.PROD,
                "jwt_secret": DEV_JWT_SECRET + "-not",
                "cors_origins": ["*"],
                "cors_allow_credentials": True,
            }
        )


# -- WebSocket handshakes: browsers skip CORS there, so the server checks Origin itself -------


@pytest.fixture
async def address(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> AsyncIterator[str]:
    listed = settings.model_copy(update={"cors_origins": [APP_ORIGIN]})
    async with serving(create_app(listed, sessions=sessions, broker=broker)) as address:
        yield address


async def handshake(address: str, origin: str | None) -> str:
    """Open a socket (with `Origin` unless None), init it; the first message's type."""
    async with connect(
        f"ws://{address}/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        origin=origin,  # type: ignore[arg-type]
        open_timeout=5,
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        message: dict[str, str] = json.loads(await socket.recv(decode=True))
        return message["type"]


@pytest.mark.parametrize(
    "origin", [APP_ORIGIN, "http://localhost:5173", "http://127.0.0.1:8080", None]
)
async def test_sockets_from_allowed_origins_and_native_clients_are_accepted(
    address: str, origin: str | None
) -> None:
    assert await handshake(address, origin) == "connection_ack"


async def test_a_socket_from_a_disallowed_origin_is_refused_at_the_handshake(
    address: str,
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await handshake(address, OTHER_ORIGIN)
    assert refused.value.response.status_code == 403
