"""The confirmation ladder.

1. Scheduling sends a confirmation request with reply options (see listeners.py).
2. A reply (button payload or text such as "1", "yes", "haan", "no", "reschedule") confirms
   the appointment through the lifecycle, rejects it (a retention case) or asks for another
   time (an agent call).
3. No reply within `confirmation_reply_minutes`: a voice-call task joins the call queue (an
   agent's, or an AI voice provider's through the VOICE channel adapter).
4. No answer within `confirmation_call_minutes`: the order returns to its sales channel's queue
   and a retention case records the silence. A later answer still counts, as recovered.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.confirmations.models import (
    OPEN_CONFIRMATION,
    Answer,
    CallMode,
    CallPurpose,
    CallStatus,
    Confirmation,
    ConfirmationCall,
    ConfirmationStage,
    ConfirmationStatus,
    RetentionCase,
    RetentionReason,
)
from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, NotFound
from app.notifications.models import Channel, NotificationEvent
from app.notifications.outbox import enqueue
from app.notifications.policies import Policy, load_policy
from app.service_requests.models import ServiceRequest
from app.webhooks import events as webhook_events
from app.work_orders.customer import confirm_appointment
from app.work_orders.models import Task
from app.work_orders.transitions import BEFORE_WORK

DIRECT = "DIRECT"
"""The sales channel of a task created without a service request."""

WORDS = {
    Answer.CONFIRM: {
        "1",
        "yes",
        "y",
        "ok",
        "okay",
        "confirm",
        "confirmed",
        "haan",
        "ha",
        "han",
        "ji",
        "sure",
        "si",
        "oui",
        "👍",
    },
    Answer.REJECT: {"2", "no", "n", "reject", "cancel", "nahi", "nahin", "na", "stop"},
    Answer.RESCHEDULE: {"3", "reschedule", "later", "change", "another", "baad"},
}


def parse_reply(button: str | None, text: str | None) -> Answer | None:
    """A button payload (CONFIRM, REJECT, RESCHEDULE) wins; else the first word of the text."""
    if button:
        try:
            return Answer(button.strip().upper())
        except ValueError:
            pass
    words = re.findall(r"[\w👍]+", (text or "").lower())
    if not words:
        return None
    for answer, vocabulary in WORDS.items():
        if words[0] in vocabulary:
            return answer
    return None


async def sales_channel(session: AsyncSession, task: Task) -> str:
    if task.service_request_id is None:
        return DIRECT
    channel = await session.scalar(
        select(ServiceRequest.channel).where(col(ServiceRequest.id) == task.service_request_id)
    )
    return str(channel) if channel is not None else DIRECT


async def _retention(
    session: AsyncSession,
    confirmation: Confirmation,
    kind: RetentionReason,
    reason: str,
    now: datetime,
) -> RetentionCase:
    task = await session.get(Task, confirmation.task_id)
    assert task is not None and confirmation.id is not None
    case = RetentionCase(
        confirmation_id=confirmation.id,
        task_id=task.id or 0,
        customer_id=task.customer_id,
        sales_channel=await sales_channel(session, task),
        reason_kind=kind,
        reason=reason[:500],
        created_at=now,
    )
    session.add(case)
    return case


async def _close_calls(
    session: AsyncSession, confirmation_id: int, outcome: str, now: datetime
) -> None:
    await session.execute(
        update(ConfirmationCall)
        .where(
            col(ConfirmationCall.confirmation_id) == confirmation_id,
            col(ConfirmationCall.status).in_((CallStatus.QUEUED, CallStatus.IN_PROGRESS)),
        )
        .values(status=CallStatus.ANSWERED, outcome=outcome, closed_at=now)
    )


async def record_answer(
    session: AsyncSession,
    confirmation: Confirmation,
    answer: Answer,
    *,
    via: str,
    now: datetime,
    reason: str | None = None,
    text: str | None = None,
) -> Confirmation:
    """The customer's answer, at whatever rung of the ladder it arrives."""
    if confirmation.status not in OPEN_CONFIRMATION:
        raise DomainError(
            f"this confirmation is already {confirmation.status}",
            ErrorCode.INVALID_TRANSITION,
            ["id"],
        )
    assert confirmation.id is not None
    task = await session.get(Task, confirmation.task_id, with_for_update=True)
    assert task is not None
    confirmation.answer, confirmation.answered_at = answer, now
    confirmation.answered_via, confirmation.reply_text = via, text
    confirmation.reason = reason
    await _close_calls(session, confirmation.id, answer.value, now)
    if answer is Answer.CONFIRM:
        customer = Principal(
            f"{via.lower()}:customer:{task.customer_id}",
            Role.CUSTOMER,
            "Customer",
            customer_id=task.customer_id,
        )
        await confirm_appointment(session, customer, confirmation.task_id, None)
        confirmation.status = ConfirmationStatus.CONFIRMED
        confirmation.recovered = confirmation.stage is not ConfirmationStage.MESSAGE
    elif answer is Answer.REJECT:
        confirmation.status = ConfirmationStatus.REJECTED
        await _retention(
            session,
            confirmation,
            RetentionReason.REJECTED,
            reason or text or "rejected by the customer",
            now,
        )
    else:
        confirmation.status = ConfirmationStatus.RESCHEDULE_REQUESTED
        session.add(
            ConfirmationCall(
                confirmation_id=confirmation.id,
                task_id=task.id or 0,
                purpose=CallPurpose.RESCHEDULE,
                queued_at=now,
            )
        )
    webhook_events.record(
        session,
        "confirmation.answered",
        {
            "task_id": task.id,
            "technician_id": task.technician_id,
            "customer_id": task.customer_id,
            "answer": answer.value,
            "via": via,
            "status": confirmation.status.value,
        },
    )
    await session.flush()
    return confirmation


