"""When a technician may start travel to a task or check in: around its scheduled time.

The scheduled span is the appointment window joined with the planned start and end. The work
policy says how early travel and a check-in may start before it and how late they may start
after it, and whether a step outside is refused, flagged with a reason, or allowed. The refusal
names the scheduled day and window in the territory's time zone.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import DomainError, ErrorCode
from app.territories.models import Territory
from app.work_orders.models import Task
from app.work_orders.policies import Policies, ScheduleMode
from app.work_orders.transitions import Action

VERBS = {Action.START_TRAVEL: "start travel", Action.CHECK_IN: "check in"}


def scheduled_span(task: Task) -> tuple[datetime, datetime] | None:
    """The window and the planned visit together; None for a task with neither."""
    starts = [t for t in (task.window_start, task.scheduled_start) if t is not None]
    if not starts:
        return None
    ends = [t for t in (task.window_end, task.scheduled_end) if t is not None]
    start = min(starts)
    return start, max(ends) if ends else start + timedelta(minutes=task.duration_minutes)


def allowed_span(
    span: tuple[datetime, datetime], action: Action, policies: Policies
) -> tuple[datetime, datetime]:
    early = (
        policies.start_travel_early_minutes
        if action is Action.START_TRAVEL
        else policies.check_in_early_minutes
    )
    return (
        span[0] - timedelta(minutes=early),
        span[1] + timedelta(minutes=policies.check_in_late_minutes),
    )


def describe(span: tuple[datetime, datetime], zone: str) -> str:
    """`2026-12-05 10:00-12:00 Asia/Kolkata` (both dates when the span crosses midnight)."""
    tz = ZoneInfo(zone)
    start, end = span[0].astimezone(tz), span[1].astimezone(tz)
    until = end.strftime("%H:%M") if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M}-{until} {zone}"


def same_days(span: tuple[datetime, datetime], zone: str) -> tuple[datetime, datetime]:
    """From the local midnight that starts the span's first day to the one after its last."""
    tz = ZoneInfo(zone)
    first = span[0].astimezone(tz).date()
    last = span[1].astimezone(tz).date()
    return (
        datetime.combine(first, time(), tzinfo=tz),
        datetime.combine(last + timedelta(days=1), time(), tzinfo=tz),
    )


async def _zone(session: AsyncSession, task: Task) -> str:
    territory = (
        await session.get(Territory, task.territory_id) if task.territory_id is not None else None
    )
    return territory.time_zone if territory is not None else "UTC"


async def check_timing(
    session: AsyncSession,
    task: Task,
    action: Action,
    policies: Policies,
    reason: str | None,
    now: datetime,
) -> str | None:
    """None when the step is on time (or the policy allows any time); a warning when it is
    outside but flagged with a reason; a DomainError when it is refused or lacks a reason."""
    span = scheduled_span(task)
    if policies.check_in_window_mode is ScheduleMode.ALLOW or span is None:
        return None
    earliest, latest = allowed_span(span, action, policies)
    inside = earliest <= now <= latest
    zone = await _zone(session, task) if policies.check_in_same_day or not inside else "UTC"
    if policies.check_in_same_day:
        day_start, day_end = same_days(span, zone)
        inside = inside and day_start <= now < day_end
    if inside:
        return None
    when = describe(span, zone)
    verb = VERBS[action]
    if policies.check_in_window_mode is ScheduleMode.REFUSE:
        raise DomainError(
            f"this visit is scheduled for {when}; {verb} then, or ask the dispatcher to reschedule",
            ErrorCode.INVALID_TRANSITION,
            ["taskId"],
        )
    if not (reason or "").strip():
        raise DomainError(
            f"this visit is scheduled for {when}; say why you {verb} outside it",
            ErrorCode.INVALID,
            ["reason"],
        )
    return f"{verb} outside the schedule ({when}): {(reason or '').strip()}"
