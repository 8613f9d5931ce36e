"""Offers: a dispatcher offers a task to a technician, who accepts or rejects it in time.

A rejected or expired offer puts the task back to UNSCHEDULED and excludes the technician;
repeated rejections raise an alert for the dispatchers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.auth import Principal, Role
from app.core.channels import ALERTS
from app.core.errors import DomainError, ErrorCode, FieldProblem, NotFound
from app.core.events import queue_event
from app.core.models import utcnow
from app.core.repository import get_for_update
from app.crews.models import CrewMember, TaskSegment
from app.technicians.models import Technician, TechnicianStatus
from app.work_orders import repository
from app.work_orders.assignment import Warning, warnings_for
from app.work_orders.models import OfferStatus, Task, TaskOffer, TaskStatus
from app.work_orders.policies import Policies, load_policies
from app.work_orders.transitions import SYSTEM_ACTOR, Action, Actor, Change, apply, check_allowed


async def assign_task(
    session: AsyncSession,
    principal: Principal,
    task_id: int,
    technician_id: int,
    start: datetime,
    *,
    reason: str | None = None,
    expected_version: int | None = None,
) -> tuple[Task, list[Warning]]:
    """Offer the task to the technician from `start`. Warnings refuse the assignment unless
    the dispatcher gives a reason to override them."""
    task = await repository.get_for_change(session, principal, task_id)
    change = Change(Action.ASSIGN, Actor.of(principal), reason, expected_version=expected_version)
    check_allowed(task, change)
    technician = await _technician(session, technician_id)
    end = start + timedelta(minutes=task.duration_minutes)
    warnings = await warnings_for(session, task, technician, start, end)
    if warnings and not reason:
        override = "; give a reason to assign anyway"
        raise DomainError(
            warnings[0].message + override,
            problems=[
                FieldProblem(w.message + override, ErrorCode.CONFLICT, ["technicianId"])
                for w in warnings
            ],
        )
    previous = task.technician_id
    await close_offers(session, task, OfferStatus.WITHDRAWN, reason)
    await _drop_crew(session, task_id)
    policies = await load_policies(session)
    _offer(session, task, technician_id, start, end, principal.subject, policies)
    apply(session, task, change, previous_technician=previous)
    await session.flush()
    return task, warnings


@dataclass(frozen=True)
class PlannedOffer:
    """One task to offer to a technician from `start`, if the task is still at `version`."""

    task_id: int
    technician_id: int
    start: datetime
    expected_version: int | None = None


async def offer_planned(
    session: AsyncSession, principal: Principal, offers: Sequence[PlannedOffer], reason: str
) -> dict[int, DomainError]:
    """Offer many tasks at once, each as `assign_task` with `reason` would: one statement per
    step whatever their number, then one flush that writes the rows in batches. A reasoned
    assignment is never refused for its warnings, so they are not looked for. A task that
    cannot be offered (gone, another version, a status that refuses the offer, its technician
    archived or inactive) is left alone; returns why, by task id."""
    tasks = await _locked_tasks(session, principal, [o.task_id for o in offers])
    technicians = await _technicians(session, {o.technician_id for o in offers})
    refused: dict[int, DomainError] = {}
    chosen: list[tuple[PlannedOffer, Task, Change]] = []
    for offer in offers:
        task = tasks.get(offer.task_id)
        change = Change(
            Action.ASSIGN, Actor.of(principal), reason, expected_version=offer.expected_version
        )
        try:
            if task is None:
                raise NotFound("task", ["taskId"])
            check_allowed(task, change)
            _usable(technicians.get(offer.technician_id))
        except DomainError as error:
            refused[offer.task_id] = error
            continue
        chosen.append((offer, task, change))
    ids = [offer.task_id for offer, _, _ in chosen]
    if not ids:
        return refused
    await session.execute(
        sa.update(TaskOffer)
        .where(col(TaskOffer.task_id) == _any(ids), col(TaskOffer.status) == OfferStatus.PENDING)
        .values(status=OfferStatus.WITHDRAWN, responded_at=utcnow(), reason=reason)
    )
    await session.execute(sa.delete(CrewMember).where(col(CrewMember.task_id) == _any(ids)))
    await session.execute(sa.delete(TaskSegment).where(col(TaskSegment.task_id) == _any(ids)))
    policies = await load_policies(session)
    for offer, task, change in chosen:
        previous = task.technician_id
        end = offer.start + timedelta(minutes=task.duration_minutes)
        _offer(session, task, offer.technician_id, offer.start, end, principal.subject, policies)
        apply(session, task, change, previous_technician=previous)
    await session.flush()
    return refused


def _any(ids: Sequence[int]) -> sa.ColumnElement[Any]:
    """`= ANY(:ids)`: one array parameter, however many ids."""
    return sa.any_(sa.literal(list(ids), ARRAY(sa.Integer)))


async def _locked_tasks(
    session: AsyncSession, principal: Principal, ids: Sequence[int]
) -> dict[int, Task]:
    """The tasks the caller may change, locked for this transaction, by id, as
    `repository.get_for_change` finds one."""
    scope = repository.readable(principal)
    if principal.role is Role.TECHNICIAN:
        scope = scope.where(col(Task.technician_id) == principal.technician_id)
    statement = scope.where(col(Task.id) == _any(ids)).order_by(col(Task.id))
    found = await session.scalars(statement.with_for_update(of=Task))
    return {task.id: task for task in found.all() if task.id is not None}


async def _technicians(session: AsyncSession, ids: set[int]) -> dict[int, Technician]:
    found = await session.scalars(select(Technician).where(col(Technician.id) == _any(list(ids))))
    return {t.id: t for t in found.all() if t.id is not None}


async def _drop_crew(session: AsyncSession, task_id: int) -> None:
    """A single assignment (or taking the task back) ends any crew and its daily segments: a
    crew assigned before must not come back with a later assignment to its lead."""
    await session.execute(sa.delete(CrewMember).where(col(CrewMember.task_id) == task_id))
    await session.execute(sa.delete(TaskSegment).where(col(TaskSegment.task_id) == task_id))


async def _technician(session: AsyncSession, technician_id: int) -> Technician:
    return _usable(await session.get(Technician, technician_id))


def _usable(technician: Technician | None) -> Technician:
    if technician is None or technician.archived_at is not None:
        raise NotFound("technician", ["technicianId"])
    if technician.status is not TechnicianStatus.ACTIVE:
        raise DomainError(
            f"the technician is {technician.status}", ErrorCode.INVALID, ["technicianId"]
        )
    return technician


def _offer(
    session: AsyncSession,
    task: Task,
    technician_id: int,
    start: datetime,
    end: datetime,
    offered_by: str,
    policies: Policies,
) -> None:
    assert task.id is not None
    now = utcnow()
    expires = now + timedelta(minutes=policies.offer_response_minutes)
    task.technician_id = technician_id
    task.scheduled_start, task.scheduled_end = start, end
    task.offer_expires_at = expires
    task.excluded_technician_ids = [t for t in task.excluded_technician_ids if t != technician_id]
    session.add(
        TaskOffer(
            task_id=task.id,
            technician_id=technician_id,
            offered_by=offered_by,
            offered_at=now,
            expires_at=expires,
        )
    )


async def close_offers(
    session: AsyncSession, task: Task, status: OfferStatus, reason: str | None
) -> None:
    await session.execute(
        sa.update(TaskOffer)
        .where(col(TaskOffer.task_id) == task.id, col(TaskOffer.status) == OfferStatus.PENDING)
        .values(status=status, responded_at=utcnow(), reason=reason)
    )


async def accept_task(
    session: AsyncSession,
    principal: Principal,
    task_id: int,
    *,
    expected_version: int | None = None,
    location: object = None,
) -> Task:
    task = await repository.get_for_change(session, principal, task_id)
    change = Change(Action.ACCEPT, Actor.of(principal), None, location, expected_version)
    check_allowed(task, change)
    await close_offers(session, task, OfferStatus.ACCEPTED, None)
    task.offer_expires_at = None
    apply(session, task, change)
    await session.flush()
    return task


async def reject_task(
    session: AsyncSession,
    principal: Principal,
    task_id: int,
    reason: str,
    *,
    expected_version: int | None = None,
) -> Task:
    if not reason.strip():
        raise DomainError("a rejection needs a reason", ErrorCode.INVALID, ["reason"])
    task = await repository.get_for_change(session, principal, task_id)
    change = Change(Action.REJECT, Actor.of(principal), reason, None, expected_version)
    check_allowed(task, change)
    await _give_back(session, task, change, OfferStatus.REJECTED)
    return task


async def _give_back(
    session: AsyncSession, task: Task, change: Change, outcome: OfferStatus
) -> None:
    """Back to UNSCHEDULED without the technician, who is excluded from the task."""
    previous = task.technician_id
    await close_offers(session, task, outcome, change.reason)
    if previous is not None and previous not in task.excluded_technician_ids:
        task.excluded_technician_ids = [*task.excluded_technician_ids, previous]
    task.technician_id = None
    task.scheduled_start = task.scheduled_end = task.offer_expires_at = None
    task.rejection_count += 1
    apply(session, task, change, previous_technician=previous)
    policies = await load_policies(session)
    if task.rejection_count >= policies.rejections_before_alert:
        _alert_rejections(session, task)
    await session.flush()


def _alert_rejections(session: AsyncSession, task: Task) -> None:
    queue_event(
        session,
        ALERTS,
        "TASK_REJECTED_REPEATEDLY",
        {
            "level": 1,
            "message": f"task {task.id} was rejected or let expire {task.rejection_count} times",
            "territory_id": task.territory_id,
            "task_id": task.id,
        },
    )


async def expire_offers(
    session: AsyncSession, now: datetime | None = None, task_ids: Sequence[int] | None = None
) -> list[int]:
    """Take back every offer past its deadline (skipping tasks another worker holds);
    the periodic job calls this, and the technician mutations call it for their task."""
    statement = (
        select(Task.id)
        .where(col(Task.status) == TaskStatus.DISPATCHED)
        .where(col(Task.offer_expires_at) <= (now or utcnow()))
        .with_for_update(skip_locked=True)
    )
    if task_ids is not None:
        statement = statement.where(col(Task.id).in_(task_ids))
    expired = list((await session.scalars(statement)).all())
    for task_id in expired:
        task = await get_for_update(session, Task, task_id, what="task")
        change = Change(Action.EXPIRE, SYSTEM_ACTOR, "the offer was not answered in time")
        await _give_back(session, task, change, OfferStatus.EXPIRED)
    return [t for t in expired if t is not None]


async def unassign_task(
    session: AsyncSession,
    principal: Principal,
    task_id: int,
    reason: str | None,
    expected_version: int | None = None,
) -> Task:
    """A dispatcher takes the task back (no exclusion: it was not the technician's choice)."""
    task = await repository.get_for_change(session, principal, task_id)
    change = Change(Action.UNASSIGN, Actor.of(principal), reason, None, expected_version)
    check_allowed(task, change)
    previous = task.technician_id
    await close_offers(session, task, OfferStatus.WITHDRAWN, reason)
    await _drop_crew(session, task_id)
    task.technician_id = None
    task.scheduled_start = task.scheduled_end = task.offer_expires_at = None
    apply(session, task, change, previous_technician=previous)
    await session.flush()
    return task
