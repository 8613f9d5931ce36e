"""Attachment queries: whoever may read a request, a task or a depot repair order may read its
attachments."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from app.attachments.models import Attachment, Parent
from app.core.auth import Principal
from app.depot_repair import repository as repair_orders
from app.depot_repair.models import RepairOrder
from app.service_requests import repository as requests
from app.service_requests.models import ServiceRequest
from app.work_orders import repository as tasks
from app.work_orders.models import Task


def readable(principal: Principal | None) -> SelectOfScalar[Attachment]:
    statement = select(Attachment)
    if principal is None:
        return statement.where(false())
    if principal.is_staff:
        return statement
    request_ids = requests.readable(principal).with_only_columns(col(ServiceRequest.id))
    task_ids = tasks.readable(principal).with_only_columns(col(Task.id))
    order_ids = repair_orders.readable(principal).with_only_columns(col(RepairOrder.id))
    return statement.where(
        or_(
            col(Attachment.service_request_id).in_(request_ids),
            col(Attachment.task_id).in_(task_ids),
            col(Attachment.repair_order_id).in_(order_ids),
        )
    )


def listed(
    principal: Principal | None, *, service_request_id: int | None, task_id: int | None
) -> SelectOfScalar[Attachment]:
    """A request's attachments with those of its tasks; a task's with those of its request."""
    statement = readable(principal)
    if service_request_id is not None:
        of_tasks = select(Task.id).where(col(Task.service_request_id) == service_request_id)
        statement = statement.where(
            or_(
                col(Attachment.service_request_id) == service_request_id,
                col(Attachment.task_id).in_(of_tasks),
            )
        )
    if task_id is not None:
        request_of_task = select(Task.service_request_id).where(col(Task.id) == task_id)
        statement = statement.where(
            or_(
                col(Attachment.task_id) == task_id,
                col(Attachment.service_request_id).in_(request_of_task),
            )
        )
    return statement


async def get_readable(
    session: AsyncSession, principal: Principal | None, attachment_id: int
) -> Attachment | None:
    return await session.scalar(readable(principal).where(col(Attachment.id) == attachment_id))


async def find_same(session: AsyncSession, sha256: str, parent: Parent) -> Attachment | None:
    same_parent: Any
    if parent.task_id is not None:
        same_parent = col(Attachment.task_id) == parent.task_id
    elif parent.repair_order_id is not None:
        same_parent = col(Attachment.repair_order_id) == parent.repair_order_id
    else:
        same_parent = col(Attachment.service_request_id) == parent.service_request_id
    return await session.scalar(
        select(Attachment)
        .where(col(Attachment.blob_sha256) == sha256, same_parent)
        .order_by(col(Attachment.id))
        .limit(1)
    )
