"""Trained duration models, their per-group figures, and the predictions made with them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.core.models import id_field, timestamp


class DurationModel(SQLModel, table=True):
    """One training of the duration model; the highest version is the one in use."""

    __tablename__ = "duration_models"

    id: int | None = id_field()
    version: int = Field(unique=True)
    trained_at: datetime = timestamp()
    kind: str = Field(default="SHRINKAGE", max_length=24)
    samples: int = 0
    """Completed tasks the model was trained on."""
    holdout_samples: int = 0
    """The last 20 % of history (by completion time) held out to measure accuracy."""
    holdout_mae: float | None = None
    """Mean absolute error of the median prediction on the held-out tasks (minutes)."""
    static_mae: float | None = None
    """The same for the tasks' static duration."""
    holdout_pinball_50: float | None = None
    holdout_pinball_80: float | None = None
    static_pinball_50: float | None = None
    static_pinball_80: float | None = None
    holdout_coverage_80: float | None = None
    """Share of held-out tasks done within the predicted 80th percentile."""
    params: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(JSONB, nullable=False))


class DurationStat(SQLModel, table=True):
    """A group's shrunk median and 80th percentile (minutes), or an adjustment factor."""

    __tablename__ = "duration_model_stats"

    model_id: int = Field(
        sa_type=sa.BigInteger,
        foreign_key="duration_models.id",
        primary_key=True,
        ondelete="CASCADE",
    )
    level: str = Field(primary_key=True, max_length=16)
    key: str = Field(primary_key=True, max_length=400)
    samples: int
    median: float
    p80: float


class TaskDurationPrediction(SQLModel, table=True):
    """The latest prediction for an open task, with the model version that made it."""

    __tablename__ = "task_duration_predictions"

    task_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="tasks.id", primary_key=True, ondelete="CASCADE"
    )
    model_version: int
    median_minutes: float
    p80_minutes: float
    basis_level: str = Field(max_length=16)
    basis_key: str = Field(max_length=400)
    samples: int
    confident: bool
    predicted_at: datetime = timestamp()
