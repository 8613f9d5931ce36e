"""Service plan and planned visit queries, scoped to what the caller may read."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, select
from sqlmodel.sql.expression import SelectOfScalar

from app.contracts.models import Contract
from app.core.auth import Principal, Role
from app.service_plans.models import PlannedVisit, ServicePlan, VisitStatus
from app.work_orders import repository as tasks
from app.work_orders.models import Task


def readable_plans(principal: Principal | None) -> SelectOfScalar[ServicePlan]:
    """Staff read every plan; a customer the plans of its own contracts; nobody else."""
    statement = select(ServicePlan)
    if principal is not None and principal.is_staff:
        return statement
    if principal is not None and principal.role is Role.CUSTOMER and principal.customer_id:
        return statement.join(Contract, col(Contract.id) == col(ServicePlan.contract_id)).where(
            col(Contract.customer_id) == principal.customer_id
        )
    return statement.where(false())


def listed_plans(
    principal: Principal | None, *, contract_id: int | None = None, include_archived: bool = False
) -> SelectOfScalar[ServicePlan]:
    statement = readable_plans(principal)
    if contract_id is not None:
        statement = statement.where(col(ServicePlan.contract_id) == contract_id)
    if not include_archived:
        statement = statement.where(col(ServicePlan.archived_at).is_(None))
    return statement


def readable_visits(principal: Principal | None) -> SelectOfScalar[PlannedVisit]:
    """Staff read every visit; a customer its own; a technician or partner the visits whose
    task it may read (assigned to it, or to its technicians)."""
    statement = select(PlannedVisit)
    if principal is None:
        return statement.where(false())
    if principal.is_staff:
        return statement
    if principal.role is Role.CUSTOMER and principal.customer_id:
        return statement.where(col(PlannedVisit.customer_id) == principal.customer_id)
    readable_tasks = tasks.readable(principal).with_only_columns(col(Task.id))
    return statement.where(col(PlannedVisit.task_id).in_(readable_tasks))


def listed_visits(
    principal: Principal | None,
    *,
    since: date | None = None,
    until: date | None = None,
    territory_id: int | None = None,
    contract_id: int | None = None,
    statuses: list[VisitStatus] | None = None,
) -> SelectOfScalar[PlannedVisit]:
    statement = readable_visits(principal)
    if since is not None:
        statement = statement.where(col(PlannedVisit.visit_on) >= since)
    if until is not None:
        statement = statement.where(col(PlannedVisit.visit_on) <= until)
    if territory_id is not None:
        statement = statement.where(col(PlannedVisit.territory_id) == territory_id)
    if contract_id is not None:
        statement = statement.where(col(PlannedVisit.contract_id) == contract_id)
    if statuses:
        statement = statement.where(col(PlannedVisit.status).in_(statuses))
    return statement


async def get_plan(
    session: AsyncSession, principal: Principal | None, plan_id: int
) -> ServicePlan | None:
    return await session.scalar(readable_plans(principal).where(col(ServicePlan.id) == plan_id))


async def get_visit(
    session: AsyncSession, principal: Principal | None, visit_id: int
) -> PlannedVisit | None:
    return await session.scalar(readable_visits(principal).where(col(PlannedVisit.id) == visit_id))
