"""Conversations in the demo city: threads on a few of the day's requests and visits where the
customer asked something, the desk answered and the technician wrote last, so the customers'
and the desk's inboxes show unread messages; one task thread with a status change posted.

Deterministic: tasks are taken by id; the demo users (when the customer or technician has a
login) speak under their own subject, so their unread counts show after logging in. Past
answers from the desk count as sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.conversations import service
from app.conversations.models import ParticipantRole
from app.conversations.service import Draft, Subject
from app.core.auth import Principal, Role
from app.customers.models import Customer
from app.notifications.models import Notification, NotificationEvent, NotificationStatus
from app.technicians.models import Technician
from app.users.models import User
from app.work_orders.models import Task, TaskStatus

THREADS = 4
ACTIVE = (TaskStatus.SCHEDULED, TaskStatus.DISPATCHED, TaskStatus.ACCEPTED, TaskStatus.EN_ROUTE)
LINES = (
    ("customer", "Hello, will the technician bring the spare part for my unit?"),
    ("agent", "Yes, the part is reserved for your visit. The technician will confirm on the way."),
    ("technician", "Good morning! I have the part with me and will be there within the window."),
)


async def _speaker(session: AsyncSession, role: Role, **link: int) -> Principal:
    """The demo login linked to a customer or technician, else a subject of its own."""
    column, value = next(iter(link.items()))
    user = await session.scalar(
        select(User).where(getattr(User, column) == value).order_by(col(User.id)).limit(1)
    )
    if role is Role.CUSTOMER:
        customer = await session.get(Customer, value)
        name = customer.name if customer else "Customer"
        subject = f"user:{user.id}" if user else f"customer:{value}"
        return Principal(subject, role, name, customer_id=value)
    technician = await session.get(Technician, value)
    name = technician.name if technician else "Technician"
    subject = f"user:{user.id}" if user else f"technician:{value}"
    return Principal(subject, role, name, technician_id=value)


async def _agent(session: AsyncSession) -> Principal:
    user = await session.scalar(
        select(User).where(col(User.role) == Role.AGENT).order_by(col(User.id)).limit(1)
    )
    if user is None:
        return Principal("agent:desk", Role.AGENT, "Service desk")
    return Principal(f"user:{user.id}", Role.AGENT, user.name)


async def seed_conversations(session: AsyncSession, now: datetime) -> dict[str, int]:
    tasks = (
        await session.scalars(
            select(Task)
            .where(
                col(Task.service_request_id).is_not(None),
                col(Task.technician_id).is_not(None),
                col(Task.status).in_(ACTIVE),
            )
            .order_by(col(Task.id))
            .limit(THREADS)
        )
    ).all()
    agent = await _agent(session)
    for n, task in enumerate(tasks):
        assert task.service_request_id is not None and task.technician_id is not None
        customer = await _speaker(session, Role.CUSTOMER, customer_id=task.customer_id)
        technician = await _speaker(session, Role.TECHNICIAN, technician_id=task.technician_id)
        speakers = {"customer": customer, "agent": agent, "technician": technician}
        thread = await service.open_thread(
            session, subject=Subject.service_request(task.service_request_id)
        )
        assert thread.id is not None
        start = now - timedelta(minutes=90 - 10 * n)
        sent = []
        for i, (who, text) in enumerate(LINES):
            message = await service.send_message(
                session,
                speakers[who],
                thread.id,
                Draft(body=text, client_message_id=f"demo-{task.id}-{i}"),
                now=start + timedelta(minutes=7 * i),
            )
            sent.append(message.id)
        if n == 0:  # the customer read the desk's answer, not the technician's note
            await service.mark_read(session, customer, thread.id, sent[1], now=start)
    if tasks:
        first = tasks[0]
        assert first.id is not None and first.technician_id is not None
        speaker = await _speaker(session, Role.TECHNICIAN, technician_id=first.technician_id)
        thread = await service.open_thread(session, subject=Subject.task(first.id))
        await service.add_participant(session, thread, speaker, ParticipantRole.TECHNICIAN)
        status = first.status.value.lower().replace("_", " ")
        await service.post_system_event(
            session,
            Subject.task(first.id),
            f"Visit T-{first.id} is now {status}",
            now=now - timedelta(minutes=5),
        )
    await session.execute(
        sa.update(Notification)
        .where(col(Notification.event) == NotificationEvent.CONVERSATION_MESSAGE)
        .values(status=NotificationStatus.SENT, sent_at=now)
    )
    count = await session.scalar(sa.text("SELECT count(*) FROM conversation_messages"))
    return {"conversation_messages": int(count or 0)}
