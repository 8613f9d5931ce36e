"""Lifecycle policies, stored as data in `work_policies` with these defaults."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from app.work_orders.models import WorkPolicy


class GeofenceMode(StrEnum):
    """What happens when a technician checks in farther from the site than the geofence radius."""

    REFUSE = "REFUSE"
    """A check-in outside the radius is refused."""
    FLAG = "FLAG"
    """A check-in outside the radius is accepted, flagged on the task and alerted."""


class ScheduleMode(StrEnum):
    """What happens to a start of travel or a check-in outside the task's scheduled time."""

    REFUSE = "REFUSE"
    """Refused, with the scheduled day and window in the territory's zone."""
    FLAG = "FLAG"
    """Accepted only with a reason, which is recorded; the task is flagged and alerted."""
    ALLOW = "ALLOW"
    """Accepted at any time."""


@dataclass(frozen=True, slots=True)
class Policies:
    offer_response_minutes: int = 30
    rejections_before_alert: int = 3
    geofence_radius_meters: float = 250.0
    geofence_mode: GeofenceMode = GeofenceMode.REFUSE
    signature_required: bool = True
    check_in_window_mode: ScheduleMode = ScheduleMode.REFUSE
    check_in_early_minutes: int = 180
    check_in_late_minutes: int = 240
    start_travel_early_minutes: int = 360
    check_in_same_day: bool = False


DESCRIPTIONS = {
    "offer_response_minutes": "minutes a technician has to accept or reject an offered task",
    "rejections_before_alert": "rejections and expiries of one task that raise an alert",
    "geofence_radius_meters": "how far from the site a check-in may be",
    "geofence_mode": "REFUSE or FLAG a check-in outside the radius",
    "signature_required": "completing a task needs the customer's signature",
    "check_in_window_mode": "REFUSE, FLAG (reason required) or ALLOW a start of travel or a "
    "check-in outside the scheduled window",
    "check_in_early_minutes": "how long before the scheduled start a check-in may be",
    "check_in_late_minutes": "how long after the scheduled end travel or a check-in may start",
    "start_travel_early_minutes": "how long before the scheduled start travel may start",
    "check_in_same_day": "travel and check-ins must also fall on the scheduled day(s) in the "
    "territory's time zone, whatever the tolerances",
}


def _coerce(name: str, value: Any) -> Any:
    default = getattr(Policies(), name)
    if isinstance(default, StrEnum):
        return type(default)(value)
    return type(default)(value)


async def load_policies(session: AsyncSession) -> Policies:
    rows = (await session.scalars(select(WorkPolicy))).all()
    known = {f.name for f in fields(Policies)}
    changes = {row.key: _coerce(row.key, row.value) for row in rows if row.key in known}
    return replace(Policies(), **changes)
