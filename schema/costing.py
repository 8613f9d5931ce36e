"""GraphQL types for job costing (managers)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app.costing.service import JobCost, Margin
from schema.common import Money
from schema.ids import encode_id


def _inr(value: Decimal) -> Money:
    return Money(amount=value, currency="INR")


@strawberry.type
class TaskCosting:
    task_id: strawberry.ID
    labour_cost: Money
    parts_cost: Money
    travel_km: Decimal
    travel_cost: Money
    cost: Money
    revenue: Money
    margin: Money

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
        )


@strawberry.type
class MarginSummary:
    key_id: strawberry.ID | None
    tasks: int
    revenue: Money
    cost: Money
    margin: Money

    @classmethod
    def of(cls, row: Margin, type_name: str) -> MarginSummary:
        return cls(
            key_id=strawberry.ID(encode_id(type_name, row.key)) if row.key else None,
            tasks=row.tasks,
            revenue=_inr(row.revenue),
            cost=_inr(row.cost),
            margin=_inr(row.margin),
        )
