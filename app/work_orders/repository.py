"""Task queries, scoped to what the caller may read."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, cast, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import and_, col, false, not_, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal, Role
from app.core.errors import NotFound
from app.crews.models import CrewMember, TaskSegment
from app.customers.models import Customer
from app.technicians.models import Technician
from app.territories.models import Territory
from app.work_orders.models import CLOSED_STATUSES, Task, TaskStatus


def _expired_offer() -> Any:
    return and_(col(Task.status) == TaskStatus.DISPATCHED, col(Task.offer_expires_at) < func.now())


def _technician_ids(principal: Principal) -> Any:
    if principal.role is Role.TECHNICIAN and principal.technician_id:
        return [principal.technician_id]
    if principal.role is Role.PARTNER and principal.partner_id:
        return select(Technician.id).where(col(Technician.partner_id) == principal.partner_id)
    return None


def readable(principal: Principal | None) -> SelectOfScalar[Task]:
    """Staff see every task; a technician the tasks assigned or offered to them (an expired
    offer no longer counts); a partner those of its technicians; a customer its own."""
    statement = select(Task)
    if principal is None:
        return statement.where(false())
    if principal.is_staff:
        return statement
    if principal.role is Role.CUSTOMER and principal.customer_id:
        return statement.where(col(Task.customer_id) == principal.customer_id)
    technicians = _technician_ids(principal)
    if technicians is None:
        return statement.where(false())
    return statement.where(_theirs(technicians), not_(_expired_offer()))


def _theirs(technicians: Any) -> Any:
    """Tasks the technicians lead or are in the crew of: a crew counts while its lead holds
    the task (not once the task is taken back or given to someone else). One id list, found
    through the indexes on the technician, that the tasks are then looked up by."""
    own, crewed = aliased(Task), aliased(Task)
    member, lead = aliased(CrewMember), aliased(CrewMember)
    led = select(own.id).where(col(own.technician_id).in_(technicians))
    in_crew = (
        select(member.task_id)
        .join(lead, and_(col(lead.task_id) == col(member.task_id), col(lead.is_lead)))
        .join(crewed, col(crewed.id) == col(member.task_id))
        .where(col(member.technician_id).in_(technicians))
        .where(col(crewed.technician_id) == col(lead.technician_id))
    )
    return col(Task.id).in_(led.union_all(in_crew))


async def get_readable(
    session: AsyncSession, principal: Principal | None, task_id: int
) -> Task | None:
    return await session.scalar(readable(principal).where(col(Task.id) == task_id))


async def get_for_change(
    session: AsyncSession, principal: Principal, task_id: int, *, crew: bool = False
) -> Task:
    """The task locked for this transaction, if the caller may read it; else NOT_FOUND. A crew
    member (not the lead) may read a crew task but changes it only through the crew's steps
    (`crew`)."""
    scope = readable(principal)
    if not crew and principal.role is Role.TECHNICIAN:
        scope = scope.where(col(Task.technician_id) == principal.technician_id)
    statement = scope.where(col(Task.id) == task_id).with_for_update(of=Task)
    task = await session.scalar(statement)
    if task is None:
        raise NotFound("task", ["taskId"])
    return task


def filtered(
    principal: Principal | None,
    *,
    statuses: list[TaskStatus] | None = None,
    territory_id: int | None = None,
    technician_id: int | None = None,
    scheduled_from: Any = None,
    scheduled_to: Any = None,
    customer_id: int | None = None,
    unassigned: bool | None = None,
    search: str | None = None,
) -> SelectOfScalar[Task]:
    statement = readable(principal)
    if customer_id is not None:
        statement = statement.where(col(Task.customer_id) == customer_id)
    if unassigned is not None:
        no_one = col(Task.technician_id).is_(None)
        statement = statement.where(no_one if unassigned else not_(no_one))
    if search:
        statement = statement.where(_matches(search))
    if statuses:
        statement = statement.where(col(Task.status).in_(statuses))
    if territory_id is not None:
        statement = statement.where(col(Task.territory_id) == territory_id)
    if technician_id is not None:
        statement = statement.where(col(Task.technician_id) == technician_id)
    if scheduled_from is not None:
        statement = statement.where(col(Task.scheduled_end) > scheduled_from)
    if scheduled_to is not None:
        statement = statement.where(col(Task.scheduled_start) < scheduled_to)
    return statement


def _matches(text: str) -> Any:
    """A task whose number (T-123), description or customer's name holds the text."""
    term = text.strip()
    number = term.upper().removeprefix("T-")
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    by_name = select(Customer.id).where(col(Customer.name).ilike(pattern))
    return or_(
        col(Task.id) == int(number) if _is_ascii_number(number) else false(),
        col(Task.description).ilike(pattern),
        col(Task.customer_id).in_(by_name),
    )


def my_day(technician_id: int, day: date | None) -> SelectOfScalar[Task]:
    """A technician's tasks (led or in the crew of) planned for `day` in the territory's time
    zone (UTC without one), a multi-day task on each day of its segments; without a day, today
    there."""
    when = func.coalesce(Task.scheduled_start, Task.window_start)
    zone = func.coalesce(Territory.time_zone, "UTC")
    local_day = cast(func.timezone(zone, when), Date)
    wanted = cast(func.timezone(zone, func.now()), Date) if day is None else day
    segment_day = (
        select(TaskSegment.task_id)
        .where(col(TaskSegment.task_id) == col(Task.id))
        .where(cast(func.timezone(zone, TaskSegment.starts_at), Date) == wanted)
        .exists()
    )
    return (
        select(Task)
        .outerjoin(Territory, col(Territory.id) == col(Task.territory_id))
        .where(_theirs([technician_id]), or_(local_day == wanted, segment_day))
        .where(not_(_expired_offer()))
        .order_by(when, col(Task.id))
    )


def history(
    principal: Principal | None, customer_id: int | None, asset_id: int | None
) -> SelectOfScalar[Task]:
    """Closed tasks of a customer or an asset. Technicians and partners see the history of the
    customers they currently serve; customers their own; staff all."""
    statement = select(Task).where(col(Task.status).in_(CLOSED_STATUSES))
    if customer_id is not None:
        statement = statement.where(col(Task.customer_id) == customer_id)
    if asset_id is not None:
        statement = statement.where(col(Task.asset_id) == asset_id)
    return statement.where(_history_scope(principal))


def _history_scope(principal: Principal | None) -> Any:
    if principal is None:
        return false()
    if principal.is_staff:
        return col(Task.id).is_not(None)
    if principal.role is Role.CUSTOMER and principal.customer_id:
        return col(Task.customer_id) == principal.customer_id
    technicians = _technician_ids(principal)
    if technicians is None:
        return false()
    serving = aliased(Task)
    served = select(col(serving.customer_id)).where(
        col(serving.technician_id).in_(technicians), col(serving.status).not_in(CLOSED_STATUSES)
    )
    return or_(col(Task.customer_id).in_(served), col(Task.technician_id).in_(technicians))


def _is_ascii_number(text: str) -> bool:
    """Digits `int` reads and a bigint holds (`str.isdigit` also admits "²" and the like)."""
    return text.isascii() and text.isdigit() and len(text) < 16
