"""The duration model in use, and retraining it on demand."""

from __future__ import annotations

import strawberry

from app.core.auth import Role
from app.core.errors import DomainError, ErrorCode
from app.durations import service
from resolvers.base import execute
from schema.context import Info
from schema.durations import (
    DurationModelType,
    RetrainDurationModelPayload,
)
from schema.permissions import allow

READERS = (Role.ADMIN, Role.MANAGER, Role.DISPATCHER)
TRAINERS = (Role.ADMIN, Role.MANAGER)


@strawberry.type
class DurationsQuery:
    @strawberry.field(
        extensions=[allow(*READERS)],
        description="The duration model in use (the latest version) with its held-out "
        "accuracy against the static durations; null before the first training. Admins, "
        "managers and dispatchers.",
    )
    async def duration_model(self, info: Info) -> DurationModelType | None:
        row = await service.current_model(info.context.session)
        return DurationModelType.from_model(row) if row else None


@strawberry.type
class DurationsMutation:
    @strawberry.mutation(
        extensions=[allow(*TRAINERS)],
        description="Train a new version of the duration model on all completed work now "
        "(the nightly job does the same) and re-predict the open tasks with it. Needs no "
        "idempotency key: a repeat only trains an equal version. Admins and managers.",
    )
    async def retrain_duration_model(self, info: Info) -> RetrainDurationModelPayload:
        async def action() -> RetrainDurationModelPayload:
            model = await service.retrain(info.context.session)
            if model is None:
                raise DomainError("a retraining is already running", ErrorCode.CONFLICT)
            return RetrainDurationModelPayload(model=DurationModelType.from_model(model))

        return await execute(info, RetrainDurationModelPayload, action)
