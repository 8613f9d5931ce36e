"""GraphQL types for job costing (managers)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.costing.service import JobCost, Margin
from app.territories.models import Territory
from app.work_orders.models import Task
from schema.common import Money
from schema.context import Info
from schema.ids import encode_id
from schema.work_orders import technician_of

if TYPE_CHECKING:
    from schema.technicians import TechnicianType
    from schema.territories import TerritoryType
    from schema.work_orders import TaskType

TaskRef = Annotated["TaskType", strawberry.lazy("schema.work_orders")]
TechnicianRef = Annotated["TechnicianType", strawberry.lazy("schema.technicians")]
TerritoryRef = Annotated["TerritoryType", strawberry.lazy("schema.territories")]


def _inr(value: Decimal) -> Money:
    return Money(amount=value, currency="INR")


@strawberry.type(description="What a completed visit cost and earned.")
class TaskCosting:
    task_id: strawberry.ID
    labour_cost: Money = strawberry.field(description="The technician's time at their hourly cost.")
    parts_cost: Money = strawberry.field(description="Parts used, at their standard cost.")
    travel_km: Decimal = strawberry.field(description="Kilometres driven to the visit.")
    travel_cost: Money = strawberry.field(description="Those kilometres at the cost per km.")
    cost: Money = strawberry.field(description="Labour, parts and travel.")
    revenue: Money = strawberry.field(
        description="Net amount of the visit's issued invoices (drafts do not count yet)."
    )
    margin: Money = strawberry.field(description="Revenue less cost.")
    task_db_id: strawberry.Private[int]

    @strawberry.field(description="The visit.")
    async def task(self, info: Info) -> TaskRef | None:
        from schema.work_orders import TaskType

        row = await info.context.loaders.by_id(Task).load(self.task_db_id)
        return TaskType.from_model(row) if row else None

    @classmethod
    def of(cls, job: JobCost) -> TaskCosting:
        return cls(
            task_id=strawberry.ID(encode_id("Task", job.task_id)),
            labour_cost=_inr(job.labour_cost),
            parts_cost=_inr(job.parts_cost),
            travel_km=job.travel_km,
            travel_cost=_inr(job.travel_cost),
            cost=_inr(job.cost),
            revenue=_inr(job.revenue),
            margin=_inr(job.margin),
            task_db_id=job.task_id,
        )


@strawberry.type(
    description="Completed visits summed per technician or per territory over a period."
)
class MarginSummary:
    key_id: strawberry.ID | None = strawberry.field(
        description="The technician's or territory's ID; null for visits without one.",
        deprecation_reason="Use technician or territory.",
    )
    tasks: int = strawberry.field(description="Visits completed in the period.")
    revenue: Money = strawberry.field(description="Net amount of their issued invoices.")
    cost: Money = strawberry.field(description="Their labour, parts and travel cost.")
    margin: Money = strawberry.field(description="Revenue less cost.")
    key_type: strawberry.Private[str]
    key: strawberry.Private[int | None]

    @strawberry.field(description="The technician, in margins by technician.")
    async def technician(self, info: Info) -> TechnicianRef | None:
        if self.key_type != "Technician":
            return None
        return await technician_of(info, self.key)

    @strawberry.field(description="The territory, in margins by territory.")
    async def territory(self, info: Info) -> TerritoryRef | None:
        from schema.territories import TerritoryType

        if self.key_type != "Territory" or self.key is None:
            return None
        row = await info.context.loaders.by_id(Territory).load(self.key)
        return TerritoryType.from_model(row) if row else None

    @classmethod
    def of(cls, row: Margin, type_name: str) -> MarginSummary:
        return cls(
            key_id=strawberry.ID(encode_id(type_name, row.key)) if row.key else None,
            tasks=row.tasks,
            revenue=_inr(row.revenue),
            cost=_inr(row.cost),
            margin=_inr(row.margin),
            key_type=type_name,
            key=row.key,
        )
