"""Loaders of tasks as the caller may read them: a parent the caller can see (a request, a work
order, a follow-up) may carry tasks of another partner's technicians, and reaching them through
the parent must show no more than `tasks(...)` would. Staff read everything, as before."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlmodel import col, or_, select
from strawberry.dataloader import DataLoader

from app.work_orders import repository
from app.work_orders.models import Task, TaskEvent
from schema.context import Info


def task_by_id(info: Info) -> DataLoader[int, Task | None]:
    context = info.context

    async def load(ids: Sequence[int]) -> list[Task | None]:
        statement = repository.readable(context.principal).where(col(Task.id).in_(ids))
        found = {row.id: row for row in (await context.session.scalars(statement)).all()}
        return [found.get(i) for i in ids]

    return context.loaders.custom("readable-task", load)


def tasks_by(info: Info, parent_key: Any) -> DataLoader[int, list[Task]]:
    """The readable tasks of each parent, by the foreign key `parent_key`, in id order."""
    context = info.context

    async def load(ids: Sequence[int]) -> list[list[Task]]:
        statement = (
            repository.readable(context.principal).where(parent_key.in_(ids)).order_by(col(Task.id))
        )
        grouped: dict[int, list[Task]] = defaultdict(list)
        for row in (await context.session.scalars(statement)).all():
            grouped[getattr(row, parent_key.key)].append(row)
        return [grouped.get(i, []) for i in ids]

    return context.loaders.custom(f"readable-tasks:{parent_key.key}", load)


def request_events(info: Info) -> DataLoader[int, list[TaskEvent]]:
    """The events of each service request that belong to no task or to a readable one."""
    context = info.context

    async def load(ids: Sequence[int]) -> list[list[TaskEvent]]:
        statement = select(TaskEvent).where(col(TaskEvent.service_request_id).in_(ids))
        principal = context.principal
        if principal is None or not principal.is_staff:
            readable_ids = repository.readable(principal).with_only_columns(col(Task.id))
            statement = statement.where(
                or_(col(TaskEvent.task_id).is_(None), col(TaskEvent.task_id).in_(readable_ids))
            )
        grouped: dict[int, list[TaskEvent]] = defaultdict(list)
        for row in (await context.session.scalars(statement.order_by(col(TaskEvent.id)))).all():
            assert row.service_request_id is not None
            grouped[row.service_request_id].append(row)
        return [grouped.get(i, []) for i in ids]

    return context.loaders.custom("readable-request-events", load)
