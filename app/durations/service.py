"""Learning task durations from completed work and using them: training, held-out accuracy,
predictions for any set of tasks in two queries, and the minutes dispatch and slots plan with.

Planning (dispatch) uses the predicted median, promises (appointment slots) the predicted 80th
percentile, each only when the prediction is confident; otherwise the task's static
`duration_minutes`. Services take the session and never commit."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.models import utcnow
from app.durations import repository
from app.durations.models import DurationModel, DurationStat, TaskDurationPrediction
from app.durations.shrinkage import Fitted, Prediction, Sample, Stat, fit, pinball

SHRINK_K = 10.0
"""Samples at which a group's own median and its parent's weigh the same."""
MIN_SAMPLES = 5
"""Completed tasks a group needs before a prediction stands on it."""
HOLDOUT_SHARE = 0.2
LOCK = "fieldgraph:durations:retrain"


class Use(StrEnum):
    """Which figure a caller plans with."""

    PLANNING = "PLANNING"
    """The median: what a day's plan expects."""
    PROMISE = "PROMISE"
    """The 80th percentile: what a promise to a customer can hold to."""


@dataclass(frozen=True, slots=True)
class Accuracy:
    """Held-out figures of a model against the static durations (minutes)."""

    samples: int
    mae: float
    static_mae: float
    pinball_50: float
    pinball_80: float
    static_pinball_50: float
    static_pinball_80: float
    coverage_80: float


@dataclass(frozen=True, slots=True)
class TaskDuration:
    """A task's static duration and what the model predicts for it (None: no model yet)."""

    task_id: int
    static_minutes: int
    prediction: Prediction | None

    def minutes(self, use: Use) -> int:
        """What to plan with: the prediction when confident, the static duration otherwise."""
        p = self.prediction
        if p is None or not p.confident:
            return self.static_minutes
        value = p.median if use is Use.PLANNING else p.p80
        return max(5, min(24 * 60, math.ceil(value)))


Fitter = Callable[[Sequence[Sample]], Callable[[Sample], tuple[float, float] | None]]


def shrinkage_fitter(train: Sequence[Sample]) -> Callable[[Sample], tuple[float, float] | None]:
    fitted = fit(train, k=SHRINK_K, min_samples=MIN_SAMPLES)

    def predict(sample: Sample) -> tuple[float, float] | None:
        p = fitted.predict(sample.features)
        return (p.median, p.p80) if p is not None else None

    return predict


def split(
    samples: Sequence[Sample], share: float = HOLDOUT_SHARE
) -> tuple[list[Sample], list[Sample]]:
    """Time-ordered: the last `share` of completions (by finish time) is held out."""
    ordered = sorted(samples, key=lambda s: s.finished_at)
    cut = len(ordered) - int(len(ordered) * share)
    return ordered[:cut], ordered[cut:]


def evaluate(samples: Sequence[Sample], fitter: Fitter = shrinkage_fitter) -> Accuracy | None:
    """Train on the first 80 % of history, measure on the last 20 %; None with too little."""
    train, test = split(samples)
    if not train or not test:
        return None
    predict = fitter(train)
    err = static_err = p50 = p80 = s50 = s80 = covered = 0.0
    for sample in test:
        median, high = predict(sample) or (sample.static_minutes, sample.static_minutes)
        actual, static = sample.minutes, float(sample.static_minutes)
        err += abs(actual - median)
        static_err += abs(actual - static)
        p50 += pinball(actual, median, 0.5)
        p80 += pinball(actual, high, 0.8)
        s50 += pinball(actual, static, 0.5)
        s80 += pinball(actual, static, 0.8)
        covered += actual <= high
    n = len(test)
    return Accuracy(n, err / n, static_err / n, p50 / n, p80 / n, s50 / n, s80 / n, covered / n)


