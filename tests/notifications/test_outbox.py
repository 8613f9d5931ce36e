"""The outbox: intents written with the change, delivered at least once with retries, backoff,
a dead letter, idempotency keys, quiet hours and signed delivery reports."""

from __future__ import annotations

import json
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.db import SessionFactory
from app.core.errors import DomainError
from app.core.models import utcnow
from app.notifications.delivery import deliver_due
from app.notifications.models import (
    Channel,
    CommunicationPolicy,
    Notification,
    NotificationEvent,
    NotificationPreference,
    NotificationStatus,
)
from app.notifications.settings import get_notification_settings
from app.service_requests.models import ServiceRequest, ServiceRequestCreate
from app.service_requests.service import create_service_request
from app.webhooks.signing import HEADER, sign
from app.work_orders import offers
from app.work_orders.models import TaskCreate
from app.work_orders.service import create_task
from app.work_orders.transitions import Actor
from tests.notifications.support import (
    DISPATCHER,
    http_receiver,
    provider,
    scheduled_task,
    smtp_receiver,
    task_for,
)
from tests.work_orders import factories

WHATSAPP = "+91 98450 00001"


async def _world(session: AsyncSession, **contact: str) -> factories.World:
    w = await factories.world(session)
    w.customer.whatsapp = contact.get("whatsapp", WHATSAPP)
    w.customer.email = contact.get("email")
    await session.flush()
    return w


async def _rows(session: AsyncSession, task_id: int | None) -> list[Notification]:
    statement = select(Notification).where(col(Notification.task_id) == task_id)
    return list((await session.scalars(statement.order_by(col(Notification.id)))).all())


async def _policy(session: AsyncSession, key: str, value: object) -> None:
    await session.execute(
        sa.update(CommunicationPolicy)
        .where(col(CommunicationPolicy.key) == key)
        .values(value=value)
    )


async def test_scheduling_writes_its_notifications_in_the_same_transaction(
    session: AsyncSession,
) -> None:
    # given a customer
    w = await _world(session)
    # when a task is created and the dispatcher assigns it
    task = await scheduled_task(session, w)
    # then the request-received, scheduled and confirmation-request intents are in the outbox
    events = [row.event for row in await _rows(session, task.id)]
    assert NotificationEvent.REQUEST_RECEIVED in events
    assert events.count(NotificationEvent.APPOINTMENT_SCHEDULED) == 1
    assert events.count(NotificationEvent.CONFIRMATION_REQUEST) == 1


async def _request(session: AsyncSession, w: factories.World) -> ServiceRequest:
    data = ServiceRequestCreate.model_validate(
        {
            "channel": "WHATSAPP",
            "category": "REPAIR",
            "description": "AC not cooling",
            "customer_id": w.customer.id,
            "site_id": w.site.id,
            "asset_id": w.asset.id,
        }
    )
    return await create_service_request(session, DISPATCHER, data)


async def _acknowledgements(session: AsyncSession, customer_id: int | None) -> list[Notification]:
    statement = select(Notification).where(
        col(Notification.customer_id) == customer_id,
        col(Notification.event) == NotificationEvent.REQUEST_RECEIVED,
    )
    return list((await session.scalars(statement)).all())


