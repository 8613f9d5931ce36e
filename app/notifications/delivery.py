"""The delivery worker: claims due notifications, renders them, sends them through their
channel's adapter and records the outcome.

At least once: a claim is a lease (status SENDING until `lease_until`) taken in its own short
transaction with FOR UPDATE SKIP LOCKED, so several server instances share the work; the send
happens outside any transaction; a worker killed mid-send leaves a lease that expires and the
next worker sends again with the same idempotency key, which the provider uses to drop the
duplicate. Failures retry with exponential backoff until `max_attempts`, then go DEAD.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from string import Template

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import and_, col, or_, select

from app.billing import links
from app.billing.models import Estimate, EstimateStatus, Invoice, LinkStatus, PaymentLink
from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker, queue_event
from app.core.models import utcnow
from app.notifications.channels import (
    ChannelAdapter,
    DeliveryError,
    OutgoingMessage,
    SendResult,
    adapter_for,
)
from app.notifications.models import (
    DUE_STATUSES,
    URGENT_EVENTS,
    Channel,
    Notification,
    NotificationEvent,
    NotificationProvider,
    NotificationStatus,
)
from app.notifications.outbox import (
    NOTIFICATION_DELIVERED,
    inbox_channel,
    technician_inbox_channel,
)
from app.notifications.policies import Policy, load_policy
from app.notifications.preferences import Recipient, recipient_for
from app.notifications.surveys import survey_link
from app.notifications.templates import find_template, render
from app.technicians.models import Technician
from app.work_orders.models import Task

log = structlog.get_logger("fieldgraph.notifications")


@dataclass(slots=True)
class Round:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    deferred: int = 0
    failed: int = 0
    """Not sent: the message would have left out something it needs."""


async def claim(session: AsyncSession, now: datetime, limit: int, policy: Policy) -> list[int]:
    due = and_(col(Notification.status).in_(DUE_STATUSES), col(Notification.next_attempt_at) <= now)
    abandoned = and_(
        col(Notification.status) == NotificationStatus.SENDING,
        col(Notification.lease_until) < now,
    )
    rows = (
        await session.scalars(
            select(Notification)
            .where(or_(due, abandoned))
            .order_by(col(Notification.next_attempt_at), col(Notification.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for row in rows:
        row.status = NotificationStatus.SENDING
        row.lease_until = now + timedelta(seconds=policy.lease_seconds)
        row.attempts += 1
    await session.flush()
    return [row.id for row in rows if row.id is not None]


async def _providers(session: AsyncSession) -> dict[Channel, NotificationProvider]:
    rows = (
        await session.scalars(
            select(NotificationProvider).where(
                col(NotificationProvider.active), col(NotificationProvider.archived_at).is_(None)
            )
        )
    ).all()
    return {row.channel: row for row in rows}


def _channel(row: Notification, recipient: Recipient, providers: dict[Channel, object]) -> Channel:
    if row.channel is not None:
        return row.channel
    for channel in recipient.channel_order:
        if channel in recipient.addresses and (channel is Channel.IN_APP or channel in providers):
            return channel
    return Channel.IN_APP


def _local(at: datetime | None, recipient: Recipient) -> str:
    return "" if at is None else at.astimezone(recipient.zone).strftime("%d %b %Y %H:%M")


def _until(start: datetime | None, end: datetime | None, recipient: Recipient) -> str:
    """The end of a period: its time alone when it ends on the day it starts."""
    if end is None:
        return ""
    if start is not None:
        local_start, local_end = start.astimezone(recipient.zone), end.astimezone(recipient.zone)
        if local_start.date() == local_end.date():
            return local_end.strftime("%H:%M")
    return _local(end, recipient)


def appointment_values(task: Task, recipient: Recipient) -> dict[str, str]:
    """When the visit is, in the zone of the customer's territory: the customer's window
    when the task has one, else the time it was scheduled for (an assignment without a
    window still tells the customer when)."""
    start = task.window_start or task.scheduled_start
    end = task.window_end if task.window_start else task.scheduled_end
    if end is None and start is not None:
        end = start + timedelta(minutes=task.duration_minutes)
    return {
        "window_start": _local(start, recipient),
        "window_end": _until(start, end, recipient),
        "scheduled_start": _local(task.scheduled_start or start, recipient),
        "scheduled_end": _until(
            task.scheduled_start or start, task.scheduled_end or end, recipient
        ),
    }


async def _values(
    session: AsyncSession, row: Notification, recipient: Recipient
) -> dict[str, object]:
    """What templates may name: the event's data, the task's appointment and technician."""
    values: dict[str, object] = {**row.data, "event": row.event.value}
    if "invoice_number" not in values and row.data.get("number"):
        values["invoice_number"] = row.data["number"]  # INVOICE_ISSUED names it `number`
    if row.task_id is None:
        return values
    task = await session.get(Task, row.task_id)
    if task is None:
        return values
    technician = await session.get(Technician, task.technician_id) if task.technician_id else None
    values.update(
        task_ref=f"T-{task.id}",
        technician_name=technician.name if technician else "",
        **appointment_values(task, recipient),
    )
    if row.event is NotificationEvent.SURVEY:
        days = (await load_policy(session)).survey_link_days
        values["survey_link"] = survey_link(row.task_id, days=days)
    return values


def empty_placeholders(text: str | None, values: dict[str, object]) -> list[str]:
    """The names a template uses that have no value to show (the message would say "is on
    ." or show `${name}` to the customer)."""
    if not text:
        return []
    names = Template(text).get_identifiers()
    return [name for name in names if values.get(name) is None or str(values[name]) == ""]


async def still_current(session: AsyncSession, row: Notification) -> str | None:
    """Why a money message is no longer worth sending (None: it is), refreshing the amount
    it shows: a payment link asks for the balance due at sending time, not when the link
    was made (the customer may have paid in between, or been credited); an estimate is
    approved only while it is still waiting for the customer."""
    data = row.data or {}
    link_id, estimate_id = data.get("payment_link_id"), data.get("estimate_id")
    if row.event is NotificationEvent.PAYMENT_LINK and isinstance(link_id, int):
        link = await session.get(PaymentLink, link_id)
        invoice = await session.get(Invoice, link.invoice_id) if link else None
        if link is None or invoice is None:
            return "the payment link no longer exists"
        status, amount = links.current(link, invoice)
        if status is not LinkStatus.OPEN:
            return f"the payment link is {status}: nothing to pay"
        if data.get("amount") != str(amount):
            row.data = {**data, "amount": str(amount)}
            row.subject = row.body = None  # rendered with the old amount: render again
    if row.event is NotificationEvent.ESTIMATE_TO_APPROVE and isinstance(estimate_id, int):
        estimate = await session.get(Estimate, estimate_id)
        if estimate is None or estimate.status is not EstimateStatus.SENT:
            shown = estimate.status if estimate else "gone"
            return f"the estimate is {shown}: nothing to approve"
    return None


async def _render(
    session: AsyncSession, row: Notification, recipient: Recipient
) -> tuple[NotificationStatus, str] | None:
    """Render the message; the status it ends in without a send, and why, if it cannot be
    sent."""
    template = await find_template(
        session, row.event, row.channel or Channel.IN_APP, recipient.language
    )
    if template is None:
        return NotificationStatus.DEAD, f"no template for {row.event} on {row.channel}"
    values = await _values(session, row, recipient)
    empty = empty_placeholders(template.subject, values) + empty_placeholders(template.body, values)
    if empty:
        names = ", ".join(dict.fromkeys(empty))
        return NotificationStatus.FAILED, (
            f"the {template.language} template for {row.event} needs {names}, which this "
            "notification has no value for: not sent"
        )
    row.language = template.language
    row.subject = render(template.subject, values) if template.subject else None
    row.body = render(template.body, values)
    return None


def _finish(row: Notification, status: NotificationStatus, error: str | None = None) -> None:
    row.status = status
    row.lease_until = None
    row.last_error = error[:1000] if error else None


async def prepare(
    session: AsyncSession,
    row: Notification,
    now: datetime,
    providers: dict[Channel, NotificationProvider],
) -> tuple[OutgoingMessage, ChannelAdapter] | NotificationStatus:
    """What to send and how, or the status the row ends in without a send."""
    recipient = await recipient_for(session, row)
    if recipient.customer_id is None:
        _finish(row, NotificationStatus.DEAD, "no recipient")
        return NotificationStatus.DEAD
    row.customer_id = recipient.customer_id
    if row.event.value in recipient.muted:
        _finish(row, NotificationStatus.SKIPPED, "muted by the customer")
        return NotificationStatus.SKIPPED
    until = None if row.event in URGENT_EVENTS else recipient.quiet_until(now)
    if until is not None:
        row.attempts -= 1
        row.next_attempt_at = until
        _finish(row, NotificationStatus.PENDING)
        return NotificationStatus.PENDING
    stale = await still_current(session, row)
    if stale is not None:
        _finish(row, NotificationStatus.SKIPPED, stale)
        return NotificationStatus.SKIPPED
    if row.body is None:
        row.channel = _channel(row, recipient, dict(providers))
        row.address = recipient.addresses.get(row.channel)
        refused = await _render(session, row, recipient)
        if refused is not None:
            # a message that would leave out what it needs is not sent, and says why
            status, reason = refused
            _finish(row, status, reason)
            return status
    channel = row.channel or Channel.IN_APP
    provider = providers.get(channel)
    adapter = adapter_for(channel, provider.config if provider else None)
    if adapter is None or not row.address:
        _finish(row, NotificationStatus.DEAD, f"{channel} is not configured or has no address")
        return NotificationStatus.DEAD
    message = OutgoingMessage(
        idempotency_key=row.idempotency_key,
        channel=channel,
        address=row.address,
        subject=row.subject,
        body=row.body or "",
        language=row.language or recipient.language,
        event=row.event.value,
        data=row.data,
    )
    return message, adapter


def _published(session: AsyncSession, row: Notification) -> None:
    inboxes = []
    if row.customer_id is not None:
        inboxes.append(inbox_channel(row.customer_id))
    if row.technician_id is not None:
        inboxes.append(technician_inbox_channel(row.technician_id))
    if inboxes:
        queue_event(
            session,
            inboxes,
            NOTIFICATION_DELIVERED,
            {
                "notification_id": row.id,
                "customer_id": row.customer_id,
                "technician_id": row.technician_id,
                "event": row.event.value,
            },
        )


def record_success(
    session: AsyncSession, row: Notification, result: SendResult, now: datetime
) -> None:
    row.provider_message_id = result.provider_message_id
    row.sent_at = now
    if result.delivered:
        row.delivered_at = now
    _finish(row, NotificationStatus.DELIVERED if result.delivered else NotificationStatus.SENT)
    _published(session, row)


def record_failure(
    row: Notification, error: DeliveryError, now: datetime, policy: Policy
) -> NotificationStatus:
    if error.permanent or row.attempts >= policy.max_attempts:
        _finish(row, NotificationStatus.DEAD, str(error))
    else:
        row.next_attempt_at = now + timedelta(seconds=policy.backoff_seconds(row.attempts))
        _finish(row, NotificationStatus.RETRYING, str(error))
    return row.status


async def deliver_one(
    sessions: SessionFactory,
    broker: Broker | None,
    notification_id: int,
    now: datetime,
    policy: Policy,
) -> NotificationStatus:
    async with unit_of_work(sessions, broker) as session:
        row = await session.get(Notification, notification_id, with_for_update=True)
        if row is None or row.status is not NotificationStatus.SENDING:
            return NotificationStatus.SKIPPED
        prepared = await prepare(session, row, now, await _providers(session))
    if isinstance(prepared, NotificationStatus):
        return prepared
    message, adapter = prepared
    try:
        result: SendResult | DeliveryError = await adapter.send(message)
    except DeliveryError as exc:
        result = exc
    except Exception as exc:  # an adapter bug must not lose the message: retry it
        log.exception("adapter failed", notification=notification_id)
        result = DeliveryError(f"{exc.__class__.__name__}: {exc}")
    async with unit_of_work(sessions, broker) as session:
        row = await session.get(Notification, notification_id, with_for_update=True)
        if row is None:
            return NotificationStatus.SKIPPED
        if isinstance(result, DeliveryError):
            return record_failure(row, result, now, policy)
        record_success(session, row, result, now)
        return row.status


async def deliver_due(
    sessions: SessionFactory, broker: Broker | None, *, now: datetime | None = None, limit: int = 50
) -> Round:
    """One round of the worker: claim due notifications and deliver them."""
    at = now or utcnow()
    async with unit_of_work(sessions, broker) as session:
        policy = await load_policy(session)
        claimed = await claim(session, at, limit, policy)
    outcome = Round(claimed=len(claimed))
    for notification_id in claimed:
        status = await deliver_one(sessions, broker, notification_id, at, policy)
        if status in (NotificationStatus.SENT, NotificationStatus.DELIVERED):
            outcome.sent += 1
        elif status is NotificationStatus.RETRYING:
            outcome.retrying += 1
        elif status is NotificationStatus.DEAD:
            outcome.dead += 1
        elif status is NotificationStatus.PENDING:
            outcome.deferred += 1
        elif status is NotificationStatus.FAILED:
            outcome.failed += 1
    return outcome
