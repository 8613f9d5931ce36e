from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.realtime.redis_server import RedisServer


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.kill()


@pytest.fixture(autouse=True)
def no_foreign_listeners(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Other domains' in-transaction listeners (outboxes) are not under test here, and may
    need tables of migrations not yet in this tree."""
    from app.core import events

    monkeypatch.setattr(events, "_listeners", [])
    yield
