"""Travel and check-in are held to the task's scheduled time by the work policy: refused, flagged
with a reason, or allowed, with tolerances before the start and after the end."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.channels import ALERTS
from app.core.errors import DomainError, ErrorCode
from app.core.events import pending_events
from app.core.models import utcnow
from app.work_orders import field, offers
from app.work_orders.models import Task, TaskStatus
from app.work_orders.policies import load_policies
from app.work_orders.schedule import check_timing, describe
from app.work_orders.transitions import Action
from tests.work_orders import factories
from tests.work_orders.test_lifecycle_service import AT_SITE, DISPATCHER, _policy, _task, tech

IST = ZoneInfo("Asia/Kolkata")


async def _accepted(session: AsyncSession, w: factories.World, start: datetime) -> Task:
    task = await _task(session, w)
    await offers.assign_task(
        session, DISPATCHER, task.id, w.technician.id, start, reason="planned ahead"
    )
    task = await offers.accept_task(session, tech(w.technician.id), task.id)
    return task


async def _check_in(
    session: AsyncSession, w: factories.World, task: Task, reason: str | None = None
) -> tuple[Task, list[str]]:
    step = field.Step(task.id, location=AT_SITE, reason=reason)
    return await field.check_in(session, tech(w.technician.id), step)


async def test_a_check_in_to_tomorrows_task_is_refused_with_its_local_day_and_window(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    start = utcnow() + timedelta(days=1)
    task = await _accepted(session, w, start)

    with pytest.raises(DomainError) as refused:
        await _check_in(session, w, task)

    problem = refused.value.problems[0]
    assert (problem.code, problem.field) == (ErrorCode.INVALID_TRANSITION, ["taskId"])
    local = start.astimezone(IST)
    assert f"scheduled for {local:%Y-%m-%d %H:%M}-" in problem.message
    assert problem.message.endswith(
        "Asia/Kolkata; check in then, or ask the dispatcher to reschedule"
    )
    await session.refresh(task)
    assert task.status is TaskStatus.ACCEPTED and task.off_schedule is False


async def test_a_flagged_check_in_needs_a_reason_and_records_it(session: AsyncSession) -> None:
    w = await factories.world(session)
    task = await _accepted(session, w, utcnow() + timedelta(days=1))
    await _policy(session, "check_in_window_mode", "FLAG")

    with pytest.raises(DomainError) as no_reason:
        await _check_in(session, w, task, reason="  ")
    assert (no_reason.value.code, no_reason.value.problems[0].field) == (
        ErrorCode.INVALID,
        ["reason"],
    )

    marker = len(pending_events(session))
    task, warnings = await _check_in(session, w, task, reason="customer asked me to come today")
    assert task.status is TaskStatus.ON_SITE and task.off_schedule is True
    assert len(warnings) == 1 and "customer asked me to come today" in warnings[0]
    reason = await session.scalar(
        sa.text("SELECT reason FROM task_events WHERE task_id = :t AND action = 'CHECK_IN'"),
        {"t": task.id},
    )
    assert reason == "customer asked me to come today"
    alerts = [e for e in pending_events(session)[marker:] if e.channel == ALERTS]
    assert [a.data["task_id"] for a in alerts] == [task.id]


async def test_allow_lets_a_check_in_through_at_any_time(session: AsyncSession) -> None:
    w = await factories.world(session)
    task = await _accepted(session, w, utcnow() + timedelta(days=3))
    await _policy(session, "check_in_window_mode", "ALLOW")

    task, warnings = await _check_in(session, w, task)
    assert (task.status, task.off_schedule, warnings) == (TaskStatus.ON_SITE, False, [])


async def test_a_check_in_within_the_tolerance_is_on_time(session: AsyncSession) -> None:
    w = await factories.world(session)
    task = await _accepted(session, w, utcnow() + timedelta(minutes=170))

    task, warnings = await _check_in(session, w, task)
    assert (task.status, task.off_schedule, warnings) == (TaskStatus.ON_SITE, False, [])


async def test_a_check_in_long_after_the_scheduled_end_is_refused(session: AsyncSession) -> None:
    w = await factories.world(session)
    task = await _accepted(session, w, utcnow() + timedelta(hours=1))
    task.scheduled_start = utcnow() - timedelta(hours=8)
    task.scheduled_end = task.scheduled_start + timedelta(minutes=task.duration_minutes)
    await session.flush()

    with pytest.raises(DomainError) as refused:
        await _check_in(session, w, task)
    assert refused.value.code is ErrorCode.INVALID_TRANSITION


async def test_travel_to_a_task_days_ahead_is_refused_and_hours_ahead_is_not(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    me = tech(w.technician.id)
    ahead = await _accepted(session, w, utcnow() + timedelta(days=2))
    with pytest.raises(DomainError) as refused:
        await field.move(session, me, Action.START_TRAVEL, field.Step(ahead.id))
    assert refused.value.code is ErrorCode.INVALID_TRANSITION
    assert "start travel then" in refused.value.problems[0].message

    soon = await _accepted(session, w, utcnow() + timedelta(hours=5))
    moved = await field.move(session, me, Action.START_TRAVEL, field.Step(soon.id))
    assert moved.status is TaskStatus.EN_ROUTE


async def test_the_appointment_window_widens_the_scheduled_span(session: AsyncSession) -> None:
    w = await factories.world(session)
    window_start = utcnow() + timedelta(minutes=150)
    task = await _task(
        session, w, window_start=window_start, window_end=window_start + timedelta(hours=2)
    )
    start = window_start + timedelta(minutes=90)
    await offers.assign_task(session, DISPATCHER, task.id, w.technician.id, start, reason="ok")
    await offers.accept_task(session, tech(w.technician.id), task.id)

    # 240 minutes before the planned start, but within the window's 180 minutes of tolerance
    task, warnings = await _check_in(session, w, task)
    assert task.status is TaskStatus.ON_SITE and warnings == []


def test_the_span_is_described_in_the_territorys_zone() -> None:
    start = datetime(2026, 12, 5, 4, 30, tzinfo=UTC)
    assert describe((start, start + timedelta(hours=2)), "Asia/Kolkata") == (
        "2026-12-05 10:00-12:00 Asia/Kolkata"
    )
    late = datetime(2026, 12, 5, 17, 30, tzinfo=UTC)
    assert describe((late, late + timedelta(hours=2)), "Asia/Kolkata") == (
        "2026-12-05 23:00-2026-12-06 01:00 Asia/Kolkata"
    )


async def test_an_assignment_that_starts_in_the_past_needs_a_reason(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    task = await _task(session, w)
    yesterday = utcnow() - timedelta(days=1)

    with pytest.raises(DomainError) as refused:
        await offers.assign_task(session, DISPATCHER, task.id, w.technician.id, yesterday)
    assert any("starts in the past" in p.message for p in refused.value.problems)

    task, warnings = await offers.assign_task(
        session, DISPATCHER, task.id, w.technician.id, yesterday, reason="recording a visit"
    )
    assert "START_IN_PAST" in [w.code for w in warnings]


async def test_the_same_day_rule_refuses_a_check_in_the_evening_before_within_the_tolerance(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    task = await _accepted(session, w, utcnow() + timedelta(hours=1))
    # 00:30 tomorrow in Bengaluru is 19:00 UTC today; check in at 22:30 IST the evening before
    tomorrow = (utcnow().astimezone(IST) + timedelta(days=1)).date()
    task.scheduled_start = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 0, 30, tzinfo=IST)
    task.scheduled_end = task.scheduled_start + timedelta(hours=1)
    await session.flush()
    evening = task.scheduled_start - timedelta(hours=2)
    policies = replace(await load_policies(session), check_in_same_day=True)

    with pytest.raises(DomainError) as refused:
        await check_timing(session, task, Action.CHECK_IN, policies, None, evening)
    assert f"scheduled for {tomorrow:%Y-%m-%d} 00:30-01:30 Asia/Kolkata" in str(refused.value)
    off = replace(policies, check_in_same_day=False)
    assert await check_timing(session, task, Action.CHECK_IN, off, None, evening) is None
    on_the_day = task.scheduled_start - timedelta(minutes=20)
    assert await check_timing(session, task, Action.CHECK_IN, policies, None, on_the_day) is None
