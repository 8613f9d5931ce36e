"""Job costing queries for managers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.core.auth import Role
from app.core.errors import DomainError, ErrorCode, collect
from app.costing import service
from schema.context import Info
from schema.costing import MarginSummary, TaskCosting
from schema.ids import decode_ids
from schema.pagination import FirstItems
from schema.permissions import allow
from schema.scalars import offset_problems

MANAGERS = (Role.ADMIN, Role.MANAGER)
MAX_TASKS = 100


@strawberry.type
class CostingQuery:
    @strawberry.field(
        extensions=[allow(*MANAGERS)],
        description="Cost, revenue and margin of each given task (at most 100 IDs); "
        "admins and managers only.",
    )
    async def task_costing(self, info: Info, task_ids: list[strawberry.ID]) -> list[TaskCosting]:
        if len(task_ids) > MAX_TASKS:
            raise DomainError(f"at most {MAX_TASKS} tasks", ErrorCode.INVALID, ["taskIds"])
        ids = decode_ids([str(t) for t in task_ids], "Task", "taskIds")
        return [TaskCosting.of(job) for job in await service.job_costs(info.context.session, ids)]

    @strawberry.field(
        extensions=[allow(*MANAGERS), FirstItems(100)],
        description="Revenue, cost and margin of the tasks completed in the period, one row per "
        "technician; admins and managers only.",
    )
    async def margins_by_technician(
        self,
        info: Info,
        from_: Annotated[
            datetime,
            strawberry.argument(
                name="from", description="Start of the period, inclusive (with a zone offset)."
            ),
        ],
        to: Annotated[
            datetime,
            strawberry.argument(
                description="End of the period, exclusive; must be after from (with a zone offset)."
            ),
        ],
    ) -> list[MarginSummary]:
        return await _margins(info, from_, to, "technician_id", "Technician")

    @strawberry.field(
        extensions=[allow(*MANAGERS), FirstItems(100)],
        description="Revenue, cost and margin of the tasks completed in the period, one row per "
        "territory; admins and managers only.",
    )
    async def margins_by_territory(
        self,
        info: Info,
        from_: Annotated[
            datetime,
            strawberry.argument(
                name="from", description="Start of the period, inclusive (with a zone offset)."
            ),
        ],
        to: Annotated[
            datetime,
            strawberry.argument(
                description="End of the period, exclusive; must be after from (with a zone offset)."
            ),
        ],
    ) -> list[MarginSummary]:
        return await _margins(info, from_, to, "territory_id", "Territory")


async def _margins(
    info: Info, start: datetime, end: datetime, by: str, type_name: str
) -> list[MarginSummary]:
    collect(offset_problems(start, "from") + offset_problems(end, "to"))
    if end <= start:
        raise DomainError("to must be after from", ErrorCode.INVALID, ["to"])
    ids = await service.completed_between(info.context.session, start, end)
    jobs = await service.job_costs(info.context.session, ids)
    return [MarginSummary.of(row, type_name) for row in service.roll_up(jobs, by)]
