"""Customer messages say the right thing at the right hour: every seeded template renders
with a value for each name it uses, for tasks with a window, without one and scheduled only,
in the zone of the customer's territory; a message that would leave a value out is not sent
but recorded as failed with the reason; quiet hours of messages without a task are read in
the customer's territory zone too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.billing import estimates, payments
from app.billing.models import EstimateCreate, LineIn, LineKind, PaymentCreate, PaymentMethod
from app.core.auth import Principal, Role
from app.core.models import utcnow
from app.notifications import delivery
from app.notifications.delivery import appointment_values, empty_placeholders, prepare
from app.notifications.models import (
    URGENT_EVENTS,
    Channel,
    CommunicationPolicy,
    Notification,
    NotificationEvent,
    NotificationPreference,
    NotificationStatus,
    NotificationTemplate,
)
from app.notifications.preferences import Recipient, recipient_for, zone_for
from app.notifications.templates import render
from app.territories.models import Territory
from app.work_orders import offers
from app.work_orders.models import Task, TaskCreate, TaskType
from app.work_orders.service import create_task
from app.work_orders.transitions import Actor
from tests.billing import factories as billing
from tests.billing.test_billing_api import _chargeable_world, _issued
from tests.notifications.support import DISPATCHER
from tests.work_orders import factories

KOLKATA = ZoneInfo("Asia/Kolkata")
ADMIN = Principal(subject="test:admin", role=Role.ADMIN, name="Admin")
E = NotificationEvent
WITH_TECHNICIAN = frozenset(
    {E.ON_THE_WAY, E.VICINITY, E.RUNNING_LATE, E.TECHNICIAN_ARRIVED, E.COMPLETED, E.SURVEY}
)
"""Events that only happen once a technician has the task."""
TIMED = frozenset({E.APPOINTMENT_SCHEDULED, E.CONFIRMATION_REQUEST, E.REMINDER})


def _event_data(event: NotificationEvent, task: Task) -> dict[str, Any]:
    """The data the real emitters put on each event (see their listeners)."""
    invoice = {"invoice_id": 41, "customer_id": task.customer_id, "task_id": task.id}
    return {
        E.REQUEST_RECEIVED: {"reason": None},
        E.VICINITY: {"task_id": task.id, "eta_minutes": 7, "technician_id": task.technician_id},
        E.RUNNING_LATE: {"task_id": task.id, "eta_minutes": 25},
        E.ESTIMATE_TO_APPROVE: {
            "estimate_id": 9,
            "task_id": task.id,
            "customer_id": task.customer_id,
            "status": "SENT",
            "total": "1298.00",
            "currency": "INR",
        },
        E.INVOICE_READY: {**invoice, "number": "INV-2026-000041", "total": "1298.00"}
        | {"currency": "INR"},
        E.PAYMENT_LINK: {
            **invoice,
            "invoice_number": "INV-2026-000041",
            "amount": "1298.00",
            "currency": "INR",
            "url": "http://127.0.0.1:8000/pay/1.2.3.4",
        },
        E.CONTRACT_OFFER: OFFER_DATA,
        E.CONTRACT_OFFER_REMINDER: OFFER_DATA | {"days_left": 30, "step": 30},
        E.CONTRACT_OFFER_ANSWERED: OFFER_DATA | {"outcome": "declined"},
        E.REPLACEMENT_APPROVED: REPLACEMENT_DATA
        | {"status": "APPROVED", "new_serial": "SN-1-R", "warranty_expires_on": "2027-06-30"},
        E.REPLACEMENT_REJECTED: REPLACEMENT_DATA
        | {"status": "REJECTED", "reason": "Physical damage is not covered"},
        E.REPAIR_UPDATE: {  # as depot_repair.transitions.notify_customer writes it
            "repair_order_id": 5,
            "repair_number": "RO-2026-000005",
            "tracking_code": "K7QX2M9PTA",
            "status": "READY",
            "status_label": "ready for collection",
        },
        E.CONVERSATION_MESSAGE: {  # as conversations.service._tell_customer writes it
            "conversation_id": 3,
            "message_id": 17,
            "title": f"Visit T-{task.id}",
            "sender_name": "Ananya Iyer",
            "body": "The part is reserved for your visit",
        },
    }.get(event, {"reason": None})


REPLACEMENT_DATA = {
    "replacement_request_id": 3,
    "request_ref": "RR-3",
    "product_name": "Split AC",
    "old_serial": "SN-1",
}
"""What a replacement decision puts on its message (`app.replacements.service._tell`)."""


OFFER_DATA = {
    "offer_id": 7,
    "offer_ref": "OF-7/2",
    "customer_name": "Asha Rao",
    "contract_kind": "AMC",
    "contract_number": "AMC-2026-000042",
    "expires_on": "2026-12-31",
    "starts_on": "2027-01-01",
    "ends_on": "2027-12-31",
    "price": "12600.00",
    "currency": "INR",
    "offer_link": "http://127.0.0.1:8000/offers/7.1.n.s",
}
"""What the renewal offers put on their messages (`app.renewals.service.message_values`)."""


@dataclass
class Shape:
    name: str
    task: Task
    start: datetime | None
    """When the visit starts (what the message must show)."""


async def _task(session: AsyncSession, w: factories.World, window: bool) -> Task:
    start = utcnow() + timedelta(days=1)
    data: dict[str, Any] = {
        "type": TaskType.REPAIR,
        "customer_id": w.customer.id,
        "site_id": w.site.id,
        "duration_minutes": 90,
    }
    if window:
        data |= {"window_start": start, "window_end": start + timedelta(hours=3)}
    return await create_task(session, Actor.of(DISPATCHER), TaskCreate.model_validate(data))


async def _shapes(session: AsyncSession, w: factories.World) -> list[Shape]:
    assert w.technician.id is not None
    window_only = await _task(session, w, window=True)
    with_window = await _task(session, w, window=True)
    assert with_window.window_start is not None and with_window.id is not None
    at = with_window.window_start + timedelta(minutes=30)
    await offers.assign_task(session, DISPATCHER, with_window.id, w.technician.id, at)
    scheduled_only = await _task(session, w, window=False)
    assert scheduled_only.id is not None
    at = utcnow() + timedelta(days=2, hours=1)
    await offers.assign_task(session, DISPATCHER, scheduled_only.id, w.technician.id, at)
    return [
        Shape("with a window, not yet assigned", window_only, window_only.window_start),
        Shape("with a window, assigned", with_window, with_window.window_start),
        Shape("without a window, scheduled by assignTask", scheduled_only, at),
    ]


async def test_every_seeded_template_renders_every_value_it_names(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    templates = (
        await session.scalars(
            select(NotificationTemplate).where(col(NotificationTemplate.archived_at).is_(None))
        )
    ).all()
    assert {t.event for t in templates} == set(NotificationEvent)  # every event is seeded
    checked = 0
    for shape in await _shapes(session, w):
        for template in templates:
            if template.event in WITH_TECHNICIAN and shape.task.technician_id is None:
                continue
            row = Notification(
                event=template.event,
                idempotency_key=f"render:{shape.name}:{template.id}",
                task_id=shape.task.id,
                customer_id=w.customer.id,
                data=_event_data(template.event, shape.task),
            )
            recipient = await recipient_for(session, row)
            assert recipient.zone == KOLKATA
            values = await delivery._values(session, row, recipient)
            where = f"{template.event}/{template.language} for a task {shape.name}"
            for text in (template.subject, template.body):
                assert empty_placeholders(text, values) == [], where
                if text:
                    assert "${" not in render(text, values), where
            if template.event in TIMED:
                assert shape.start is not None
                local = shape.start.astimezone(KOLKATA).strftime("%d %b %Y %H:%M")
                assert local in render(template.body, values), where
            checked += 1
    assert checked >= 3 * len(templates) - len(WITH_TECHNICIAN)


def test_times_are_the_window_when_there_is_one_else_the_scheduled_time() -> None:
    kolkata = Recipient(customer_id=1, zone=KOLKATA)
    start = datetime(2026, 12, 5, 4, 30, tzinfo=UTC)  # 10:00 in Kolkata
    scheduled_only = Task(
        duration_minutes=90, scheduled_start=start, scheduled_end=start + timedelta(minutes=90)
    )
    assert appointment_values(scheduled_only, kolkata) == {
        "window_start": "05 Dec 2026 10:00",
        "window_end": "11:30",
        "scheduled_start": "05 Dec 2026 10:00",
        "scheduled_end": "11:30",
    }
    windowed = Task(
        duration_minutes=90,
        window_start=start,
        window_end=start + timedelta(hours=4),
        scheduled_start=start + timedelta(hours=1),
    )
    values = appointment_values(windowed, kolkata)
    assert (values["window_start"], values["window_end"]) == ("05 Dec 2026 10:00", "14:00")
    assert values["scheduled_start"] == "05 Dec 2026 11:00"
    overnight = Task(duration_minutes=60, scheduled_start=start + timedelta(hours=13))
    assert appointment_values(overnight, kolkata)["window_end"] == "06 Dec 2026 00:00"
    assert appointment_values(Task(duration_minutes=60), kolkata)["window_start"] == ""


async def test_a_message_missing_a_value_it_needs_is_failed_with_the_reason_not_sent(
    session: AsyncSession,
) -> None:
    # given a confirmation request for a task that has no time at all (neither a window nor
    # a schedule): the template would say "Your visit T-1 is on ."
    w = await factories.world(session)
    task = await _task(session, w, window=False)
    row = Notification(
        event=E.CONFIRMATION_REQUEST,
        idempotency_key=f"no-time:{task.id}",
        task_id=task.id,
        channel=Channel.IN_APP,
    )
    session.add(row)
    await session.flush()
    # when the worker prepares it
    outcome = await prepare(session, row, utcnow(), {})
    # then nothing is sent: it is FAILED and says which value was missing
    assert outcome is NotificationStatus.FAILED
    assert row.status is NotificationStatus.FAILED and row.body is None
    assert row.last_error is not None and "window_start" in row.last_error


@pytest.mark.parametrize("about", ["primary site", "service request", "named site"])
async def test_quiet_hours_without_a_task_are_read_in_the_customer_s_zone(
    session: AsyncSession, about: str
) -> None:
    # given a customer in Kolkata whose quiet hours hold now, local time (not UTC's)
    w = await factories.world(session)
    assert w.customer.id is not None and w.site.id is not None
    local = utcnow().astimezone(KOLKATA)
    start = (local - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    session.add(NotificationPreference(customer_id=w.customer.id, quiet_start=start, quiet_end=end))
    data: dict[str, Any] = {"task_ref": "SR-1"}
    if about == "named site":
        data["site_id"] = w.site.id
    if about == "service request":
        from tests.notifications.test_outbox import _request

        request = await _request(session, w)
        data |= {"service_request_id": request.id}
    row = Notification(
        event=E.REQUEST_RECEIVED,
        idempotency_key=f"quiet:{about}:{w.customer.id}",
        customer_id=w.customer.id,
        data=data,
    )
    session.add(row)
    await session.flush()
    assert E.REQUEST_RECEIVED not in URGENT_EVENTS
    # when the worker prepares the acknowledgement
    outcome = await prepare(session, row, utcnow(), {})
    # then it waits for the end of the quiet hours in Kolkata
    assert outcome is NotificationStatus.PENDING
    expected_end = datetime.combine(local.date(), end, tzinfo=KOLKATA)
    if expected_end <= local:
        expected_end += timedelta(days=1)
    assert row.next_attempt_at == expected_end


async def _territory_at(session: AsyncSession, zone: str, lng: float, lat: float) -> Territory:
    low, high = (lng - 0.1, lat - 0.1), (lng + 0.1, lat + 0.1)
    square = Polygon([low, (high[0], low[1]), high, (low[0], high[1]), low])
    row = Territory(
        name=f"Around {zone}",
        code=zone.split("/")[-1].upper()[:20],
        time_zone=zone,
        area=from_shape(MultiPolygon([square]), srid=4326),
    )
    session.add(row)
    await session.flush()
    return row


async def test_the_zone_is_that_of_the_site_the_message_is_about(session: AsyncSession) -> None:
    # given a customer whose primary site is in Kolkata and another site in New York
    w = await factories.world(session)
    assert w.customer.id is not None
    await _territory_at(session, "America/New_York", -74.0, 40.7)
    other = await factories.site(session, w.customer, lat=40.7, lng=-74.0)
    assert other.id is not None

    def about(data: dict[str, Any]) -> Notification:
        return Notification(event=E.INVOICE_READY, idempotency_key="z", data=data)

    # then a message naming the New York site is read in New York's zone
    assert (await zone_for(session, about({"site_id": other.id}), w.customer.id)).key == (
        "America/New_York"
    )
    # and one naming no site in the primary site's
    assert (await zone_for(session, about({}), w.customer.id)) == KOLKATA
    # and a customer without any site in UTC
    lone = await factories.customer(session)
    assert lone.id is not None
    assert (await zone_for(session, about({}), lone.id)) == ZoneInfo("UTC")


async def test_a_payment_link_message_asks_for_what_is_due_when_it_is_sent(
    session: AsyncSession,
) -> None:
    # given a payment link made for an invoice: its message waits (quiet hours, say)
    await billing.price_list(session)
    w = await _chargeable_world(session)
    invoice = await _issued(session, w)
    assert invoice.id is not None
    await payments.create_payment_link(session, ADMIN, invoice.id)
    await session.flush()
    (row,) = (
        await session.scalars(
            select(Notification).where(
                col(Notification.customer_id) == w.customer.id,
                col(Notification.event) == E.PAYMENT_LINK,
            )
        )
    ).all()
    assert row.data["amount"] == str(invoice.total) and row.data["url"].startswith("http")
    row.channel = Channel.IN_APP
    # when the customer pays part in cash before it is sent
    cash = PaymentCreate(invoice_id=invoice.id, method=PaymentMethod.CASH, amount=Decimal(100))
    await payments.record_payment(session, ADMIN, cash)
    assert await prepare(session, row, utcnow(), {}) is not NotificationStatus.SKIPPED
    # then the message asks for the balance left, not the old amount
    assert row.body is not None and f"Pay {invoice.total - 100} INR" in row.body
    # and once the rest is paid, a message still waiting is not sent at all
    row.body, row.status = None, NotificationStatus.SENDING
    rest = PaymentCreate(
        invoice_id=invoice.id, method=PaymentMethod.CASH, amount=invoice.total - 100
    )
    await payments.record_payment(session, ADMIN, rest)
    assert await prepare(session, row, utcnow(), {}) is NotificationStatus.SKIPPED
    assert row.last_error is not None and "CLOSED" in row.last_error


async def test_an_estimate_withdrawn_before_its_message_went_is_not_sent(
    session: AsyncSession,
) -> None:
    await billing.price_list(session)
    w = await _chargeable_world(session)
    task = await billing.task(session, w)
    assert task.id is not None
    fee = LineIn(
        kind=LineKind.FEE,
        description="Gas top-up",
        quantity=Decimal(1),
        unit_price=Decimal("900.00"),
    )
    made = await estimates.create_estimate(
        session, ADMIN, EstimateCreate(task_id=task.id, lines=[fee])
    )
    assert made.id is not None
    await estimates.send_estimate(session, ADMIN, made.id)
    await session.flush()
    (row,) = (
        await session.scalars(
            select(Notification).where(
                col(Notification.task_id) == task.id,
                col(Notification.event) == E.ESTIMATE_TO_APPROVE,
            )
        )
    ).all()
    await estimates.withdraw_estimate(session, ADMIN, made.id)
    assert await prepare(session, row, utcnow(), {}) is NotificationStatus.SKIPPED
    assert row.last_error == "the estimate is WITHDRAWN: nothing to approve"


async def test_a_survey_link_lasts_as_long_as_the_communication_policy_says(
    session: AsyncSession,
) -> None:
    # given a policy of survey links valid for 3 days
    await session.execute(
        sa.update(CommunicationPolicy)
        .where(col(CommunicationPolicy.key) == "survey_link_days")
        .values(value=3)
    )
    w = await factories.world(session)
    task = await _task(session, w, window=True)
    row = Notification(
        event=E.SURVEY, idempotency_key=f"survey:{task.id}", task_id=task.id, data={}
    )
    # when the survey message's values are read
    values = await delivery._values(session, row, await recipient_for(session, row))
    # then its link expires three days from now
    token = str(values["survey_link"]).rsplit("/", 1)[1]
    expires = datetime.fromtimestamp(int(token.split(".")[1]), UTC)
    assert abs(expires - (utcnow() + timedelta(days=3))) < timedelta(minutes=1)
