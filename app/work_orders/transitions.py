"""The task state machine: which action moves a task from which states, and who may do it.

Every change goes through `apply`: it checks the version, the role and the source state,
writes an audit event, bumps the version and queues the events the realtime API publishes
after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, Forbidden
from app.core.events import queue_event
from app.core.models import utcnow
from app.core.repository import check_version
from app.work_orders.channels import (
    TASK_STATUS_CHANGED,
    task_channel,
    technician_channel,
    territory_channel,
)
from app.work_orders.models import Task, TaskEvent
from app.work_orders.models import TaskStatus as S


class Action(StrEnum):
    CREATE = "CREATE"
    SCHEDULE = "SCHEDULE"
    ASSIGN = "ASSIGN"
    UNASSIGN = "UNASSIGN"
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    EXPIRE = "EXPIRE"
    START_TRAVEL = "START_TRAVEL"
    CHECK_IN = "CHECK_IN"
    START_WORK = "START_WORK"
    HOLD = "HOLD"
    COMPLETE = "COMPLETE"
    MARK_INCOMPLETE = "MARK_INCOMPLETE"
    RESCHEDULE = "RESCHEDULE"
    CANCEL = "CANCEL"
    CONFIRM = "CONFIRM"


STEP_NAMES = {
    Action.CREATE: "createTask",
    Action.SCHEDULE: "scheduling",
    Action.ASSIGN: "assignTask",
    Action.UNASSIGN: "unassignTask",
    Action.ACCEPT: "acceptTask",
    Action.REJECT: "rejectTask",
    Action.EXPIRE: "letting the offer expire",
    Action.START_TRAVEL: "startTravel",
    Action.CHECK_IN: "checkIn",
    Action.START_WORK: "startWork",
    Action.HOLD: "pauseTask",
    Action.COMPLETE: "completeTask",
    Action.MARK_INCOMPLETE: "markTaskIncomplete",
    Action.RESCHEDULE: "rescheduleTask",
    Action.CANCEL: "cancelTask",
    Action.CONFIRM: "confirmAppointment",
}
"""How errors name each step: as the client calls it."""


@dataclass(frozen=True, slots=True)
class Rule:
    sources: frozenset[S]
    target: S | None
    """None keeps the current status (an action that is recorded but moves nothing)."""
    roles: frozenset[str]


DISPATCH = frozenset({Role.ADMIN, Role.DISPATCHER})
FIELD = frozenset({Role.TECHNICIAN})
DESK = frozenset({Role.ADMIN, Role.DISPATCHER, Role.AGENT, Role.MANAGER})
SYSTEM = "SYSTEM"
BEFORE_WORK = frozenset({S.UNSCHEDULED, S.SCHEDULED, S.DISPATCHED, S.ACCEPTED, S.EN_ROUTE})
OPEN = frozenset(S) - {S.COMPLETED, S.INCOMPLETE, S.CANCELLED}

RULES: dict[Action, Rule] = {
    Action.CREATE: Rule(frozenset(), S.UNSCHEDULED, DESK),
    Action.SCHEDULE: Rule(frozenset({S.UNSCHEDULED, S.SCHEDULED}), S.SCHEDULED, DISPATCH),
    Action.ASSIGN: Rule(
        frozenset({S.UNSCHEDULED, S.SCHEDULED, S.DISPATCHED, S.ACCEPTED}), S.DISPATCHED, DISPATCH
    ),
    Action.UNASSIGN: Rule(
        frozenset({S.SCHEDULED, S.DISPATCHED, S.ACCEPTED}), S.UNSCHEDULED, DISPATCH
    ),
    Action.ACCEPT: Rule(frozenset({S.DISPATCHED}), S.ACCEPTED, FIELD),
    Action.REJECT: Rule(frozenset({S.DISPATCHED, S.ACCEPTED}), S.UNSCHEDULED, FIELD),
    Action.EXPIRE: Rule(frozenset({S.DISPATCHED}), S.UNSCHEDULED, frozenset({SYSTEM})),
    Action.START_TRAVEL: Rule(frozenset({S.ACCEPTED}), S.EN_ROUTE, FIELD),
    Action.CHECK_IN: Rule(frozenset({S.ACCEPTED, S.EN_ROUTE}), S.ON_SITE, FIELD),
    Action.START_WORK: Rule(frozenset({S.ON_SITE, S.ON_HOLD}), S.IN_PROGRESS, FIELD),
    Action.HOLD: Rule(frozenset({S.IN_PROGRESS}), S.ON_HOLD, FIELD),
    Action.COMPLETE: Rule(frozenset({S.IN_PROGRESS}), S.COMPLETED, FIELD),
    Action.MARK_INCOMPLETE: Rule(
        frozenset({S.ON_SITE, S.IN_PROGRESS, S.ON_HOLD}), S.INCOMPLETE, FIELD
    ),
    Action.RESCHEDULE: Rule(BEFORE_WORK, S.UNSCHEDULED, DESK | {Role.CUSTOMER}),
    Action.CANCEL: Rule(OPEN, S.CANCELLED, DESK | {Role.CUSTOMER}),
    Action.CONFIRM: Rule(BEFORE_WORK, None, frozenset({Role.CUSTOMER})),
}

CUSTOMER_CANCELLABLE = BEFORE_WORK | {S.ON_SITE}
"""A customer may cancel until work starts; the desk may cancel any open task."""


def roles_for(action: Action) -> tuple[Role, ...]:
    return tuple(Role(r) for r in sorted(RULES[action].roles) if r != SYSTEM)


@dataclass(frozen=True, slots=True)
class Actor:
    subject: str
    role: str
    name: str = ""

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.subject, principal.role.value, principal.name)


SYSTEM_ACTOR = Actor("system", SYSTEM, "Fieldgraph")


@dataclass(frozen=True, slots=True)
class Change:
    action: Action
    actor: Actor
    reason: str | None = None
    location: Any = None
    expected_version: int | None = None


def check_allowed(task: Task, change: Change) -> S:
    """The status the change leads to, or the error that refuses it (nothing written)."""
    check_version(task, change.expected_version)
    rule = RULES[change.action]
    step = STEP_NAMES[change.action]
    if change.actor.role not in rule.roles:
        allowed = ", ".join(sorted(rule.roles))
        raise Forbidden(f"the {change.actor.role} role may not {step}; roles that may: {allowed}")
    if task.status not in rule.sources or _customer_too_late(task, change):
        sources = CUSTOMER_CANCELLABLE if _customer_too_late(task, change) else rule.sources
        raise DomainError(
            f"{step} is not possible while the task is {task.status}; it is possible "
            f"from {', '.join(sorted(sources))}",
            ErrorCode.INVALID_TRANSITION,
            ["taskId"],
        )
    return rule.target or task.status


def _customer_too_late(task: Task, change: Change) -> bool:
    return (
        change.action is Action.CANCEL
        and change.actor.role == Role.CUSTOMER
        and task.status not in CUSTOMER_CANCELLABLE
    )


def apply(
    session: AsyncSession, task: Task, change: Change, *, previous_technician: int | None = None
) -> TaskEvent:
    """Move the task (already checked with `check_allowed`), audit it and queue its events."""
    source = task.status
    task.status = check_allowed(task, change)
    task.touch()
    event = _audit(task, change, source, previous_technician)
    session.add(event)
    _publish(session, task, event, previous_technician)
    return event


def _audit(task: Task, change: Change, source: S, previous_technician: int | None) -> TaskEvent:
    assert task.id is not None
    return TaskEvent(
        task_id=task.id,
        service_request_id=task.service_request_id,
        action=change.action.value,
        from_status=source,
        to_status=task.status,
        at=utcnow(),
        actor=change.actor.subject,
        actor_role=change.actor.role,
        actor_name=change.actor.name,
        reason=change.reason,
        technician_id=task.technician_id or previous_technician,
        location=change.location,
    )


def event_data(task: Task, event: TaskEvent) -> dict[str, Any]:
    return {
        "task_id": task.id,
        "action": event.action,
        "from": event.from_status.value if event.from_status else None,
        "to": event.to_status.value,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "actor_role": event.actor_role,
        "reason": event.reason,
        "technician_id": task.technician_id,
        "territory_id": task.territory_id,
        "customer_id": task.customer_id,
        "service_request_id": task.service_request_id,
        "actor_name": event.actor_name,
        "version": task.version,
    }


def channels_of(task: Task, previous_technician: int | None = None) -> list[str]:
    assert task.id is not None
    channels = [task_channel(task.id)]
    technicians = {t for t in (task.technician_id, previous_technician) if t is not None}
    channels += [technician_channel(t) for t in sorted(technicians)]
    if task.territory_id is not None:
        channels.append(territory_channel(task.territory_id))
    return channels


def _publish(
    session: AsyncSession, task: Task, event: TaskEvent, previous_technician: int | None
) -> None:
    queue_event(
        session,
        channels_of(task, previous_technician),
        TASK_STATUS_CHANGED,
        event_data(task, event),
    )


def record_creation(session: AsyncSession, task: Task, actor: Actor, reason: str | None) -> None:
    """The first audit event of a task (no source status)."""
    assert task.id is not None
    event = TaskEvent(
        task_id=task.id,
        service_request_id=task.service_request_id,
        action=Action.CREATE.value,
        from_status=None,
        to_status=task.status,
        at=utcnow(),
        actor=actor.subject,
        actor_role=actor.role,
        actor_name=actor.name,
        reason=reason,
    )
    session.add(event)
    _publish(session, task, event, None)
