"""Broker channels for technician positions: everyone's, a territory's, one technician's."""

from __future__ import annotations

TECHNICIAN_LOCATION = "TECHNICIAN_LOCATION"

ALL_LOCATIONS = "locations"


def territory_locations(territory_id: int) -> str:
    return f"locations:territory:{territory_id}"


def technician_locations(technician_id: int) -> str:
    return f"locations:technician:{technician_id}"


TASK_TRACKING = "TASK_TRACKING"
"""A task's technician moved: where they are and the ETA, for that task's customer."""
TASK_RUNNING_LATE = "TASK_RUNNING_LATE"
"""The customer's technician will arrive after the appointment window (once per task)."""
TASK_VICINITY = "TASK_VICINITY"
"""The customer's technician is nearby (once per task)."""
TECHNICIAN_RUNNING_LATE = "TECHNICIAN_RUNNING_LATE"
"""The alert dispatchers see for a late arrival (on app.core.channels.ALERTS)."""


def task_tracking(task_id: int) -> str:
    return f"tracking:task:{task_id}"