async def test_a_request_is_acknowledged_once_however_many_tasks_follow(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    async with http_receiver() as receiver:
        # given a customer on WhatsApp who asks for service
        w = await _world(session)
        await provider(session, Channel.WHATSAPP, {"url": receiver.url})
        request = await _request(session, w)
        # when the desk makes two tasks of it
        for _ in range(2):
            data = TaskCreate(service_request_id=request.id, duration_minutes=60)
            await create_task(session, Actor.of(DISPATCHER), data)
        # then the customer was acknowledged once, for the request, not once per task
        (ack,) = await _acknowledgements(session, w.customer.id)
        assert ack.task_id is None and ack.data["service_request_id"] == request.id
        # and the acknowledgement names the request when it is sent
        await deliver_due(sessions, None)
    (sent,) = receiver.requests
    assert f"We received your service request (SR-{request.id})" in json.dumps(sent["body"])


async def test_a_task_without_a_request_is_still_acknowledged(session: AsyncSession) -> None:
    w = await _world(session)

    task = await task_for(session, w)

    events = [row.event for row in await _rows(session, task.id)]
    assert events == [NotificationEvent.REQUEST_RECEIVED]


async def test_a_refused_change_writes_no_notification(session: AsyncSession) -> None:
    # given a task already assigned
    w = await _world(session)
    task = await scheduled_task(session, w)
    before = len(await _rows(session, task.id))
    # when a second assignment is refused (a stale version)
    assert task.id is not None and w.technician.id is not None
    with pytest.raises(DomainError):
        await offers.assign_task(
            session, DISPATCHER, task.id, w.technician.id, utcnow(), expected_version=99
        )
    # then nothing more was written
    assert len(await _rows(session, task.id)) == before


async def test_whatsapp_delivery_renders_the_template_and_passes_the_idempotency_key(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    async with http_receiver() as receiver:
        # given a WhatsApp provider and a scheduled task
        w = await _world(session)
        await provider(
            session,
            Channel.WHATSAPP,
            {"url": receiver.url, "auth_header": "X-Key", "auth_value": "k1"},
        )
        task = await scheduled_task(session, w)
        # when the worker runs
        outcome = await deliver_due(sessions, None)
        # then each intent went out once, rendered, with its key and the auth header
        rows = await _rows(session, task.id)
        for row in rows:
            await session.refresh(row)
        assert outcome.sent == len(rows) == 3
        assert {row.status for row in rows} == {NotificationStatus.SENT}
        assert sorted(receiver.accepted) == sorted(row.idempotency_key for row in rows)
        confirmation = next(r for r in rows if r.event is NotificationEvent.CONFIRMATION_REQUEST)
        sent = receiver.accepted[confirmation.idempotency_key]
        assert sent["to"] == WHATSAPP
        assert f"T-{task.id}" in sent["text"] and "Reply 1 to confirm" in sent["text"]
        assert receiver.requests[0]["headers"]["x-key"] == "k1"
        assert confirmation.provider_message_id is not None


async def test_a_failing_provider_is_retried_with_backoff_then_succeeds(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    async with http_receiver(failures=1) as receiver:
        # given a provider that fails once
        w = await _world(session)
        await provider(session, Channel.WHATSAPP, {"url": receiver.url})
        task = await task_for(session, w)
        now = utcnow()
        # when the worker runs
        first = await deliver_due(sessions, None, now=now)
        (row,) = await _rows(session, task.id)
        await session.refresh(row)
        # then the message waits for its backoff
        assert first.retrying == 1
        assert row.status is NotificationStatus.RETRYING and row.attempts == 1
        assert row.next_attempt_at == now + timedelta(seconds=30)
        assert (await deliver_due(sessions, None, now=now + timedelta(seconds=29))).claimed == 0
        # and is sent on the next round after it, under the same key
        second = await deliver_due(sessions, None, now=now + timedelta(seconds=31))
        await session.refresh(row)
        assert second.sent == 1 and row.status is NotificationStatus.SENT and row.attempts == 2
        keys = [r["headers"]["idempotency-key"] for r in receiver.requests]
        assert keys == [row.idempotency_key, row.idempotency_key]


async def test_after_max_attempts_a_message_goes_dead(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    async with http_receiver(failures=10) as receiver:
        # given a provider that keeps failing and a policy of two attempts
        w = await _world(session)
        await provider(session, Channel.WHATSAPP, {"url": receiver.url})
        await _policy(session, "max_attempts", 2)
        task = await task_for(session, w)
        now = utcnow()
        # when the worker tries twice
        await deliver_due(sessions, None, now=now)
        last = await deliver_due(sessions, None, now=now + timedelta(minutes=5))
        # then the message is dead, with the provider's error, and never claimed again
        (row,) = await _rows(session, task.id)
        await session.refresh(row)
        assert last.dead == 1
        assert row.status is NotificationStatus.DEAD and row.attempts == 2
        assert row.last_error == "provider answered 500"
        assert (await deliver_due(sessions, None, now=now + timedelta(days=1))).claimed == 0


async def test_a_client_error_is_permanent(session: AsyncSession, sessions: SessionFactory) -> None:
    async with http_receiver(failures=1, fail_with=400) as receiver:
        w = await _world(session)
        await provider(session, Channel.WHATSAPP, {"url": receiver.url})
        task = await task_for(session, w)
        await deliver_due(sessions, None)
        (row,) = await _rows(session, task.id)
        await session.refresh(row)
        assert row.status is NotificationStatus.DEAD and row.attempts == 1


async def test_email_goes_through_smtp_in_the_customers_language_order(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    async with smtp_receiver() as smtp:
        # given a customer who prefers email, and an SMTP relay
        w = await _world(session, whatsapp="", email="asha@example.com")
        w.customer.whatsapp = None
        session.add(NotificationPreference(customer_id=w.customer.id or 0, channel_order=["EMAIL"]))
        await provider(
            session,
            Channel.EMAIL,
            {"host": "127.0.0.1", "port": smtp.port, "sender": "care@fieldgraph.example"},
        )
        task = await task_for(session, w)
        # when the worker runs
        await deliver_due(sessions, None)
        # then the relay received one email with the rendered subject and the key
        (row,) = await _rows(session, task.id)
        await session.refresh(row)
        assert row.channel is Channel.EMAIL and row.status is NotificationStatus.SENT
        (message,) = smtp.messages
        assert "To: asha@example.com" in message
        assert f"Subject: We received your request T-{task.id}" in message
        assert f"X-Idempotency-Key: {row.idempotency_key}" in message


async def test_quiet_hours_defer_routine_news_but_not_urgent_news(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    async with http_receiver() as receiver:
        # given quiet hours around the current time in the customer's zone (Asia/Kolkata)
        w = await _world(session)
        await provider(session, Channel.WHATSAPP, {"url": receiver.url})
        local = utcnow().astimezone(factories_zone())
        start = (local - timedelta(hours=1)).time().replace(second=0, microsecond=0)
        end = (local + timedelta(hours=1)).time().replace(second=0, microsecond=0)
        session.add(
            NotificationPreference(customer_id=w.customer.id or 0, quiet_start=start, quiet_end=end)
        )
        task = await task_for(session, w)
        task.technician_id = w.technician.id  # the technician on the way
        from app.notifications.outbox import enqueue

        enqueue(session, NotificationEvent.ON_THE_WAY, task_id=task.id)
        await session.flush()
        # when the worker runs
        outcome = await deliver_due(sessions, None)
        # then the urgent one went and the routine one waits for the end of the quiet hours
        rows = {row.event: row for row in await _rows(session, task.id)}
        for row in rows.values():
            await session.refresh(row)
        assert outcome.sent == 1 and outcome.deferred == 1
        assert rows[NotificationEvent.ON_THE_WAY].status is NotificationStatus.SENT
        waiting = rows[NotificationEvent.REQUEST_RECEIVED]
        assert waiting.status is NotificationStatus.PENDING and waiting.attempts == 0
        assert waiting.next_attempt_at.astimezone(factories_zone()).time() == end


def factories_zone() -> ZoneInfo:
    return ZoneInfo("Asia/Kolkata")


STATUS_ROUTE = "/hooks/notifications/status"


async def test_signed_delivery_reports_update_the_message_and_replays_are_refused(
    session: AsyncSession, sessions: SessionFactory, gql: object
) -> None:
    # given a sent message
    w = await _world(session)
    task = await task_for(session, w)
    await deliver_due(sessions, None)
    (row,) = await _rows(session, task.id)
    secret = get_notification_settings().callback_secret
    http = gql.http  # type: ignore[attr-defined]
    body = json.dumps({"reference": row.idempotency_key, "status": "read"}).encode()
    # when a provider reports it read, signed
    signed = {HEADER: sign(secret, body)}
    response = await http.post(STATUS_ROUTE, content=body, headers=signed)
    # then the message is read
    assert response.status_code == 200 and response.json() == {"status": "READ"}
    await session.refresh(row)
    assert row.read_at is not None and row.delivered_at is not None
    # and the same request again, a wrong signature or a stale timestamp are refused
    replay = await http.post(STATUS_ROUTE, content=body, headers=signed)
    assert replay.status_code == 409
    forged = await http.post(STATUS_ROUTE, content=body, headers={HEADER: sign("wrong", body)})
    assert forged.status_code == 401
    old = int(utcnow().timestamp()) - 3600
    stale = await http.post(STATUS_ROUTE, content=body, headers={HEADER: sign(secret, body, old)})
    assert stale.status_code == 401
    unsigned = await http.post(STATUS_ROUTE, content=body)
    assert unsigned.status_code == 401


async def test_the_communication_policy_sets_how_old_a_signed_report_may_be(
    session: AsyncSession, sessions: SessionFactory, gql: object
) -> None:
    # given a sent message and a tolerance of two hours
    w = await _world(session)
    task = await task_for(session, w)
    await deliver_due(sessions, None)
    (row,) = await _rows(session, task.id)
    await _policy(session, "webhook_tolerance_seconds", 7200)
    secret = get_notification_settings().callback_secret
    body = json.dumps({"reference": row.idempotency_key, "status": "delivered"}).encode()
    http = gql.http  # type: ignore[attr-defined]
    # when a report signed an hour ago arrives, then one signed three hours ago
    hour_ago = int(utcnow().timestamp()) - 3600
    within = await http.post(
        STATUS_ROUTE, content=body, headers={HEADER: sign(secret, body, hour_ago)}
    )
    three_hours_ago = hour_ago - 7200
    later = json.dumps({"reference": row.idempotency_key, "status": "read"}).encode()
    outside = await http.post(
        STATUS_ROUTE, content=later, headers={HEADER: sign(secret, later, three_hours_ago)}
    )
    # then the first is taken (the default five minutes would refuse it) and the second refused
    assert within.status_code == 200
    assert outside.status_code == 401


def test_quiet_window_wraps_midnight() -> None:
    from datetime import UTC, datetime

    from app.notifications.preferences import Recipient

    r = Recipient(customer_id=1, quiet=(time(21), time(7)))
    assert r.quiet_until(datetime(2026, 1, 1, 23, tzinfo=UTC)) == datetime(
        2026, 1, 2, 7, tzinfo=UTC
    )
    assert r.quiet_until(datetime(2026, 1, 1, 6, tzinfo=UTC)) == datetime(2026, 1, 1, 7, tzinfo=UTC)
    assert r.quiet_until(datetime(2026, 1, 1, 12, tzinfo=UTC)) is None
