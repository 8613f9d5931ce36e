"""Broker channel names for task events; the realtime subscriptions listen on these."""

from __future__ import annotations

TASK_STATUS_CHANGED = "TASK_STATUS_CHANGED"
TASK_UPDATED = "TASK_UPDATED"


def task_channel(task_id: int) -> str:
    return f"task:{task_id}"


def technician_channel(technician_id: int) -> str:
    return f"technician:{technician_id}:tasks"


def territory_channel(territory_id: int) -> str:
    return f"territory:{territory_id}:tasks"
