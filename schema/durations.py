"""GraphQL types for durations learned from history: a task's prediction and its basis, and the
model in use with its held-out accuracy."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.dataloader import DataLoader

from app.durations import service
from app.durations.models import DurationModel
from app.durations.service import TaskDuration, Use
from app.durations.shrinkage import Level
from schema.context import Info
from schema.errors import Payload

DurationBasisLevel = strawberry.enum(Level, name="DurationBasisLevel")


@strawberry.type(
    description="How long a task is expected to take, learned from completed work like it, and "
    "what planning uses: the median for plans and the 80th percentile for promised windows when "
    "the prediction is confident, the task's static duration otherwise."
)
class PredictedDuration:
    median_minutes: float = strawberry.field(description="Half of such tasks take less.")
    p80_minutes: float = strawberry.field(description="Four in five of such tasks take less.")
    basis_level: DurationBasisLevel = strawberry.field(  # type: ignore[valid-type]
        description="The group of completed work the figures stand on."
    )
    basis_key: str = strawberry.field(
        description="That group's key: task type, category, product model id and reported "
        "fault joined by '|' as deep as the level goes (empty for GLOBAL)."
    )
    samples: int = strawberry.field(description="Completed tasks in that group.")
    model_version: int = strawberry.field(description="The duration model that predicted it.")
    confident: bool = strawberry.field(
        description="Whether the group holds enough completed work (and is more specific than "
        "all work) for planning to use the prediction instead of the static duration."
    )
    planning_minutes: int = strawberry.field(
        description="The minutes dispatch plans the task with."
    )
    promise_minutes: int = strawberry.field(
        description="The minutes appointment slots reserve for the task."
    )

    @classmethod
    def of(cls, found: TaskDuration) -> PredictedDuration | None:
        p = found.prediction
        if p is None or p.model_version is None:
            return None
        return cls(
            median_minutes=round(p.median, 1),
            p80_minutes=round(p.p80, 1),
            basis_level=p.level,
            basis_key=p.key,
            samples=p.samples,
            model_version=p.model_version,
            confident=p.confident,
            planning_minutes=found.minutes(Use.PLANNING),
            promise_minutes=found.minutes(Use.PROMISE),
        )


def predicted_duration_loader(info: Info) -> DataLoader[int, PredictedDuration | None]:
    """Every task of the operation in one batch: two queries however many tasks."""
    session = info.context.session

    async def load(task_ids: list[int]) -> list[PredictedDuration | None]:
        found = await service.durations(session, task_ids)
        return [PredictedDuration.of(found[t]) if t in found else None for t in task_ids]

    return info.context.loaders.custom("task.predicted_duration", load)


@strawberry.type(description="A trained duration model and how well it did on held-out history.")
class DurationModelType:
    version: int = strawberry.field(description="The model's version; predictions carry it.")
    trained_at: datetime = strawberry.field(description="When it was trained.")
    kind: str = strawberry.field(
        description="How it predicts: SHRINKAGE (hierarchical shrinkage of medians)."
    )
    samples: int = strawberry.field(description="Completed tasks it was trained on.")
    holdout_samples: int = strawberry.field(
        description="The most recent completed tasks (a fifth of history) held out to measure "
        "its accuracy before it was trained on all of them."
    )
    holdout_mae: float | None = strawberry.field(
        description="Mean absolute error of the predicted median on held-out tasks, in "
        "minutes; null with too little history."
    )
    static_mae: float | None = strawberry.field(
        description="The same error of the tasks' static durations, for comparison."
    )
    holdout_pinball_50: float | None = strawberry.field(
        description="Pinball loss of the median (q = 0.5) on held-out tasks, minutes."
    )
    holdout_pinball_80: float | None = strawberry.field(
        description="Pinball loss of the 80th percentile (q = 0.8) on held-out tasks, minutes."
    )
    static_pinball_50: float | None = strawberry.field(
        description="Pinball loss (q = 0.5) of the static durations on held-out tasks."
    )
    static_pinball_80: float | None = strawberry.field(
        description="Pinball loss (q = 0.8) of the static durations on held-out tasks."
    )
    holdout_coverage_80: float | None = strawberry.field(
        description="Share of held-out tasks done within their predicted 80th percentile "
        "(about 0.8 when well calibrated)."
    )

    @classmethod
    def from_model(cls, row: DurationModel) -> DurationModelType:
        return cls(
            version=row.version,
            trained_at=row.trained_at,
            kind=row.kind,
            samples=row.samples,
            holdout_samples=row.holdout_samples,
            holdout_mae=row.holdout_mae,
            static_mae=row.static_mae,
            holdout_pinball_50=row.holdout_pinball_50,
            holdout_pinball_80=row.holdout_pinball_80,
            static_pinball_50=row.static_pinball_50,
            static_pinball_80=row.static_pinball_80,
            holdout_coverage_80=row.holdout_coverage_80,
        )


@strawberry.type
class RetrainDurationModelPayload(Payload):
    model: DurationModelType | None = strawberry.field(
        default=None, description="The new version; null when the retraining failed."
    )
