"""Where a request or task stands against its due times: a pure function of the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.service_requests.models import SlaState
from app.sla.models import EscalationTrigger
from app.work_orders.models import OPEN_STATUSES, TaskStatus

RESPONDED = frozenset(
    {
        TaskStatus.ON_SITE,
        TaskStatus.IN_PROGRESS,
        TaskStatus.ON_HOLD,
        TaskStatus.COMPLETED,
        TaskStatus.INCOMPLETE,
    }
)
"""A task has been responded to once a technician checked in on site."""

ESCALATES_WHILE = {
    EscalationTrigger.UNASSIGNED: frozenset({TaskStatus.UNSCHEDULED}),
    EscalationTrigger.RESPONSE_OVERDUE: OPEN_STATUSES - RESPONDED,
    EscalationTrigger.RESOLUTION_OVERDUE: OPEN_STATUSES,
}
"""The task statuses in which each trigger can escalate a task (UNASSIGNED: while no
technician holds it, too)."""

DEFAULT_AT_RISK_PERCENT = 80


@dataclass(frozen=True, slots=True)
class SlaClock:
    start: datetime
    response_due: datetime | None
    resolution_due: datetime | None
    responded: bool
    at_risk_percent: int = DEFAULT_AT_RISK_PERCENT

    def targets(self) -> list[datetime]:
        pending = [self.resolution_due]
        if not self.responded:
            pending.append(self.response_due)
        return [due for due in pending if due is not None]

    def at_risk_from(self, due: datetime) -> datetime:
        """When `at_risk_percent` of the time from start to `due` has elapsed."""
        span = max(due - self.start, timedelta(0))
        return self.start + span * (self.at_risk_percent / 100)


def assess(clock: SlaClock, now: datetime) -> SlaState:
    """BREACHED once a pending target passed, AT_RISK once its share of time elapsed."""
    targets = clock.targets()
    if any(now >= due for due in targets):
        return SlaState.BREACHED
    if any(now >= clock.at_risk_from(due) for due in targets):
        return SlaState.AT_RISK
    return SlaState.ON_TRACK


def settle(
    state: SlaState, finished_at: datetime | None, resolution_due: datetime | None
) -> SlaState:
    """The final state of closed work: a breach stays a breach; otherwise met on time or not."""
    if state is SlaState.BREACHED:
        return state
    if resolution_due is None or finished_at is None or finished_at <= resolution_due:
        return SlaState.MET
    return SlaState.BREACHED
