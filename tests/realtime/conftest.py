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
