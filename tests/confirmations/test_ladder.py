"""The confirmation ladder with a clock the test controls: message, call, sales channel."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.confirmations.ladder import advance, parse_reply, record_answer
from app.confirmations.models import (
    Answer,
    CallStatus,
    Confirmation,
    ConfirmationCall,
    ConfirmationStatus,
    RetentionCase,
    RetentionReason,
)
from app.core.models import utcnow
from app.notifications.settings import get_notification_settings
from app.webhooks.signing import HEADER, sign
from app.work_orders.models import Task
from tests.notifications.support import scheduled_task
from tests.work_orders import factories


async def _confirmation(session: AsyncSession, task_id: int | None) -> Confirmation:
    row = await session.scalar(select(Confirmation).where(col(Confirmation.task_id) == task_id))
    assert row is not None
    return row


@pytest.mark.parametrize(
    ("button", "text", "answer"),
    [
        ("CONFIRM", None, Answer.CONFIRM),
        (None, "1", Answer.CONFIRM),
        (None, "Yes please", Answer.CONFIRM),
        (None, "haan", Answer.CONFIRM),
        (None, "no", Answer.REJECT),
        (None, "2", Answer.REJECT),
        (None, "reschedule", Answer.RESCHEDULE),
        ("reject", "yes", Answer.REJECT),
        (None, "what time?", None),
        (None, "", None),
    ],
)
def test_replies_are_parsed(button: str | None, text: str | None, answer: Answer | None) -> None:
    assert parse_reply(button, text) == answer


async def test_scheduling_opens_a_confirmation_awaiting_a_reply(session: AsyncSession) -> None:
    w = await factories.world(session)
    task = await scheduled_task(session, w)
    confirmation = await _confirmation(session, task.id)
    assert confirmation.status is ConfirmationStatus.AWAITING_REPLY


async def test_silence_goes_to_a_call_then_back_to_the_sales_channel(session: AsyncSession) -> None:
    # given a confirmation request sent now
    w = await factories.world(session)
    task = await scheduled_task(session, w)
    confirmation = await _confirmation(session, task.id)
    start = confirmation.requested_at
    # when the reply threshold (120 min) has not passed, nothing moves
    assert (await advance(session, start + timedelta(minutes=119)))["calls"] == 0
    # when it has, a call joins the queue
    assert (await advance(session, start + timedelta(minutes=121)))["calls"] == 1
    call = await session.scalar(select(ConfirmationCall))
    assert call is not None and call.status is CallStatus.QUEUED
    assert confirmation.status is ConfirmationStatus.CALL_QUEUED
    # and when the call threshold (240 min) passes unanswered, back to the sales channel
    moved = await advance(session, start + timedelta(minutes=121 + 241))
    assert moved["returned"] == 1
    assert confirmation.status is ConfirmationStatus.RETURNED_TO_SALES
    await session.refresh(call)
    assert call.status is CallStatus.NO_ANSWER
    case = await session.scalar(select(RetentionCase))
    assert case is not None and case.reason_kind is RetentionReason.SILENT
    assert case.sales_channel == "DIRECT"
    # a late confirmation still counts, as recovered
    await record_answer(session, confirmation, Answer.CONFIRM, via="SALES", now=utcnow())
    assert confirmation.status is ConfirmationStatus.CONFIRMED and confirmation.recovered


async def test_a_rejection_opens_a_retention_case_with_the_reason(session: AsyncSession) -> None:
    w = await factories.world(session)
    task = await scheduled_task(session, w)
    confirmation = await _confirmation(session, task.id)
    await record_answer(
        session, confirmation, Answer.REJECT, via="WHATSAPP", now=utcnow(), text="no, too costly"
    )
    case = await session.scalar(select(RetentionCase))
    assert case is not None
    assert (case.reason_kind, case.reason) == (RetentionReason.REJECTED, "no, too costly")


REPLIES = "/hooks/confirmations/replies"


async def test_a_signed_whatsapp_reply_confirms_the_appointment(
    session: AsyncSession, gql: object
) -> None:
    # given a confirmation request
    w = await factories.world(session)
    task = await scheduled_task(session, w)
    confirmation = await _confirmation(session, task.id)
    body = json.dumps(
        {"reference": confirmation.message_key, "text": "Haan ji", "channel": "WHATSAPP"}
    ).encode()
    secret = get_notification_settings().callback_secret
    http = gql.http  # type: ignore[attr-defined]
    # when the provider posts the customer's reply, signed
    response = await http.post(REPLIES, content=body, headers={HEADER: sign(secret, body)})
    # then the appointment is confirmed through the lifecycle
    assert response.json() == {"understood": True, "status": "CONFIRMED"}
    refreshed = await session.get(Task, task.id, populate_existing=True)
    assert refreshed is not None and refreshed.confirmed_at is not None
    # and an unsigned reply is refused
    assert (await http.post(REPLIES, content=body)).status_code == 401
