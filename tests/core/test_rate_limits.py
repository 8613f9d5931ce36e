"""Rate limits: per token, per address without one, failed logins per account; shared through
Redis by every instance, open when the limiter itself is down."""

from __future__ import annotations

import uuid

import httpx
import pytest

from app.core.auth import Role
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker
from app.core.ratelimit import MemoryLimiter, RedisLimiter
from app.main import create_app
from tests.identity.test_identity import LOGIN, make_partner_user
from tests.support import GraphQLClient, token

ME = {"query": "{ me { role } }"}
REDIS = "redis://127.0.0.1:6379/0"


def app_with(settings: Settings, sessions: SessionFactory, broker: Broker, **limits: int) -> object:
    return create_app(
        Settings(**{**settings.model_dump(), **limits}), sessions=sessions, broker=broker
    )


async def test_a_token_over_its_limit_gets_429_with_retry_after_and_others_go_on(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> None:
    app = app_with(settings, sessions, broker, rate_limit_per_token=3)
    busy = {"Authorization": f"Bearer {token(settings, Role.DISPATCHER)}"}
    other = {"Authorization": f"Bearer {token(settings, Role.MANAGER)}"}
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        allowed = [
            (await http.post("/graphql", json=ME, headers=busy)).status_code for _ in range(3)
        ]
        refused = await http.post("/graphql", json=ME, headers=busy)
        unaffected = await http.post("/graphql", json=ME, headers=other)
        health = await http.get("/healthz", headers=busy)

    assert allowed == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert unaffected.status_code == 200 and health.status_code == 200


async def test_requests_without_a_token_are_limited_per_address(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> None:
    app = app_with(settings, sessions, broker, rate_limit_per_address=2)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.9", 4000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        codes = [(await http.post("/graphql", json=ME)).status_code for _ in range(3)]

    assert codes == [200, 200, 429]


async def test_failed_logins_lock_the_account_for_the_window_not_other_accounts(
    gql: GraphQLClient, settings: Settings, sessions: SessionFactory, broker: Broker
) -> None:
    await make_partner_user(gql)
    app = app_with(settings, sessions, broker, login_attempts=3)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]

    async def login(email: str, password: str) -> dict:
        body = {"query": LOGIN, "variables": {"input": {"email": email, "password": password}}}
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            return (await http.post("/graphql", json=body)).json()["data"]["login"]

    wrong = [await login("ops@coolfix.example", "guess") for _ in range(3)]
    locked = await login("OPS@coolfix.example", "s3cret-pass")
    stranger = await login("nobody@coolfix.example", "guess")

    assert [w["userErrors"][0]["code"] for w in wrong] == ["UNAUTHENTICATED"] * 3
    assert locked["token"] is None
    assert [(e["field"], e["code"]) for e in locked["userErrors"]] == [(["email"], "RATE_LIMITED")]
    assert "try again in" in locked["userErrors"][0]["message"]
    assert stranger["userErrors"][0]["code"] == "UNAUTHENTICATED"


async def test_a_window_ends_and_counting_starts_again() -> None:
    now = [60 * 16_667 + 20.0]  # 20 s into a minute
    limiter = MemoryLimiter(clock=lambda: now[0])

    first = [await limiter.hit("k", 2, 60) for _ in range(3)]
    now[0] += 40  # the next minute
    after = await limiter.hit("k", 2, 60)

    assert [v.allowed for v in first] == [True, True, False]
    assert first[2].retry_after == 40
    assert after.allowed


async def test_instances_share_their_counts_through_redis() -> None:
    key = f"test:{uuid.uuid4().hex}"
    one, two = RedisLimiter(REDIS), RedisLimiter(REDIS)
    try:
        verdicts = [await (one if i % 2 else two).hit(key, 3, 60) for i in range(4)]
        peeked = await one.peek(key, 3, 60)
    finally:
        await one.redis.aclose()
        await two.redis.aclose()

    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert not peeked.allowed and peeked.retry_after >= 1


@pytest.mark.filterwarnings("ignore::ResourceWarning")
async def test_an_unreachable_limiter_lets_requests_through() -> None:
    down = RedisLimiter("redis://127.0.0.1:1/0")
    try:
        verdict = await down.hit("k", 0, 60)
    finally:
        await down.redis.aclose()

    assert verdict.allowed
