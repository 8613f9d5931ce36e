"""The SLA sweeper: marks work AT_RISK, BREACHED or MET and raises escalation alerts.

One sweep is one transaction. Several server instances may sweep at once: a sweep first takes
a transaction-level advisory lock and is skipped when another instance holds it; rows that a
mutation is changing are skipped (FOR UPDATE SKIP LOCKED) and picked up by the next sweep; and
an escalation is recorded under a unique key before its alert is queued, so no restart or race
raises the same level twice. Alerts leave only after the sweep commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.core.channels import ALERTS
from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker, queue_event
from app.core.logging import get_logger
from app.core.models import utcnow
from app.remote_service.models import RemoteCase, RemoteStage
from app.service_requests.models import ServiceRequest, ServiceRequestStatus, SlaPolicy, SlaState
from app.sla.clock import (
    DEFAULT_AT_RISK_PERCENT,
    ESCALATES_WHILE,
    RESPONDED,
    SlaClock,
    assess,
    settle,
)
from app.sla.models import (
    LEVEL_NAMES,
    EscalationPolicy,
    EscalationTrigger,
    SlaEscalation,
    SubjectKind,
)
from app.work_orders.models import OPEN_STATUSES, Task, TaskStatus

log = get_logger("fieldgraph.sla")

SWEEP_LOCK_KEY = 0x5F1A_5EE9
"""The advisory lock one sweep holds for its transaction (any constant unique to this job)."""

BATCH = 500
"""Rows of each kind one sweep handles; the next sweep continues where this one stopped."""

LIVE = (SlaState.ON_TRACK, SlaState.AT_RISK)
NOT_RESPONDED = tuple(sorted(OPEN_STATUSES - RESPONDED))
OPEN = tuple(sorted(OPEN_STATUSES))
SETTLED_TASK_STATUSES = (TaskStatus.COMPLETED, TaskStatus.INCOMPLETE)


@dataclass(frozen=True, slots=True)
class Raised:
    subject_kind: SubjectKind
    subject_id: int
    trigger: EscalationTrigger
    level: int


@dataclass(slots=True)
class SweepResult:
    skipped: bool = False
    """Another instance was sweeping; this one did nothing."""
    tasks: dict[SlaState, list[int]] = field(default_factory=lambda: defaultdict(list))
    requests: dict[SlaState, list[int]] = field(default_factory=lambda: defaultdict(list))
    escalations: list[Raised] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.tasks or self.requests or self.escalations)


async def sweep_once(session: AsyncSession, now: datetime) -> SweepResult:
    """One sweep at `now`, inside the caller's transaction (which the caller commits)."""
    if not await session.scalar(select(func.pg_try_advisory_xact_lock(SWEEP_LOCK_KEY))):
        return SweepResult(skipped=True)
    result = SweepResult()
    await _mark_tasks(session, now, result)
    await _mark_requests(session, now, result)
    await _settle_tasks(session, result)
    await _settle_requests(session, result)
    policies = (
        await session.scalars(
            select(EscalationPolicy)
            .where(col(EscalationPolicy.active).is_(True))
            .order_by(col(EscalationPolicy.trigger), col(EscalationPolicy.level))
        )
    ).all()
    for policy in policies:
        result.escalations += await _escalate(session, policy, now)
    return result


async def sweep_and_publish(sessions: SessionFactory, broker: Broker | None) -> SweepResult:
    """One sweep in its own transaction; its alerts are published once it commits."""
    async with unit_of_work(sessions, broker) as session:
        result = await sweep_once(session, utcnow())
    if result.changed:
        log.info(
            "sla sweep",
            tasks={s.value: len(ids) for s, ids in result.tasks.items()},
            requests={s.value: len(ids) for s, ids in result.requests.items()},
            escalations=len(result.escalations),
        )
    return result


# --- states -------------------------------------------------------------------------------


def _share_reached(now: datetime, start: Any, due: Any, percent: Any) -> Any:
    """SQL: at least `percent` of the time from start to due has elapsed at `now`."""
    at = sa.literal(now, sa.DateTime(timezone=True))
    elapsed = func.extract("epoch", at - start)
    span = func.extract("epoch", due - start)
    return sa.and_(due.is_not(None), elapsed * 100 >= span * percent)


