"""Appointment reminders with a clock the test controls, and the signed, expiring survey link
whose answer lands in the task's feedback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.core.db import SessionFactory
from app.core.errors import DomainError
from app.core.models import utcnow
from app.notifications.jobs import run_reminders
from app.notifications.models import Notification, NotificationEvent
from app.notifications.surveys import read_token, survey_token
from app.work_orders.models import Task, TaskStatus
from tests.notifications.support import scheduled_task
from tests.support import GraphQLClient
from tests.work_orders import factories


async def _reminders(session: AsyncSession, task_id: int | None) -> int:
    count = await session.scalar(
        select(func.count()).where(
            col(Notification.task_id) == task_id,
            col(Notification.event) == NotificationEvent.REMINDER,
        )
    )
    return count or 0


async def test_a_reminder_goes_once_when_the_window_comes_within_the_lead(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    # given an appointment whose window starts in 3 hours (policy lead: 24 hours)
    w = await factories.world(session)
    task = await scheduled_task(session, w)
    assert task.window_start is not None
    # when the job runs 2 days before the window, nothing is due
    assert await run_reminders(sessions, None, task.window_start - timedelta(days=2)) == 0
    # when it runs within the lead, one reminder is queued
    assert await run_reminders(sessions, None, task.window_start - timedelta(hours=3)) == 1
    # and running again (another instance, the next tick) adds none
    assert await run_reminders(sessions, None, task.window_start - timedelta(hours=2)) == 0
    assert await _reminders(session, task.id) == 1
    # and once the window has started, nothing more
    assert await run_reminders(sessions, None, task.window_start + timedelta(minutes=1)) == 0


async def test_an_unscheduled_task_gets_no_reminder(
    session: AsyncSession, sessions: SessionFactory
) -> None:
    from tests.notifications.support import task_for

    task = await task_for(session, await factories.world(session))
    assert task.window_start is not None
    assert await run_reminders(sessions, None, task.window_start - timedelta(hours=1)) == 0


def test_a_survey_token_is_signed_and_expires() -> None:
    now = utcnow()
    token = survey_token(42, days=14, now=now)
    assert read_token(token, now + timedelta(days=13)) == 42
    with pytest.raises(DomainError) as expired:
        read_token(token, now + timedelta(days=15))
    assert expired.value.problems[0].code.value == "FORBIDDEN"
    _task, expires, mac = token.split(".")
    with pytest.raises(DomainError):
        read_token(f"43.{expires}.{mac}", now)
    with pytest.raises(DomainError):
        read_token("not-a-token", now)


async def test_a_survey_answer_lands_in_the_tasks_feedback(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a completed task and its survey link
    w = await factories.world(session)
    task = await scheduled_task(session, w)
    task.status = TaskStatus.COMPLETED
    task.finished_at = utcnow()
    await session.flush()
    assert task.id is not None
    path = f"/surveys/{survey_token(task.id)}"
    # when the customer opens it and answers
    opened = await gql.http.get(path)
    assert opened.json()["task"] == f"T-{task.id}"
    answered = await gql.http.post(path, json={"rating": 5, "comment": "Quick and tidy"})
    # then the rating and comment are on the task
    assert answered.json() == {"task": f"T-{task.id}", "rating": 5}
    refreshed = await session.get(Task, task.id, populate_existing=True)
    assert refreshed is not None
    assert (refreshed.rating, refreshed.feedback_comment) == (5, "Quick and tidy")
    # and a tampered link or a bad rating is refused
    assert (await gql.http.post(f"/surveys/{task.id}.1.x", json={"rating": 5})).status_code == 403
    assert (await gql.http.post(path, json={"rating": "five"})).status_code == 400
