"""The technician's flow on the day: travel, check in (geofenced), work, record, finish."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.auth import Principal
from app.core.channels import ALERTS
from app.core.errors import DomainError, ErrorCode
from app.core.events import queue_event
from app.core.geo import LatLng, point_value
from app.core.models import utcnow
from app.service_requests.service import refresh_status
from app.work_orders import repository
from app.work_orders.models import Task, TaskSkill, TaskStatus
from app.work_orders.policies import GeofenceMode, load_policies
from app.work_orders.records import sign
from app.work_orders.schedule import check_timing
from app.work_orders.transitions import Action, Actor, Change, apply, check_allowed, record_creation


@dataclass(frozen=True, slots=True)
class Step:
    """One technician action on one task, as the phone sent it."""

    task_id: int
    expected_version: int | None = None
    location: LatLng | None = None
    reason: str | None = None


def _change(principal: Principal, action: Action, step: Step) -> Change:
    where = point_value(step.location.lat, step.location.lng) if step.location else None
    return Change(action, Actor.of(principal), step.reason, where, step.expected_version)


async def move(session: AsyncSession, principal: Principal, action: Action, step: Step) -> Task:
    """A plain transition (start travel, start work, hold) of the caller's task."""
    task = await repository.get_for_change(session, principal, step.task_id)
    change = _change(principal, action, step)
    check_allowed(task, change)
    if action is Action.START_TRAVEL:
        await _refuse_unreleased(session, step.task_id)
        await _on_schedule(session, task, action, step)
    if action is Action.START_WORK:
        await _refuse_while_an_estimate_waits(session, step.task_id)
    if action is Action.START_WORK and task.started_at is None:
        task.started_at = utcnow()
    apply(session, task, change)
    await session.flush()
    return task


async def _on_schedule(session: AsyncSession, task: Task, action: Action, step: Step) -> list[str]:
    """Refuse, or flag with the step's reason, travel or a check-in outside the schedule."""
    policies = await load_policies(session)
    warning = await check_timing(session, task, action, policies, step.reason, utcnow())
    if warning is None:
        return []
    task.off_schedule = True
    _alert(session, task, 1, f"task {task.id}: {warning}")
    return [warning]


async def _refuse_while_an_estimate_waits(session: AsyncSession, task_id: int) -> None:
    # Imported here: billing builds on this module's tasks.
    from app.billing.estimates import estimate_blocks_work

    if await estimate_blocks_work(session, task_id):
        raise DomainError(
            "the customer has not accepted the estimate yet",
            ErrorCode.INVALID_TRANSITION,
            ["taskId"],
        )


async def _refuse_unreleased(session: AsyncSession, task_id: int) -> None:
    # Imported here: travel requests build on this module's tasks.
    from app.travel_requests.policy import refuse_unreleased

    await refuse_unreleased(session, task_id)


async def check_in(
    session: AsyncSession, principal: Principal, step: Step, *, crew: bool = False
) -> tuple[Task, list[str]]:
    """Arrive on site. Outside the geofence, or outside the scheduled time, the check-in is
    refused or flagged (policy). `crew`: the caller may be a member of the task's crew."""
    if step.location is None:
        raise DomainError("a check-in needs the phone's position", ErrorCode.INVALID, ["location"])
    task = await repository.get_for_change(session, principal, step.task_id, crew=crew)
    change = _change(principal, Action.CHECK_IN, step)
    check_allowed(task, change)
    await _refuse_unreleased(session, step.task_id)
    warnings = await _on_schedule(session, task, Action.CHECK_IN, step)
    distance = await _distance(session, task, step.location)
    policies = await load_policies(session)
    if distance > policies.geofence_radius_meters:
        message = (
            f"{distance:.0f} m from the site (the limit is {policies.geofence_radius_meters:.0f} m)"
        )
        if policies.geofence_mode is GeofenceMode.REFUSE:
            raise DomainError(f"too far to check in: {message}", ErrorCode.INVALID, ["location"])
        warnings.append(f"checked in outside the geofence: {message}")
        task.outside_geofence = True
        _alert(session, task, 1, f"task {task.id}: check-in {message}")
    task.check_in_distance_meters = distance
    # Imported here: crews build on this module's tasks.
    from app.crews.service import on_check_in

    await on_check_in(session, task, principal, distance)
    apply(session, task, change)
    await session.flush()
    return task, warnings