def _percent() -> Any:
    return func.coalesce(col(SlaPolicy.at_risk_percent), DEFAULT_AT_RISK_PERCENT)


async def _mark_tasks(session: AsyncSession, now: datetime, result: SweepResult) -> None:
    percent = _percent()
    not_responded = col(Task.status).in_(NOT_RESPONDED)
    statement = (
        sa.select(
            col(Task.id),
            col(Task.created_at),
            col(Task.response_due_at),
            col(Task.resolution_due_at),
            col(Task.status),
            col(Task.sla_state),
            percent,
        )
        .outerjoin(SlaPolicy, col(SlaPolicy.priority) == col(Task.priority))
        .where(col(Task.status).in_(OPEN), col(Task.sla_state).in_(LIVE))
        .where(
            sa.or_(
                col(Task.sla_state) == SlaState.AT_RISK,
                _share_reached(now, col(Task.created_at), col(Task.resolution_due_at), percent),
                sa.and_(
                    not_responded,
                    _share_reached(now, col(Task.created_at), col(Task.response_due_at), percent),
                ),
            )
        )
        .order_by(col(Task.id))
        .limit(BATCH)
        .with_for_update(of=Task, skip_locked=True)
    )
    for row in (await session.execute(statement)).all():
        clock = SlaClock(row[1], row[2], row[3], TaskStatus(row[4]) in RESPONDED, row[6])
        state = assess(clock, now)
        if state != row[5]:
            result.tasks[state].append(row[0])
    await _store(session, Task, result.tasks)


async def _mark_requests(session: AsyncSession, now: datetime, result: SweepResult) -> None:
    percent = _percent()
    responded = (
        sa.exists()
        .where(col(Task.service_request_id) == col(ServiceRequest.id))
        .where(col(Task.status).in_(tuple(sorted(RESPONDED))))
    )
    start = col(ServiceRequest.created_at)
    statement = (
        sa.select(
            col(ServiceRequest.id),
            col(ServiceRequest.created_at),
            col(ServiceRequest.response_due_at),
            col(ServiceRequest.resolution_due_at),
            responded.label("responded"),
            col(ServiceRequest.sla_state),
            percent,
        )
        .outerjoin(SlaPolicy, col(SlaPolicy.priority) == col(ServiceRequest.priority))
        .where(col(ServiceRequest.status).in_(_OPEN_REQUESTS))
        .where(col(ServiceRequest.sla_state).in_(LIVE))
        .where(
            sa.or_(
                col(ServiceRequest.sla_state) == SlaState.AT_RISK,
                _share_reached(now, start, col(ServiceRequest.resolution_due_at), percent),
                _share_reached(now, start, col(ServiceRequest.response_due_at), percent),
            )
        )
        .order_by(col(ServiceRequest.id))
        .limit(BATCH)
        .with_for_update(of=ServiceRequest, skip_locked=True)
    )
    for row in (await session.execute(statement)).all():
        state = assess(SlaClock(row[1], row[2], row[3], bool(row[4]), row[6]), now)
        if state != row[5]:
            result.requests[state].append(row[0])
    await _store(session, ServiceRequest, result.requests)


_OPEN_REQUESTS = (ServiceRequestStatus.OPEN, ServiceRequestStatus.IN_PROGRESS)


