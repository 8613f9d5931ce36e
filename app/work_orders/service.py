"""Work orders and tasks: creating a task from a request (or standalone), with its skills."""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import cast, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.errors import DomainError, ErrorCode, FieldProblem, NotFound, collect
from app.core.models import utcnow
from app.customers.models import Site
from app.remote_service import triage
from app.service_requests import service as requests
from app.service_requests.models import ServiceRequest, ServiceRequestStatus
from app.service_requests.sla import due_times
from app.technicians.models import Skill, Technician
from app.territories.models import Territory
from app.work_orders.models import (
    SkillRequirement,
    Task,
    TaskCreate,
    TaskSkill,
    TaskType,
    WorkOrder,
)
from app.work_orders.transitions import Actor, record_creation


async def create_task(session: AsyncSession, actor: Actor, data: TaskCreate) -> Task:
    """A field task for a service request (its work order is created on first use) or, without
    a request, for a customer's site."""
    request = await _request_of(session, data)
    order = await _work_order(session, data, request)
    site = await session.get(Site, order.site_id)
    assert site is not None
    skills = await _resolve_skills(session, data.required_skills)
    await _check_technicians(session, data)
    task = await _new_task(session, data, request, order, site)
    session.add(task)
    await session.flush()
    assert task.id is not None
    session.add_all(TaskSkill(task_id=task.id, skill_id=s, min_level=lvl) for s, lvl in skills)
    record_creation(session, task, actor, None)
    if request is not None and request.id is not None:
        await requests.refresh_status(session, request.id)
    await session.flush()
    return task


async def _request_of(session: AsyncSession, data: TaskCreate) -> ServiceRequest | None:
    if data.service_request_id is None:
        if data.customer_id is None or data.site_id is None:
            raise DomainError(
                "a task needs a service request, or a customer and a site",
                ErrorCode.INVALID,
                ["serviceRequestId"],
            )
        return None
    request = await requests.get_request(session, data.service_request_id)
    if request.status is ServiceRequestStatus.CANCELLED:
        raise DomainError("the request was cancelled", ErrorCode.INVALID, ["serviceRequestId"])
    await triage.refuse_field_task_in_triage(session, data.service_request_id)
    return request


async def _work_order(
    session: AsyncSession, data: TaskCreate, request: ServiceRequest | None
) -> WorkOrder:
    if request is not None:
        existing = await session.scalar(
            select(WorkOrder).where(col(WorkOrder.service_request_id) == request.id)
        )
        if existing is not None:
            return existing
        order = WorkOrder(
            service_request_id=request.id,
            customer_id=request.customer_id,
            site_id=request.site_id,
            asset_id=request.asset_id,
        )
    else:
        await _check_site(session, data)
        assert data.customer_id is not None and data.site_id is not None
        order = WorkOrder(
            customer_id=data.customer_id, site_id=data.site_id, asset_id=data.asset_id
        )
    session.add(order)
    await session.flush()
    return order


async def _check_site(session: AsyncSession, data: TaskCreate) -> None:
    site = await session.get(Site, data.site_id)
    if site is None:
        raise NotFound("site", ["siteId"])
    if site.customer_id != data.customer_id:
        raise DomainError("the site is not the customer's", ErrorCode.INVALID, ["siteId"])


async def _resolve_skills(
    session: AsyncSession, wanted: list[SkillRequirement]
) -> list[tuple[int, int]]:
    codes = [w.code for w in wanted]
    rows = await session.execute(select(Skill.code, Skill.id).where(col(Skill.code).in_(codes)))
    known: dict[str, int] = dict(rows.all())
    collect(
        [
            FieldProblem(f"unknown skill {w.code}", ErrorCode.INVALID, ["requiredSkills", str(i)])
            for i, w in enumerate(wanted)
            if w.code not in known
        ]
    )
    levels: dict[int, int] = {}
    for w in wanted:
        levels[known[w.code]] = max(levels.get(known[w.code], 1), w.min_level)
    return list(levels.items())


async def _check_technicians(session: AsyncSession, data: TaskCreate) -> None:
    problems = []
    for field in ("preferred_technician_ids", "excluded_technician_ids"):
        ids: list[int] = getattr(data, field)
        found = set(
            (await session.scalars(select(Technician.id).where(col(Technician.id).in_(ids)))).all()
        )
        camel = (
            "preferredTechnicianIds" if field.startswith("preferred") else "excludedTechnicianIds"
        )
        problems += [
            FieldProblem("technician not found", ErrorCode.NOT_FOUND, [camel, str(i)])
            for i, t in enumerate(ids)
            if t not in found
        ]
    collect(problems)


async def territory_of_site(session: AsyncSession, site_id: int) -> int | None:
    """The territory whose area holds the site (the smallest when areas overlap)."""
    site_point = cast(col(Site.point), Geometry)
    return await session.scalar(
        select(Territory.id)
        .join(Site, func.ST_Covers(Territory.area, site_point))
        .where(col(Site.id) == site_id, col(Territory.archived_at).is_(None))
        .order_by(func.ST_Area(Territory.area))
        .limit(1)
    )


async def _new_task(
    session: AsyncSession,
    data: TaskCreate,
    request: ServiceRequest | None,
    order: WorkOrder,
    site: Site,
) -> Task:
    values = data.model_dump(
        exclude={"required_skills", "service_request_id", "customer_id", "site_id", "asset_id"}
    )
    values["prerequisites"] = [p.model_dump() for p in data.prerequisites]
    if request is not None:
        values["type"] = data.type or TaskType(request.category.value)
        if "priority" not in data.model_fields_set:
            values["priority"] = request.priority
    elif data.type is None:
        raise DomainError("a standalone task needs a type", ErrorCode.INVALID, ["type"])
    assert order.id is not None
    task = Task(
        **values,
        work_order_id=order.id,
        service_request_id=order.service_request_id,
        customer_id=order.customer_id,
        site_id=order.site_id,
        asset_id=order.asset_id,
        location=site.point,
        territory_id=await territory_of_site(session, order.site_id),
    )
    await _set_sla(session, task, request)
    return task


async def _set_sla(session: AsyncSession, task: Task, request: ServiceRequest | None) -> None:
    if request is not None and request.response_due_at is not None:
        task.response_due_at = request.response_due_at
        task.resolution_due_at = request.resolution_due_at
        return
    task.response_due_at, task.resolution_due_at = await due_times(session, task.priority, utcnow())