async def _distance(session: AsyncSession, task: Task, where: LatLng) -> float:
    value = await session.scalar(
        select(func.ST_Distance(Task.location, point_value(where.lat, where.lng))).where(
            col(Task.id) == task.id
        )
    )
    return float(value or 0.0)


def _alert(session: AsyncSession, task: Task, level: int, message: str) -> None:
    queue_event(
        session,
        ALERTS,
        "TASK_FLAGGED",
        {"level": level, "message": message, "territory_id": task.territory_id, "task_id": task.id},
    )


@dataclass(frozen=True, slots=True)
class Completion:
    resolution_code: str
    notes: str | None = None
    signature_ref: str | None = None
    signer_name: str | None = None


async def complete(
    session: AsyncSession, principal: Principal, step: Step, done: Completion, *, crew: bool = False
) -> Task:
    task = await repository.get_for_change(session, principal, step.task_id, crew=crew)
    change = _change(principal, Action.COMPLETE, step)
    check_allowed(task, change)
    # Imported here: crews build on this module's tasks.
    from app.crews.service import may_close

    await may_close(session, task, principal)
    if done.signature_ref and done.signer_name:
        sign(task, done.signature_ref, done.signer_name)
    policies = await load_policies(session)
    if policies.signature_required and task.signature_ref is None:
        raise DomainError("the customer's signature is required", ErrorCode.INVALID, ["signature"])
    task.resolution_code = done.resolution_code
    task.resolution_notes = done.notes
    task.finished_at = utcnow()
    apply(session, task, change)
    await _after_close(session, task)
    return task


async def _after_close(session: AsyncSession, task: Task) -> None:
    await session.flush()
    if task.service_request_id is not None:
        await refresh_status(session, task.service_request_id)
        await session.flush()


async def mark_incomplete(
    session: AsyncSession, principal: Principal, step: Step
) -> tuple[Task, Task]:
    """The visit could not finish: the task ends INCOMPLETE and a follow-up task is opened."""
    if not (step.reason or "").strip():
        raise DomainError("say why the task is incomplete", ErrorCode.INVALID, ["reason"])
    task = await repository.get_for_change(session, principal, step.task_id)
    change = _change(principal, Action.MARK_INCOMPLETE, step)
    check_allowed(task, change)
    task.incomplete_reason = step.reason
    task.finished_at = utcnow()
    apply(session, task, change)
    follow_up = await _follow_up(session, task, Actor.of(principal))
    await _after_close(session, task)
    return task, follow_up


_COPIED = (
    "type", "description", "priority", "duration_minutes", "crew_size", "deadline",
    "work_order_id", "service_request_id", "customer_id", "site_id", "asset_id",
    "territory_id", "location", "preferred_technician_ids", "excluded_technician_ids",
    "prerequisites", "resolution_due_at",
)  # fmt: skip


async def _follow_up(session: AsyncSession, task: Task, actor: Actor) -> Task:
    """Another visit of the same job. Its SLA is the job's: the first visit (which checked in)
    met the response, so the follow-up has no response due time of its own; the resolution
    clock runs on to the same due time."""
    values: dict[str, Any] = {name: getattr(task, name) for name in _COPIED}
    follow_up = Task(
        **values, response_due_at=None, follow_up_of_id=task.id, status=TaskStatus.UNSCHEDULED
    )
    session.add(follow_up)
    await session.flush()
    assert follow_up.id is not None
    skills = (
        await session.scalars(select(TaskSkill).where(col(TaskSkill.task_id) == task.id))
    ).all()
    session.add_all(
        TaskSkill(task_id=follow_up.id, skill_id=s.skill_id, min_level=s.min_level) for s in skills
    )
    record_creation(
        session, follow_up, actor, f"follow-up of task {task.id}: {task.incomplete_reason}"
    )
    return follow_up
