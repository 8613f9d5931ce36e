"""The demo city's history is learnable and the seed ends with a trained duration model."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import SessionFactory
from app.demo.command import seed_database
from app.durations import repository, service
from app.durations.shrinkage import Level

pytestmark = pytest.mark.asyncio


async def test_the_seed_trains_a_model_that_beats_the_static_durations(
    sessions: SessionFactory, session: AsyncSession
) -> None:
    out = io.StringIO()
    code = await seed_database(
        sessions, out=out, today=date(2026, 11, 24), customers=150, technicians=20
    )
    assert code == 0
    model = await service.current_model(session)
    assert model is not None and model.version == 1 and model.samples > 100
    assert model.holdout_mae is not None and model.static_mae is not None
    assert model.holdout_mae < model.static_mae
    assert "duration model v1" in out.getvalue()
    # the model found what the generator states: senior technicians work faster
    fitted = await service.load_fitted(session)
    assert fitted is not None
    factors = {k: s.median for (group, k), s in fitted.stats.items() if group == "TECH_LEVEL"}
    assert len(factors) >= 2
    fastest = min(factors, key=factors.__getitem__)
    slowest = max(factors, key=factors.__getitem__)
    assert int(fastest) > int(slowest)
    # open tasks carry a prediction, most of them on product-level history
    open_ids = await repository.open_task_ids(session)
    found = await service.durations(session, open_ids)
    levels = [d.prediction.level for d in found.values() if d.prediction]
    assert levels and any(level in (Level.MODEL, Level.FAULT) for level in levels)
