"""Rate limits: requests per token and per address, and failed logins per account.

Counters are fixed windows (a key's count in the current window of N seconds): one INCR per
request in Redis, shared by every instance when `REDIS_URL` is set; in memory, per process,
otherwise. A limit refused answers HTTP 429 with `Retry-After` (the seconds left in the
window) and a GraphQL-shaped body whose error code is RATE_LIMITED. When Redis is unreachable
the limits fail open (logged): an outage of the limiter must not take the API down with it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.auth import InvalidToken, principal_from_header
from app.core.config import Settings

log = structlog.get_logger("fieldgraph.ratelimit")

UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
MEMORY_KEYS_MAX = 100_000


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: int
    """Seconds until the window ends (0 when allowed)."""


class Limiter(Protocol):
    async def hit(self, key: str, limit: int, window: int) -> Verdict:
        """Count one event under `key`; refused once the window's count passes `limit`."""
        ...

    async def peek(self, key: str, limit: int, window: int) -> Verdict:
        """Whether one more event would be refused, without counting it."""
        ...


def _window(window: int, now: float) -> tuple[int, int]:
    """The current window's number and the seconds left in it (at least 1)."""
    index = int(now // window)
    return index, max(1, int((index + 1) * window - now + 0.999))


class MemoryLimiter:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._counts: dict[tuple[str, int], int] = {}

    async def hit(self, key: str, limit: int, window: int) -> Verdict:
        index, left = _window(window, self.clock())
        if len(self._counts) >= MEMORY_KEYS_MAX:
            self._forget_old(index)
        count = self._counts.get((key, index), 0) + 1
        self._counts[(key, index)] = count
        return Verdict(count <= limit, 0 if count <= limit else left)

    async def peek(self, key: str, limit: int, window: int) -> Verdict:
        index, left = _window(window, self.clock())
        count = self._counts.get((key, index), 0)
        return Verdict(count < limit, 0 if count < limit else left)

    def _forget_old(self, index: int) -> None:
        self._counts = {k: v for k, v in self._counts.items() if k[1] >= index}
        if len(self._counts) >= MEMORY_KEYS_MAX:
            self._counts.clear()  # a flood of distinct keys: forget rather than grow


class RedisLimiter:
    def __init__(self, url: str, clock: Callable[[], float] = time.time) -> None:
        self.redis = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.clock = clock

    async def hit(self, key: str, limit: int, window: int) -> Verdict:
        index, left = _window(window, self.clock())
        name = f"fieldgraph:rl:{key}:{window}:{index}"
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.incr(name)
                pipe.expire(name, window + 1)
                count, _ = await pipe.execute()
        except (RedisError, OSError):
            log.warning("rate limiter unavailable, request let through", key=key)
            return Verdict(True, 0)
        return Verdict(int(count) <= limit, 0 if int(count) <= limit else left)

    async def peek(self, key: str, limit: int, window: int) -> Verdict:
        index, left = _window(window, self.clock())
        try:
            count = int(await self.redis.get(f"fieldgraph:rl:{key}:{window}:{index}") or 0)
        except (RedisError, OSError):
            log.warning("rate limiter unavailable, request let through", key=key)
            return Verdict(True, 0)
        return Verdict(count < limit, 0 if count < limit else left)


def limiter_for(settings: Settings) -> Limiter:
    if settings.redis_url and settings.redis_url.startswith(("redis://", "rediss://")):
        return RedisLimiter(settings.redis_url)
    return MemoryLimiter()


def _digest(value: bytes) -> str:
    return hashlib.sha256(value).hexdigest()[:24]


def _verifies(settings: Settings, header: bytes) -> bool:
    try:
        return principal_from_header(settings, header.decode("latin-1")) is not None
    except InvalidToken:
        return False


def refusal_body(message: str, retry_after: int) -> bytes:
    error = {"message": message, "extensions": {"code": "RATE_LIMITED", "retryAfter": retry_after}}
    return json.dumps({"data": None, "errors": [error]}).encode()


class RateLimit:
    """Per valid bearer token (`RATE_LIMIT_PER_TOKEN` a minute) and, for requests without one,
    per client address (`RATE_LIMIT_PER_ADDRESS` a minute); 0 turns a limit off."""

    def __init__(self, app: ASGIApp, limiter: Limiter, settings: Settings) -> None:
        self.app = app
        self.limiter = limiter
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("path") in UNLIMITED_PATHS
            or not (self.settings.rate_limit_per_token or self.settings.rate_limit_per_address)
        ):
            await self.app(scope, receive, send)
            return
        key, limit = self._key(scope)
        if limit > 0:
            verdict = await self.limiter.hit(key, limit, 60)
            if not verdict.allowed:
                await self._refuse(send, verdict.retry_after)
                return
        await self.app(scope, receive, send)

    def _key(self, scope: Scope) -> tuple[str, int]:
        """A valid token's own budget; anything else (no token, or one that does not verify,
        which would otherwise buy a fresh budget per made-up token) counts against the
        address."""
        headers = dict(scope.get("headers") or [])
        token = headers.get(b"authorization", b"")
        if token and _verifies(self.settings, token):
            return f"token:{_digest(token)}", self.settings.rate_limit_per_token
        client = scope.get("client")
        address = client[0] if client else "unknown"
        return f"address:{address}", self.settings.rate_limit_per_address

    @staticmethod
    async def _refuse(send: Send, retry_after: int) -> None:
        body = refusal_body(f"too many requests: try again in {retry_after} seconds", retry_after)
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"retry-after", str(retry_after).encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class LoginAttempts:
    """Failed logins per account (`LOGIN_ATTEMPTS` per `LOGIN_WINDOW_SECONDS`): past the limit
    even the right password is refused until the window ends, so guessing gains nothing."""

    def __init__(self, limiter: Limiter, settings: Settings) -> None:
        self.limiter = limiter
        self.limit = settings.login_attempts
        self.window = settings.login_window_seconds

    @staticmethod
    def _key(email: str) -> str:
        return f"login:{_digest(email.strip().lower().encode())}"

    async def retry_after(self, email: str) -> int:
        """Seconds until this account may try again; 0 when it may now."""
        if self.limit <= 0:
            return 0
        return (await self.limiter.peek(self._key(email), self.limit, self.window)).retry_after

    async def failed(self, email: str) -> None:
        if self.limit > 0:
            await self.limiter.hit(self._key(email), self.limit, self.window)
