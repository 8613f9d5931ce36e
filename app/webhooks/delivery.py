"""The webhook delivery job: fans recorded events out to matching subscriptions, then sends
each delivery at least once, signed, with retries and exponential backoff until DEAD.

Fan-out and claims take their rows FOR UPDATE SKIP LOCKED in short transactions, so every
server instance can run the job; the POST happens outside any transaction under a lease. A
worker killed mid-send leaves a lease that expires and the delivery goes again with the same
`Fieldgraph-Delivery` id, which receivers use to drop the duplicate.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import and_, col, or_, select

from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker
from app.core.models import utcnow
from app.notifications.policies import Policy, load_policy
from app.webhooks.events import GENERIC_TASK_EVENT
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription
from app.webhooks.signing import HEADER, sign

DELIVERY_HEADER = "Fieldgraph-Delivery"
EVENT_HEADER = "Fieldgraph-Event"
DUE = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)
LEASE_SECONDS = 60
TIMEOUT_SECONDS = 10.0

FAN_OUT = text(
    """
    INSERT INTO webhook_deliveries
        (subscription_id, event_id, delivery_id, event_type, payload, status, attempts,
         next_attempt_at, created_at)
    SELECT s.id, e.id, 'whd_' || replace(gen_random_uuid()::text, '-', ''), e.event_type,
           jsonb_build_object('type', e.event_type, 'occurredAt', e.occurred_at, 'data', e.data),
           'PENDING', 0, :now, :now
    FROM webhook_events e
    JOIN webhook_subscriptions s
      ON s.active AND s.archived_at IS NULL
     AND (e.event_type = ANY(s.event_types)
          OR (e.event_type LIKE 'task.%' AND :generic = ANY(s.event_types)))
    LEFT JOIN technicians t ON t.id = (e.data->>'technician_id')::bigint
    WHERE e.id = ANY(:ids)
      AND (s.partner_id IS NULL OR s.partner_id = t.partner_id)
    ON CONFLICT (subscription_id, event_id) DO NOTHING
    """
)
"""A partner's subscription only sees events about the work of its own technicians."""


@dataclass(slots=True)
class Round:
    fanned_out: int = 0
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0


async def fan_out(session: AsyncSession, now: datetime, limit: int = 500) -> int:
    """Turn recorded events into one delivery per matching subscription."""
    events = (
        await session.scalars(
            select(WebhookEvent)
            .where(col(WebhookEvent.fanned_out_at).is_(None))
            .order_by(col(WebhookEvent.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not events:
        return 0
    ids = [event.id for event in events]
    await session.execute(FAN_OUT, {"ids": ids, "now": now, "generic": GENERIC_TASK_EVENT})
    for event in events:
        event.fanned_out_at = now
    await session.flush()
    return len(events)


async def claim(session: AsyncSession, now: datetime, limit: int) -> list[int]:
    due = and_(col(WebhookDelivery.status).in_(DUE), col(WebhookDelivery.next_attempt_at) <= now)
    abandoned = and_(
        col(WebhookDelivery.status) == DeliveryStatus.SENDING,
        col(WebhookDelivery.lease_until) < now,
    )
    rows = (
        await session.scalars(
            select(WebhookDelivery)
            .where(or_(due, abandoned))
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for row in rows:
        row.status = DeliveryStatus.SENDING
        row.lease_until = now + timedelta(seconds=LEASE_SECONDS)
        row.attempts += 1
    await session.flush()
    return [row.id for row in rows if row.id is not None]


def new_delivery_id() -> str:
    return f"whd_{uuid.uuid4().hex}"


@dataclass(frozen=True, slots=True)
class Attempt:
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signed_request(
    subscription: WebhookSubscription, delivery: WebhookDelivery, at: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """The exact body and headers a subscriber receives (`t=...,v1=...` over `t.body`)."""
    body = json.dumps(
        {"id": delivery.delivery_id, **delivery.payload}, separators=(",", ":"), default=str
    ).encode()
    headers = {
        "Content-Type": "application/json",
        HEADER: sign(subscription.secret, body, at),
        DELIVERY_HEADER: delivery.delivery_id,
        EVENT_HEADER: delivery.event_type,
        "User-Agent": "Fieldgraph-Webhooks/1",
    }
    return body, headers


async def post(url: str, body: bytes, headers: dict[str, str]) -> Attempt:
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
            response = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return Attempt(None, f"{exc.__class__.__name__}: {exc}"[:1000])
    if 200 <= response.status_code < 300:
        return Attempt(response.status_code, None)
    return Attempt(response.status_code, f"subscriber answered {response.status_code}")


def record_attempt(
    row: WebhookDelivery, attempt: Attempt, now: datetime, policy: Policy
) -> DeliveryStatus:
    row.response_status, row.last_error, row.lease_until = attempt.status_code, attempt.error, None
    if attempt.ok:
        row.status, row.delivered_at = DeliveryStatus.DELIVERED, now
    elif row.attempts >= policy.webhook_max_attempts:
        row.status = DeliveryStatus.DEAD
    else:
        row.status = DeliveryStatus.RETRYING
        row.next_attempt_at = now + timedelta(seconds=policy.backoff_seconds(row.attempts))
    return row.status


async def send_now(row: WebhookDelivery, subscription: WebhookSubscription) -> Attempt:
    body, headers = signed_request(subscription, row)
    return await post(subscription.url, body, headers)


async def deliver_one(
    sessions: SessionFactory, broker: Broker | None, delivery_id: int, now: datetime, policy: Policy
) -> DeliveryStatus:
    async with unit_of_work(sessions, broker) as session:
        row = await session.get(WebhookDelivery, delivery_id)
        subscription = await session.get(WebhookSubscription, row.subscription_id) if row else None
    if row is None or subscription is None:
        return DeliveryStatus.DEAD
    if not subscription.active or subscription.archived_at is not None:
        attempt = Attempt(None, "the subscription is paused or deleted")
    else:
        attempt = await send_now(row, subscription)
    async with unit_of_work(sessions, broker) as session:
        locked = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if locked is None or locked.status is not DeliveryStatus.SENDING:
            return DeliveryStatus.DEAD if locked is None else locked.status
        return record_attempt(locked, attempt, now, policy)


async def deliver_due(
    sessions: SessionFactory, broker: Broker | None, *, now: datetime | None = None, limit: int = 50
) -> Round:
    """One round of the job: fan out new events, then send what is due."""
    at = now or utcnow()
    async with unit_of_work(sessions, broker) as session:
        policy = await load_policy(session)
        fanned = await fan_out(session, at)
        claimed = await claim(session, at, limit)
    outcome = Round(fanned_out=fanned, claimed=len(claimed))
    for delivery_id in claimed:
        status = await deliver_one(sessions, broker, delivery_id, at, policy)
        if status is DeliveryStatus.DELIVERED:
            outcome.delivered += 1
        elif status is DeliveryStatus.RETRYING:
            outcome.retrying += 1
        elif status is DeliveryStatus.DEAD:
            outcome.dead += 1
    return outcome


def ping_payload(subscription: WebhookSubscription, now: datetime) -> dict[str, Any]:
    return {
        "type": "ping",
        "occurredAt": now.isoformat(),
        "data": {"subscriptionId": subscription.id, "eventTypes": subscription.event_types},
    }
