"""Notification delivery and appointment reminders, periodic jobs on the job engine."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.db import SessionFactory, unit_of_work
from app.core.events import Broker
from app.core.jobs import Job
from app.core.models import utcnow
from app.notifications.delivery import deliver_due
from app.notifications.models import NotificationEvent
from app.notifications.outbox import enqueue_once
from app.notifications.policies import load_policy
from app.notifications.settings import get_notification_settings
from app.work_orders.models import Task, TaskStatus

REMINDED = (TaskStatus.SCHEDULED, TaskStatus.DISPATCHED, TaskStatus.ACCEPTED)


async def remind(session: AsyncSession, now: datetime) -> int:
    """A reminder per appointment, once, when its window starts within the policy's lead."""
    policy = await load_policy(session)
    horizon = now + timedelta(hours=policy.reminder_hours_before)
    tasks = (
        await session.execute(
            select(Task.id, Task.window_start).where(
                col(Task.status).in_(REMINDED),
                col(Task.window_start) > now,
                col(Task.window_start) <= horizon,
            )
        )
    ).all()
    created = 0
    for task_id, start in tasks:
        key = f"reminder:{task_id}:{start.isoformat()}"
        if await enqueue_once(session, NotificationEvent.REMINDER, key, task_id=task_id):
            created += 1
    return created


async def run_reminders(
    sessions: SessionFactory, broker: Broker | None, now: datetime | None = None
) -> int:
    async with unit_of_work(sessions, broker) as session:
        return await remind(session, now or utcnow())


async def run_delivery(sessions: SessionFactory, broker: Broker) -> None:
    await deliver_due(sessions, broker, limit=get_notification_settings().batch_size)


JOBS: list[Job] = [
    Job(
        "notifications.deliver", get_notification_settings().delivery_interval_seconds, run_delivery
    ),
    Job("notifications.remind", 300, run_reminders),
]
