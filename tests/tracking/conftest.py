from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.core import events


@pytest.fixture(autouse=True)
def no_foreign_listeners(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Other domains' in-transaction listeners (outboxes) are not under test here, and may
    need tables of migrations not yet in this tree."""
    monkeypatch.setattr(events, "_listeners", [])
    yield