async def confirmation_for_reply(
    session: AsyncSession, reference: str | None, sender: str | None
) -> Confirmation:
    """The open confirmation a reply answers: by the request's key, else the sender's number."""
    statement = select(Confirmation).where(col(Confirmation.status).in_(OPEN_CONFIRMATION))
    if reference:
        statement = statement.where(col(Confirmation.message_key) == reference)
    elif sender:
        from app.customers.models import Customer

        digits = re.sub(r"\D", "", sender)
        statement = (
            statement.join(Task, col(Task.id) == col(Confirmation.task_id))
            .join(Customer, col(Customer.id) == col(Task.customer_id))
            .where((sa_digits(Customer.whatsapp) == digits) | (sa_digits(Customer.phone) == digits))
        )
    else:
        raise DomainError("a reply needs the request it answers or the sender", ErrorCode.INVALID)
    row = await session.scalar(
        statement.order_by(col(Confirmation.id).desc()).limit(1).with_for_update(of=Confirmation)
    )
    if row is None:
        raise NotFound("open confirmation", ["reference"])
    return row


def sa_digits(column: object) -> object:
    from sqlalchemy import func

    return func.regexp_replace(column, r"\D", "", "g")


async def _queue_call(
    session: AsyncSession, confirmation: Confirmation, policy: Policy, now: datetime
) -> None:
    assert confirmation.id is not None
    mode = CallMode(policy.confirmation_call_mode)
    session.add(
        ConfirmationCall(
            confirmation_id=confirmation.id, task_id=confirmation.task_id, mode=mode, queued_at=now
        )
    )
    if mode is CallMode.AI_VOICE:
        enqueue(
            session,
            NotificationEvent.CONFIRMATION_REQUEST,
            task_id=confirmation.task_id,
            channel=Channel.VOICE,
            key=f"{confirmation.message_key}:voice",
            data={"options": "CONFIRM,REJECT,RESCHEDULE", "reply_to": confirmation.message_key},
        )
    confirmation.status, confirmation.stage = ConfirmationStatus.CALL_QUEUED, ConfirmationStage.CALL
    confirmation.stage_at = now


async def return_to_sales(session: AsyncSession, confirmation: Confirmation, now: datetime) -> None:
    assert confirmation.id is not None
    await session.execute(
        update(ConfirmationCall)
        .where(
            col(ConfirmationCall.confirmation_id) == confirmation.id,
            col(ConfirmationCall.status).in_((CallStatus.QUEUED, CallStatus.IN_PROGRESS)),
        )
        .values(status=CallStatus.NO_ANSWER, outcome="NO_ANSWER", closed_at=now)
    )
    confirmation.status = ConfirmationStatus.RETURNED_TO_SALES
    confirmation.stage, confirmation.stage_at = ConfirmationStage.SALES, now
    await _retention(
        session,
        confirmation,
        RetentionReason.SILENT,
        "no reply to the message nor to the call",
        now,
    )


async def _moot(session: AsyncSession, confirmation: Confirmation) -> bool:
    """The appointment moved on (confirmed elsewhere, started, cancelled, rescheduled)."""
    newer = await session.scalar(
        select(Confirmation.id).where(
            col(Confirmation.task_id) == confirmation.task_id,
            col(Confirmation.id) > confirmation.id,
        )
    )
    task = await session.get(Task, confirmation.task_id)
    if (
        newer
        or task is None
        or task.status not in BEFORE_WORK
        or task.status.value == "UNSCHEDULED"
    ):
        confirmation.status = ConfirmationStatus.SUPERSEDED
        return True
    if task.confirmed_at is not None:
        confirmation.status = ConfirmationStatus.CONFIRMED
        return True
    return False


async def advance(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Move every confirmation whose wait ran out one rung down; safe to run concurrently."""
    policy = await load_policy(session)
    reply_due = now - timedelta(minutes=policy.confirmation_reply_minutes)
    call_due = now - timedelta(minutes=policy.confirmation_call_minutes)
    rows = (
        await session.scalars(
            select(Confirmation)
            .where(
                (
                    (col(Confirmation.status) == ConfirmationStatus.AWAITING_REPLY)
                    & (col(Confirmation.stage_at) <= reply_due)
                )
                | (
                    (col(Confirmation.status) == ConfirmationStatus.CALL_QUEUED)
                    & (col(Confirmation.stage_at) <= call_due)
                )
            )
            .order_by(col(Confirmation.id))
            .limit(500)
            .with_for_update(skip_locked=True)
        )
    ).all()
    moved = {"calls": 0, "returned": 0, "moot": 0}
    for confirmation in rows:
        if await _moot(session, confirmation):
            moved["moot"] += 1
        elif confirmation.status is ConfirmationStatus.AWAITING_REPLY:
            await _queue_call(session, confirmation, policy, now)
            moved["calls"] += 1
        else:
            await return_to_sales(session, confirmation, now)
            moved["returned"] += 1
    await session.flush()
    return moved
