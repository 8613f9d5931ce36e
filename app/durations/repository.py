"""Reading what the model learns from and predicts for: one query each, however many tasks.

The actual duration of a completed task is the time it spent IN_PROGRESS in its audit trail:
from each START_WORK (the first, or a resume after a hold) to the next event (HOLD or COMPLETE),
summed. Travel and time on hold do not count; costing's labour time (started to finished) does
count holds, which is right for pay and wrong for planning."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.durations.shrinkage import Features, Sample

_FEATURES = """
    t.id, t.type, t.description, t.duration_minutes, t.technician_id,
    t.follow_up_of_id IS NOT NULL AS follow_up,
    a.product_model_id, pm.category,
    (SELECT max(ts.level) FROM task_skills k
       JOIN technician_skills ts ON ts.skill_id = k.skill_id AND ts.technician_id = t.technician_id
      WHERE k.task_id = t.id) AS technician_level
"""

HISTORY = sa.text(
    f"""
    WITH spans AS (
        SELECT e.task_id, e.to_status, e.at,
               lead(e.at) OVER (PARTITION BY e.task_id ORDER BY e.at, e.id) AS next_at
          FROM task_events e
          JOIN tasks done ON done.id = e.task_id
         WHERE done.status = 'COMPLETED' AND done.finished_at IS NOT NULL
    ), worked AS (
        SELECT task_id, sum(EXTRACT(EPOCH FROM next_at - at)) / 60 AS minutes
          FROM spans
         WHERE to_status = 'IN_PROGRESS' AND next_at IS NOT NULL
         GROUP BY task_id
    )
    SELECT {_FEATURES}, t.finished_at, w.minutes
      FROM worked w
      JOIN tasks t ON t.id = w.task_id
      LEFT JOIN assets a ON a.id = t.asset_id
      LEFT JOIN product_models pm ON pm.id = a.product_model_id
     WHERE w.minutes > 0
     ORDER BY t.finished_at, t.id
    """
)

FEATURES = sa.text(
    f"""
    SELECT {_FEATURES}
      FROM tasks t
      LEFT JOIN assets a ON a.id = t.asset_id
      LEFT JOIN product_models pm ON pm.id = a.product_model_id
     WHERE t.id = ANY(:task_ids)
    """
)

OPEN_TASKS = sa.text(
    "SELECT id FROM tasks WHERE status NOT IN ('COMPLETED', 'INCOMPLETE', 'CANCELLED') "
    "AND archived_at IS NULL ORDER BY id"
)

_SPACES = re.compile(r"\s+")


def fault_key(task_type: str, description: str | None) -> str | None:
    """The reported fault of a repair, as the text after the product name ("Model X: fault"),
    lower-cased, spaces collapsed; None for other work or no description. Free text that
    never repeats only makes a group too small to be used, so the prediction falls back to
    the product model."""
    if task_type != "REPAIR" or not description:
        return None
    text = description.split(": ", 1)[-1]
    text = _SPACES.sub(" ", text).strip().lower()
    return text[:200] or None


def features_of(row: Any) -> Features:
    return Features(
        task_type=str(row.type),
        category=str(row.category) if row.category else None,
        product_model_id=row.product_model_id,
        fault=fault_key(str(row.type), row.description),
        technician_level=row.technician_level,
        follow_up=bool(row.follow_up),
    )


async def history(session: AsyncSession, *, until: datetime | None = None) -> list[Sample]:
    """Completed tasks with the minutes worked, oldest completion first."""
    rows = (await session.execute(HISTORY)).all()
    return [
        Sample(
            features_of(r),
            float(r.minutes),
            int(r.duration_minutes),
            r.finished_at,
            r.id,
            r.technician_id,
        )
        for r in rows
        if until is None or r.finished_at <= until
    ]


async def task_features(
    session: AsyncSession, task_ids: Sequence[int]
) -> dict[int, tuple[Features, int]]:
    """Each task's features and static duration."""
    if not task_ids:
        return {}
    rows = (await session.execute(FEATURES, {"task_ids": list(task_ids)})).all()
    return {r.id: (features_of(r), int(r.duration_minutes)) for r in rows}


async def open_task_ids(session: AsyncSession) -> list[int]:
    return list((await session.scalars(OPEN_TASKS)).all())