async def _settle_tasks(session: AsyncSession, result: SweepResult) -> None:
    statement = (
        select(Task.id, Task.sla_state, Task.finished_at, Task.resolution_due_at)
        .where(col(Task.status).in_(SETTLED_TASK_STATUSES), col(Task.sla_state).in_(LIVE))
        .order_by(col(Task.id))
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    settled: dict[SlaState, list[int]] = defaultdict(list)
    for task_id, state, finished_at, due in (await session.execute(statement)).all():
        settled[settle(SlaState(state), finished_at, due)].append(task_id)
    await _store(session, Task, settled)
    for state, ids in settled.items():
        result.tasks[state] += ids


async def _settle_requests(session: AsyncSession, result: SweepResult) -> None:
    statement = (
        select(
            ServiceRequest.id,
            ServiceRequest.sla_state,
            ServiceRequest.resolved_at,
            ServiceRequest.resolution_due_at,
        )
        .where(col(ServiceRequest.status) == ServiceRequestStatus.RESOLVED)
        .where(col(ServiceRequest.sla_state).in_(LIVE))
        .order_by(col(ServiceRequest.id))
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    settled: dict[SlaState, list[int]] = defaultdict(list)
    for request_id, state, resolved_at, due in (await session.execute(statement)).all():
        settled[settle(SlaState(state), resolved_at, due)].append(request_id)
    await _store(session, ServiceRequest, settled)
    for state, ids in settled.items():
        result.requests[state] += ids


async def _store(
    session: AsyncSession,
    model: type[Task] | type[ServiceRequest],
    changes: dict[SlaState, list[int]],
) -> None:
    """The SLA state is derived by the system: it neither bumps `version` (a technician's
    expectedVersion stays valid) nor touches `updated_at`."""
    id_column: Any = model.id
    for state, ids in changes.items():
        if ids:
            await session.execute(
                sa.update(model).where(id_column.in_(ids)).values(sla_state=state)
            )


# --- escalations --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Due:
    kind: SubjectKind
    subject_id: int
    territory_id: int | None
    reference: datetime
    priority: int
    request_id: int | None


def _not_escalated(kind: SubjectKind, subject: Any, policy: EscalationPolicy) -> Any:
    return ~(
        sa.exists()
        .where(col(SlaEscalation.subject_kind) == kind)
        .where(col(SlaEscalation.subject_id) == subject)
        .where(col(SlaEscalation.trigger) == policy.trigger)
        .where(col(SlaEscalation.level) == policy.level)
    )


def _task_reference(trigger: EscalationTrigger) -> tuple[Any, Sequence[Any]]:
    """The time the threshold counts from, and the conditions under which it applies."""
    statuses = col(Task.status).in_(sorted(ESCALATES_WHILE[trigger]))
    if trigger is EscalationTrigger.UNASSIGNED:
        return col(Task.created_at), [statuses, col(Task.technician_id).is_(None)]
    if trigger is EscalationTrigger.RESPONSE_OVERDUE:
        return col(Task.response_due_at), [statuses]
    return col(Task.resolution_due_at), [statuses]


def _request_reference(trigger: EscalationTrigger) -> Any:
    if trigger is EscalationTrigger.UNASSIGNED:
        return col(ServiceRequest.created_at)
    if trigger is EscalationTrigger.RESPONSE_OVERDUE:
        return col(ServiceRequest.response_due_at)
    return col(ServiceRequest.resolution_due_at)


async def _due_tasks(
    session: AsyncSession, policy: EscalationPolicy, cutoff: datetime
) -> list[_Due]:
    reference, conditions = _task_reference(policy.trigger)
    statement = (
        sa.select(
            col(Task.id),
            col(Task.territory_id),
            reference,
            col(Task.priority),
            col(Task.service_request_id),
        )
        .where(*conditions, reference <= cutoff)
        .where(_not_escalated(SubjectKind.TASK, col(Task.id), policy))
        .order_by(reference, col(Task.id))
        .limit(BATCH)
    )
    rows = (await session.execute(statement)).all()
    return [_Due(SubjectKind.TASK, r[0], r[1], r[2], r[3], r[4]) for r in rows]


async def _due_requests(
    session: AsyncSession, policy: EscalationPolicy, cutoff: datetime
) -> list[_Due]:
    """Requests nobody has turned into a task yet (once a task exists, it is escalated). A
    request in remote triage is being worked without a technician on purpose: it is not
    UNASSIGNED, though its response and resolution clocks run as for any request."""
    from app.work_orders.service import territory_of_site

    reference = _request_reference(policy.trigger)
    has_task = sa.exists().where(col(Task.service_request_id) == col(ServiceRequest.id))
    conditions = [col(ServiceRequest.status) == ServiceRequestStatus.OPEN, ~has_task]
    if policy.trigger is EscalationTrigger.UNASSIGNED:
        in_triage = (
            sa.exists()
            .where(col(RemoteCase.service_request_id) == col(ServiceRequest.id))
            .where(col(RemoteCase.stage) == RemoteStage.TRIAGE)
        )
        conditions.append(~in_triage)
    statement = (
        select(ServiceRequest.id, ServiceRequest.site_id, reference, ServiceRequest.priority)
        .where(*conditions)
        .where(reference <= cutoff)
        .where(_not_escalated(SubjectKind.SERVICE_REQUEST, col(ServiceRequest.id), policy))
        .order_by(reference, col(ServiceRequest.id))
        .limit(BATCH)
    )
    due = []
    for request_id, site_id, at, priority in (await session.execute(statement)).all():
        territory = await territory_of_site(session, site_id)
        due.append(
            _Due(SubjectKind.SERVICE_REQUEST, request_id, territory, at, priority, request_id)
        )
    return due


async def _escalate(session: AsyncSession, policy: EscalationPolicy, now: datetime) -> list[Raised]:
    cutoff = now - timedelta(minutes=policy.threshold_minutes)
    subjects = await _due_tasks(session, policy, cutoff) + await _due_requests(
        session, policy, cutoff
    )
    raised = []
    for subject in subjects:
        escalation_id = await _record(session, policy, subject, now)
        if escalation_id is None:
            continue  # another sweep recorded it first
        raised.append(Raised(subject.kind, subject.subject_id, policy.trigger, policy.level))
        _alert(session, policy, subject, now, escalation_id)
    return raised


def _message(policy: EscalationPolicy, subject: _Due, now: datetime) -> str:
    return escalation_message(
        policy, subject.kind, subject.subject_id, subject.priority, now - subject.reference
    )


def escalation_message(
    policy: EscalationPolicy, kind: SubjectKind, subject_id: int, priority: int, late: timedelta
) -> str:
    """What an escalation says, `late` after the trigger's reference time."""
    what = "task" if kind is SubjectKind.TASK else "service request"
    minutes = max(0, int(late.total_seconds() // 60))
    situation = {
        EscalationTrigger.UNASSIGNED: f"has no technician {minutes} min after creation",
        EscalationTrigger.RESPONSE_OVERDUE: f"is {minutes} min past its response due time",
        EscalationTrigger.RESOLUTION_OVERDUE: f"is {minutes} min past its resolution due time",
    }[policy.trigger]
    level = LEVEL_NAMES.get(policy.level, str(policy.level))
    return f"P{priority} {what} {subject_id} {situation}; escalated to {level}"


async def _record(
    session: AsyncSession, policy: EscalationPolicy, subject: _Due, now: datetime
) -> int | None:
    statement = (
        insert(SlaEscalation)
        .values(
            policy_id=policy.id,
            subject_kind=subject.kind,
            subject_id=subject.subject_id,
            trigger=policy.trigger,
            level=policy.level,
            audience_role=policy.audience_role,
            territory_id=subject.territory_id,
            message=_message(policy, subject, now),
            raised_at=now,
        )
        .on_conflict_do_nothing(index_elements=["subject_kind", "subject_id", "trigger", "level"])
        .returning(col(SlaEscalation.id))
    )
    inserted: int | None = (await session.execute(statement)).scalar_one_or_none()
    return inserted


def _alert(
    session: AsyncSession, policy: EscalationPolicy, subject: _Due, now: datetime, escalation: int
) -> None:
    kind = f"SLA_{policy.trigger.value}"
    queue_event(
        session,
        ALERTS,
        kind,
        {
            "kind": kind,
            "level": policy.level,
            "audience_role": policy.audience_role.value,
            "message": _message(policy, subject, now),
            "territory_id": subject.territory_id,
            "task_id": subject.subject_id if subject.kind is SubjectKind.TASK else None,
            "service_request_id": subject.request_id,
            "escalation_id": escalation,
        },
    )
