"""Task status changes and new service requests recorded for partners and CRMs in the
transaction that made them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.events import Event, Listener
from app.service_requests.channels import SERVICE_REQUEST_CREATED
from app.webhooks.events import record, task_event_type
from app.work_orders.channels import TASK_STATUS_CHANGED

SHARED = (
    "task_id",
    "from",
    "to",
    "at",
    "action",
    "reason",
    "technician_id",
    "territory_id",
    "customer_id",
    "version",
)
"""What a subscriber learns: ids and the change, not who the actor was."""


def on_task_status(session: AsyncSession, event: Event) -> None:
    task_id = event.data.get("task_id")
    if task_id is None:
        return
    data = {key: event.data.get(key) for key in SHARED}
    record(session, task_event_type(event.data.get("action"), event.data.get("to")), data)


REQUEST_SHARED = (
    "service_request_id",
    "customer_id",
    "site_id",
    "asset_id",
    "channel",
    "category",
    "priority",
    "status",
    "eligibility",
    "duplicate_of_id",
    "created_at",
)
"""A new request has no technician yet: only the organisation's own subscriptions get it."""


def on_request_created(session: AsyncSession, event: Event) -> None:
    data = {key: event.data.get(key) for key in REQUEST_SHARED}
    record(session, "service_request.created", data)


LISTENERS: list[tuple[str | None, Listener]] = [
    (TASK_STATUS_CHANGED, on_task_status),
    (SERVICE_REQUEST_CREATED, on_request_created),
]
