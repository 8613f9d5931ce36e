"""Training on the audit trail, stored versions, predictions and the nightly job."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.db import SessionFactory
from app.core.events import Broker
from app.durations import repository, service
from app.durations.jobs import JOBS, retrain_durations
from app.durations.models import DurationModel, DurationStat, TaskDurationPrediction
from app.durations.service import Use
from app.durations.shrinkage import Level
from tests.durations.factories import completed, open_task, product_asset
from tests.work_orders.factories import World, world

pytestmark = pytest.mark.asyncio


async def _history(session: AsyncSession, w: World, n: int = 12) -> None:
    """n repairs of the world's asset at 90-110 minutes, a day apart."""
    for i in range(n):
        await completed(session, w, 90 + (i % 3) * 10, day=i)


async def test_actual_minutes_come_from_the_audit_trail_without_holds(
    session: AsyncSession,
) -> None:
    w = await world(session)
    await completed(session, w, 80, hold=45)
    (sample,) = await repository.history(session)
    assert sample.minutes == pytest.approx(80)
    assert sample.static_minutes == 60
    assert sample.features.fault == "no cooling"
    assert sample.features.technician_level == 3
    assert sample.features.category == "HVAC"


async def test_retrain_stores_a_version_and_predictions_carry_it(session: AsyncSession) -> None:
    # given history and an open task on the same asset
    w = await world(session)
    await _history(session, w)
    waiting = await open_task(session, w)
    # when training twice
    first = await service.retrain(session)
    second = await service.retrain(session)
    # then versions grow and the stats are stored per group
    assert first is not None and second is not None
    assert (first.version, second.version) == (1, 2)
    assert second.samples == 12 and second.holdout_samples == 2
    levels = set(
        (
            await session.scalars(
                select(DurationStat.level).where(DurationStat.model_id == second.id)
            )
        ).all()
    )
    assert {"GLOBAL", "TYPE", "CATEGORY", "MODEL", "FAULT", "TECH_LEVEL", "VISIT"} <= levels
    # and the open task's stored prediction is the newest version's
    stored = await session.get(TaskDurationPrediction, waiting.id)
    assert stored is not None and stored.model_version == 2
    found = (await service.durations(session, [waiting.id]))[waiting.id]
    assert found.prediction is not None
    assert found.prediction.model_version == 2
    assert found.prediction.level is Level.FAULT and found.prediction.confident
    assert found.prediction.median == pytest.approx(100, abs=5)
    assert stored.median_minutes == pytest.approx(found.prediction.median)


async def test_confident_prediction_replaces_static_minutes(session: AsyncSession) -> None:
    w = await world(session)
    await _history(session, w)
    waiting = await open_task(session, w, static=45)
    await service.retrain(session)
    minutes = await service.planned_minutes(session, [waiting.id], Use.PLANNING)
    promise = await service.planned_minutes(session, [waiting.id], Use.PROMISE)
    assert 95 <= minutes[waiting.id] <= 105
    assert promise[waiting.id] >= minutes[waiting.id]


async def test_falls_back_to_static_minutes_when_unconfident(session: AsyncSession) -> None:
    # given only three completed tasks (fewer than a group needs) and no model yet
    w = await world(session)
    waiting = await open_task(session, w, static=45)
    assert await service.planned_minutes(session, [waiting.id], Use.PLANNING) == {waiting.id: 45}
    for i in range(3):
        await completed(session, w, 200, day=i)
    # when trained
    await service.retrain(session)
    found = (await service.durations(session, [waiting.id]))[waiting.id]
    # then the prediction stands on the global level only, is not confident, and static is used
    assert found.prediction is not None and not found.prediction.confident
    assert found.prediction.level is Level.GLOBAL
    assert await service.planned_minutes(session, [waiting.id], Use.PROMISE) == {waiting.id: 45}


async def test_a_new_product_model_is_predicted_from_its_category(session: AsyncSession) -> None:
    w = await world(session)
    await _history(session, w)
    other = await product_asset(session, w, "NEW-1")
    waiting = await open_task(session, w, asset=other)
    await service.retrain(session)
    p = (await service.durations(session, [waiting.id]))[waiting.id].prediction
    assert p is not None and p.level is Level.CATEGORY and p.key == "REPAIR|HVAC"


async def test_nightly_job_trains_a_new_version(
    sessions: SessionFactory, broker: Broker, session: AsyncSession
) -> None:
    (job,) = JOBS
    assert job.every_seconds == 24 * 3600 and job.run is retrain_durations
    w = await world(session)
    await _history(session, w)
    await session.commit()
    version = await retrain_durations(sessions, broker)
    async with sessions() as fresh:
        stored = await fresh.scalar(
            select(DurationModel).order_by(col(DurationModel.version).desc()).limit(1)
        )
    assert stored is not None and version == stored.version and stored.samples == 12
