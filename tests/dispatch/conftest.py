from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.dispatch import slots


@pytest.fixture(autouse=True)
def fresh_slot_timelines() -> Iterator[None]:
    """Timelines are cached per process by territory id; the suite's two databases (rolled
    back and committed) reuse ids, so each test starts with an empty cache."""
    slots.invalidate()
    yield
    slots.invalidate()
