"""The kinds of alert dispatchers and managers receive on the alerts channel."""

from __future__ import annotations

from enum import StrEnum


class AlertKind(StrEnum):
    TASK_FLAGGED = "TASK_FLAGGED"
    """A field rule was bent and recorded: a check-in away from the site, say."""
    TASK_REJECTED_REPEATEDLY = "TASK_REJECTED_REPEATEDLY"
    """A task was rejected or let expire as often as the work policy tolerates."""
    TECHNICIAN_RUNNING_LATE = "TECHNICIAN_RUNNING_LATE"
    """A technician's arrival estimate falls after the appointment window."""
    UPSELL_STOCK_SHORT = "UPSELL_STOCK_SHORT"
    """A paid accessory waits: the technician's van does not hold the part."""
    SLA_UNASSIGNED = "SLA_UNASSIGNED"
    """Work has waited unassigned as long as an escalation policy allows."""
    SLA_RESPONSE_OVERDUE = "SLA_RESPONSE_OVERDUE"
    """Nobody is on site past the response due time."""
    SLA_RESOLUTION_OVERDUE = "SLA_RESOLUTION_OVERDUE"
    """The work is still open past the resolution due time."""
    OVERPAYMENT_HELD = "OVERPAYMENT_HELD"
    """A customer paid more than was due (a link paid after its invoice was paid or
    credited): the money is held as their credit; refund it."""
    PLANNED_VISIT_MISSED = "PLANNED_VISIT_MISSED"
    """A contract's planned visit passed its tolerance window without being completed."""
    ASSIST_UNACCEPTED = "ASSIST_UNACCEPTED"
    """A technician's request for expert help waited unaccepted past an escalation step."""
    TECHNICIAN_LATE_START = "TECHNICIAN_LATE_START"
    """A technician has not clocked in as long after their shift's start as the attendance
    policy allows."""
    TECHNICIAN_NO_SHOW = "TECHNICIAN_NO_SHOW"
    """A technician did not clock in by the no-show threshold or their shift's end."""
    OTHER = "OTHER"
    """A kind this version of the API does not know yet; the message says what happened."""

    @classmethod
    def of(cls, kind: str) -> AlertKind:
        try:
            return cls(kind)
        except ValueError:
            return cls.OTHER
