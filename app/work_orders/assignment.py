"""What a dispatcher should know before assigning: skills, exclusions, overlaps, windows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.core.ids import global_id
from app.core.models import utcnow
from app.crews.busy import taken_spans
from app.technicians.models import Skill, Technician, TechnicianSkill
from app.work_orders.models import Task, TaskSkill, TaskStatus

BUSY = (
    TaskStatus.SCHEDULED,
    TaskStatus.DISPATCHED,
    TaskStatus.ACCEPTED,
    TaskStatus.EN_ROUTE,
    TaskStatus.ON_SITE,
    TaskStatus.IN_PROGRESS,
    TaskStatus.ON_HOLD,
)
PAST_GRACE = timedelta(minutes=15)
"""An assignment may start this long ago (the dispatcher is typing) before it is a warning."""


@dataclass(frozen=True, slots=True)
class Warning:
    code: str
    message: str


async def warnings_for(
    session: AsyncSession, task: Task, technician: Technician, start: datetime, end: datetime
) -> list[Warning]:
    found = _excluded(task, technician) + _outside_times(task, start, end)
    found += await _missing_skills(session, task, technician)
    found += await _overlaps(session, task, technician, start, end)
    found += await _outside_hours(session, technician, start, end)
    # Imported here: the dispatch service builds on this module's tasks.
    from app.dispatch.manual import travel_warnings

    found += await travel_warnings(session, task, technician, start)
    return found


def _excluded(task: Task, technician: Technician) -> list[Warning]:
    if technician.id in task.excluded_technician_ids:
        return [Warning("EXCLUDED_TECHNICIAN", f"{technician.name} is excluded from this task")]
    return []


def _outside_times(task: Task, start: datetime, end: datetime) -> list[Warning]:
    checks = [
        (task.earliest_start and start < task.earliest_start, "starts before the earliest start"),
        (task.latest_start and start > task.latest_start, "starts after the latest start"),
        (task.window_start and start < task.window_start, "starts before the appointment window"),
        (task.window_end and start > task.window_end, "starts after the appointment window"),
        (task.deadline and end > task.deadline, "ends after the deadline"),
    ]
    found = [Warning("OUTSIDE_TIME_WINDOW", message) for failed, message in checks if failed]
    if start < utcnow() - PAST_GRACE:
        found.append(Warning("START_IN_PAST", f"starts in the past ({start:%Y-%m-%d %H:%M} UTC)"))
    return found


async def _missing_skills(
    session: AsyncSession, task: Task, technician: Technician
) -> list[Warning]:
    held = (
        select(TechnicianSkill.skill_id, TechnicianSkill.level)
        .where(col(TechnicianSkill.technician_id) == technician.id)
        .subquery()
    )
    rows = await session.execute(
        select(Skill.code, TaskSkill.min_level, held.c.level)
        .join(Skill, col(Skill.id) == col(TaskSkill.skill_id))
        .outerjoin(held, held.c.skill_id == col(TaskSkill.skill_id))
        .where(col(TaskSkill.task_id) == task.id)
        .order_by(Skill.code)
    )
    return [
        Warning("SKILL_MISMATCH", f"needs {code} at level {need}, has {have or 0}")
        for code, need, have in rows.all()
        if (have or 0) < need
    ]


async def _overlaps(
    session: AsyncSession, task: Task, technician: Technician, start: datetime, end: datetime
) -> list[Warning]:
    """Other tasks the technician leads or is a crew member of, over their segments."""
    assert technician.id is not None
    taken = taken_spans([technician.id], BUSY)
    rows = await session.execute(
        select(taken.c.task_id, func.bool_or(taken.c.member))
        .where(taken.c.task_id != task.id)
        .where(taken.c.starts_at < end, taken.c.ends_at > start)
        .group_by(taken.c.task_id)
        .order_by(taken.c.task_id)
    )
    return [
        Warning(
            "OVERLAPPING_TASK",
            f"overlaps {'crew task' if member else 'task'} T-{other} "
            f"(id {global_id('Task', other)})",
        )
        for other, member in rows.all()
    ]


async def _outside_hours(
    session: AsyncSession, technician: Technician, start: datetime, end: datetime
) -> list[Warning]:
    """Asks the workforce domain for the technician's working windows around the start."""
    from app.technicians.service import availability

    assert technician.id is not None
    windows = []
    for offset in (-1, 0, 1):
        day = (start + timedelta(days=offset)).date()
        windows += (await availability(session, [technician.id], day)).get(technician.id, [])
    if any(w_start <= start and end <= w_end for w_start, w_end in _joined(windows)):
        return []
    return [Warning("OUTSIDE_WORKING_HOURS", f"{technician.name} is not working then")]


DAY_END_GAP = timedelta(minutes=1)
"""Hours kept as 00:00-23:59 leave a minute between one day and the next: a technician working
both days works through midnight."""


def _joined(windows: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The windows with those that touch (or nearly: `DAY_END_GAP`) made one."""
    joined: list[tuple[datetime, datetime]] = []
    for w_start, w_end in sorted(windows):
        if joined and w_start - joined[-1][1] <= DAY_END_GAP:
            joined[-1] = (joined[-1][0], max(joined[-1][1], w_end))
        else:
            joined.append((w_start, w_end))
    return joined