async def retrain(session: AsyncSession, *, now: datetime | None = None) -> DurationModel | None:
    """Train a new version on all completed work, measure it on held-out history, store it
    and re-predict the open tasks with it. None when another retrain holds the lock."""
    locked = await session.scalar(
        sa.text("SELECT pg_try_advisory_xact_lock(hashtext(:lock))"), {"lock": LOCK}
    )
    if not locked:
        return None
    samples = await repository.history(session)
    accuracy = evaluate(samples)
    fitted = fit(samples, k=SHRINK_K, min_samples=MIN_SAMPLES)
    latest = await session.scalar(select(sa.func.max(DurationModel.version)))
    model = DurationModel(
        version=(latest or 0) + 1,
        trained_at=now or utcnow(),
        samples=len(samples),
        params={"k": SHRINK_K, "min_samples": MIN_SAMPLES, "holdout_share": HOLDOUT_SHARE},
    )
    if accuracy is not None:
        model.holdout_samples = accuracy.samples
        model.holdout_mae = accuracy.mae
        model.static_mae = accuracy.static_mae
        model.holdout_pinball_50 = accuracy.pinball_50
        model.holdout_pinball_80 = accuracy.pinball_80
        model.static_pinball_50 = accuracy.static_pinball_50
        model.static_pinball_80 = accuracy.static_pinball_80
        model.holdout_coverage_80 = accuracy.coverage_80
    session.add(model)
    await session.flush()
    assert model.id is not None
    if fitted.stats:
        await session.execute(
            insert(DurationStat),
            [
                {"model_id": model.id, "level": level, "key": key[:400]}
                | {"samples": s.samples, "median": s.median, "p80": s.p80}
                for (level, key), s in fitted.stats.items()
            ],
        )
    fitted.version = model.version
    await _record(session, fitted, await repository.open_task_ids(session), model.trained_at)
    return model


async def current_model(session: AsyncSession) -> DurationModel | None:
    return await session.scalar(
        select(DurationModel).order_by(col(DurationModel.version).desc()).limit(1)
    )


_CURRENT_STATS = sa.text(
    """
    SELECT m.version, m.params, s.level, s.key, s.samples, s.median, s.p80
      FROM duration_models m
      LEFT JOIN duration_model_stats s ON s.model_id = m.id
     WHERE m.version = (SELECT max(version) FROM duration_models)
    """
)


async def load_fitted(session: AsyncSession) -> Fitted | None:
    """The model in use, in one query; None before the first training."""
    rows = (await session.execute(_CURRENT_STATS)).all()
    if not rows:
        return None
    params = rows[0].params or {}
    stats = {(r.level, r.key): Stat(r.samples, r.median, r.p80) for r in rows if r.level}
    return Fitted(
        stats,
        float(params.get("k", SHRINK_K)),
        int(params.get("min_samples", MIN_SAMPLES)),
        version=rows[0].version,
    )


async def durations(session: AsyncSession, task_ids: Sequence[int]) -> dict[int, TaskDuration]:
    """Static duration and prediction of each task, in two queries however many tasks."""
    if not task_ids:
        return {}
    known = await repository.task_features(session, task_ids)
    fitted = await load_fitted(session)
    return {
        task_id: TaskDuration(
            task_id, static, fitted.predict(features) if fitted is not None else None
        )
        for task_id, (features, static) in known.items()
    }


async def planned_minutes(
    session: AsyncSession, task_ids: Sequence[int], use: Use
) -> dict[int, int]:
    """The minutes to plan each task with (see `TaskDuration.minutes`)."""
    found = await durations(session, task_ids)
    return {task_id: d.minutes(use) for task_id, d in found.items()}


async def _record(
    session: AsyncSession, fitted: Fitted, task_ids: Sequence[int], at: datetime
) -> int:
    """Store the prediction of each task with the model version (replacing older ones)."""
    known = await repository.task_features(session, task_ids)
    rows = []
    for task_id, (features, _static) in known.items():
        p = fitted.predict(features)
        if p is None or fitted.version is None:
            continue
        rows.append(
            {
                "task_id": task_id,
                "model_version": fitted.version,
                "median_minutes": p.median,
                "p80_minutes": p.p80,
                "basis_level": p.level.value,
                "basis_key": p.key[:400],
                "samples": p.samples,
                "confident": p.confident,
                "predicted_at": at,
            }
        )
    if rows:
        stmt = insert(TaskDurationPrediction)
        excluded = stmt.excluded
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["task_id"],
                set_={name: excluded[name] for name in rows[0] if name != "task_id"},
            ),
            rows,
        )
    return len(rows)
