"""Notification intents written in the transaction of the change that causes them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.events import Event, Listener
from app.notifications.models import NotificationEvent as N
from app.notifications.outbox import enqueue
from app.service_requests.channels import SERVICE_REQUEST_CREATED
from app.work_orders.channels import TASK_STATUS_CHANGED

SCHEDULED_FROM_UNSCHEDULED = frozenset({"SCHEDULED", "DISPATCHED"})

BY_ACTION = {
    "CREATE": (N.REQUEST_RECEIVED,),  # a task without a request: its request is the task
    "START_TRAVEL": (N.ON_THE_WAY,),
    "CHECK_IN": (N.TECHNICIAN_ARRIVED,),
    "COMPLETE": (N.COMPLETED, N.SURVEY),
}

BY_KIND = {
    "TASK_VICINITY": N.VICINITY,
    "TASK_RUNNING_LATE": N.RUNNING_LATE,
    "ESTIMATE_SENT": N.ESTIMATE_TO_APPROVE,
    "INVOICE_ISSUED": N.INVOICE_READY,
    "PAYMENT_LINK_CREATED": N.PAYMENT_LINK,
}
"""Events other domains emit (realtime ETA, billing), with `task_id` and/or `customer_id`."""


def scheduled(data: dict[str, Any]) -> bool:
    """The task left UNSCHEDULED for an appointment (planned or assigned)."""
    return data.get("from") == "UNSCHEDULED" and data.get("to") in SCHEDULED_FROM_UNSCHEDULED


def on_request_created(session: AsyncSession, event: Event) -> None:
    """The customer's acknowledgement, once per request (its tasks do not repeat it)."""
    request_id, customer_id = event.data.get("service_request_id"), event.data.get("customer_id")
    if request_id is None or customer_id is None:
        return
    reference = f"SR-{request_id}"
    data = {"service_request_id": request_id, "request_ref": reference, "task_ref": reference}
    enqueue(session, N.REQUEST_RECEIVED, customer_id=customer_id, data=data)


def on_task_status(session: AsyncSession, event: Event) -> None:
    task_id = event.data.get("task_id")
    if task_id is None:
        return
    events = BY_ACTION.get(str(event.data.get("action")), ())
    if event.data.get("service_request_id") is not None:
        events = tuple(e for e in events if e is not N.REQUEST_RECEIVED)
    if scheduled(event.data):
        events = (N.APPOINTMENT_SCHEDULED,)
    for kind in events:
        enqueue(session, kind, task_id=task_id, data={"reason": event.data.get("reason")})


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if isinstance(v, str | int | float | bool) or v is None}


def on_other(session: AsyncSession, event: Event) -> None:
    kind = BY_KIND.get(event.kind)
    if kind is None:
        return
    task_id, customer_id = event.data.get("task_id"), event.data.get("customer_id")
    if task_id is None and customer_id is None:
        return
    enqueue(session, kind, task_id=task_id, customer_id=customer_id, data=_plain(event.data))


LISTENERS: list[tuple[str | None, Listener]] = [
    (SERVICE_REQUEST_CREATED, on_request_created),
    (TASK_STATUS_CHANGED, on_task_status),
    *((kind, on_other) for kind in BY_KIND),
]
