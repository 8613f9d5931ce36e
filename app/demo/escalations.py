"""The escalations the SLA sweeper raised over the seeded past.

The sweeper runs every minute: a level was raised as soon as a subject was `threshold` past
the trigger's reference time, if the subject still stood where the trigger applies (a task
UNSCHEDULED for UNASSIGNED, not yet on site for RESPONSE_OVERDUE, open for
RESOLUTION_OVERDUE; a request while it had no task). Seeding those records makes the city's
history whole and leaves the first sweep after the seed only what falls due after `now`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count

from app.demo.generator import Row
from app.sla.clock import ESCALATES_WHILE
from app.sla.models import EscalationPolicy, EscalationTrigger, SubjectKind
from app.sla.sweeper import escalation_message
from app.work_orders.models import TaskStatus

T = EscalationTrigger


@dataclass(frozen=True, slots=True)
class Subject:
    """A task or request as the sweeper sees it: the reference time of each trigger and until
    when the trigger applied to it (None: it still does)."""

    kind: SubjectKind
    id: int
    priority: int
    territory_id: int | None
    request_id: int | None
    reference: Mapping[EscalationTrigger, datetime | None]
    until: Mapping[EscalationTrigger, datetime | None]


def raised(
    subjects: Iterable[Subject], policies: Sequence[EscalationPolicy], now: datetime
) -> list[Row]:
    """The `sla_escalations` rows of the levels due by `now`, in the order they were raised."""
    found = []
    for subject in subjects:
        for policy in policies:
            reference = subject.reference[policy.trigger]
            if reference is None:
                continue
            at = reference + timedelta(minutes=policy.threshold_minutes)
            until = subject.until[policy.trigger]
            if at <= now and (until is None or at < until):
                found.append((at, subject, policy))
    found.sort(key=lambda item: (item[0], item[1].kind.value, item[1].id, item[2].trigger.value))
    ids = count(1)
    return [
        {
            "id": next(ids),
            "policy_id": policy.id,
            "subject_kind": subject.kind.value,
            "subject_id": subject.id,
            "trigger": policy.trigger.value,
            "level": policy.level,
            "audience_role": policy.audience_role.value,
            "territory_id": subject.territory_id,
            "message": escalation_message(
                policy,
                subject.kind,
                subject.id,
                subject.priority,
                timedelta(minutes=policy.threshold_minutes),
            ),
            "raised_at": at,
        }
        for at, subject, policy in found
    ]


def tasks(task_rows: Sequence[Row], event_rows: Sequence[Row]) -> list[Subject]:
    """Tasks with the moment each trigger stopped applying, from their audit trails (a
    seeded task only moves forward, so it never comes back under a trigger it left)."""
    trails: dict[int, list[Row]] = defaultdict(list)
    for event in event_rows:
        trails[event["task_id"]].append(event)
    return [
        Subject(
            SubjectKind.TASK,
            row["id"],
            row["priority"],
            row["territory_id"],
            row["service_request_id"],
            {
                T.UNASSIGNED: row["created_at"],
                T.RESPONSE_OVERDUE: row["response_due_at"],
                T.RESOLUTION_OVERDUE: row["resolution_due_at"],
            },
            {trigger: _left(trails[row["id"]], trigger) for trigger in T},
        )
        for row in task_rows
    ]


def _left(trail: list[Row], trigger: EscalationTrigger) -> datetime | None:
    statuses = ESCALATES_WHILE[trigger]
    return next((e["at"] for e in trail if TaskStatus(e["to_status"]) not in statuses), None)


def requests(
    request_rows: Sequence[Row], task_rows: Sequence[Row], territories: Mapping[int, int]
) -> list[Subject]:
    """Requests, escalated themselves only until their first task was made (`territories`:
    the territory of each request's site)."""
    first_task: dict[int, datetime] = {}
    for task in task_rows:
        request_id, at = task["service_request_id"], task["created_at"]
        first_task[request_id] = min(at, first_task.get(request_id, at))
    return [
        Subject(
            SubjectKind.SERVICE_REQUEST,
            row["id"],
            row["priority"],
            territories.get(row["id"]),
            row["id"],
            {
                T.UNASSIGNED: row["created_at"],
                T.RESPONSE_OVERDUE: row["response_due_at"],
                T.RESOLUTION_OVERDUE: row["resolution_due_at"],
            },
            dict.fromkeys(T, first_task.get(row["id"])),
        )
        for row in request_rows
    ]
