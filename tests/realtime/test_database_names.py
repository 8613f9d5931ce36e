"""Private databases of end-to-end tests and benchmarks are named after the configured one,
so two checkouts (or CI jobs) sharing a PostgreSQL server never drop each other's."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from app.core.config import Settings
from bench.realtime import bench_database, database_beside


def test_a_private_database_is_named_after_the_configured_one(settings: Settings) -> None:
    configured = make_url(settings.database_url)

    beside = make_url(database_beside(settings.database_url, "realtime_e2e"))

    assert beside.database == f"{configured.database}_realtime_e2e"
    assert beside.set(database=configured.database) == configured


def test_two_configured_databases_get_two_private_ones() -> None:
    first = database_beside("postgresql+asyncpg://postgres@127.0.0.1:5432/fg_test_a", "e2e")
    second = database_beside("postgresql+asyncpg://postgres@127.0.0.1:5432/fg_test_b", "e2e")

    assert first != second


def test_the_realtime_bench_database_follows_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/fg_dev_x")

    assert make_url(bench_database()).database == "fg_dev_x_bench_realtime"
