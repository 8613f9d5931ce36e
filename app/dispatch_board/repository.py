"""What the dispatch board reads: a territory's technicians, their time off, their assignments
and the territory's unassigned work over a range, each in one statement whatever the size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy import cast, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.geo import LatLng
from app.crews.busy import involvement
from app.crews.models import CrewMember, TaskSegment
from app.dispatch_board.models import TaskPin
from app.technicians.models import (
    Technician,
    TechnicianSkill,
    TerritoryMembership,
    TimeOff,
)
from app.work_orders.models import Task, TaskSkill, TaskStatus

ON_THE_BOARD = (
    TaskStatus.SCHEDULED,
    TaskStatus.DISPATCHED,
    TaskStatus.ACCEPTED,
    TaskStatus.EN_ROUTE,
    TaskStatus.ON_SITE,
    TaskStatus.IN_PROGRESS,
    TaskStatus.ON_HOLD,
    TaskStatus.COMPLETED,
    TaskStatus.INCOMPLETE,
)
"""Assignments a Gantt row shows: planned, under way and done (cancelled work is not)."""
PINNABLE = (TaskStatus.SCHEDULED, TaskStatus.DISPATCHED, TaskStatus.ACCEPTED)


@dataclass(frozen=True, slots=True)
class CrewSeat:
    """One technician of a crew task, as the board names them."""

    technician_id: int
    name: str
    lead: bool


@dataclass(frozen=True, slots=True)
class Placed:
    """A task on a technician's row, with where it is. On a crew task's member's row `member`
    is true; `crew` is the whole crew, lead first (empty for one-technician work); `segments`
    are a multi-day task's daily parts (empty for a single visit)."""

    task: Task
    point: LatLng
    pinned: bool
    member: bool = False
    crew: tuple[CrewSeat, ...] = ()
    segments: tuple[tuple[datetime, datetime], ...] = ()

    @property
    def spans(self) -> list[tuple[datetime, datetime]]:
        """The times the task holds the technician: its segments, else its scheduled times."""
        if self.segments:
            return list(self.segments)
        start, end = self.task.scheduled_start, self.task.scheduled_end
        return [] if start is None or end is None else [(start, end)]


def _point(column: Any) -> tuple[Any, Any]:
    geometry = cast(column, Geometry)
    return func.ST_Y(geometry), func.ST_X(geometry)


def _pinned() -> Any:
    return sa.exists().where(col(TaskPin.task_id) == col(Task.id))


async def technicians(
    session: AsyncSession, territory_id: int, first_day: date, last_day: date
) -> list[Technician]:
    """Technicians who belong to the territory on some day of the range, by name."""
    members = select(TerritoryMembership.technician_id).where(
        col(TerritoryMembership.territory_id) == territory_id,
        col(TerritoryMembership.valid_from) <= last_day,
        col(TerritoryMembership.valid_to).is_(None)
        | (col(TerritoryMembership.valid_to) >= first_day),
    )
    rows = await session.scalars(
        select(Technician)
        .where(col(Technician.id).in_(members), col(Technician.archived_at).is_(None))
        .order_by(col(Technician.name), col(Technician.id))
    )
    return list(rows.all())


async def time_off(
    session: AsyncSession, ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[TimeOff]]:
    rows = await session.scalars(
        select(TimeOff)
        .where(col(TimeOff.technician_id).in_(ids))
        .where(col(TimeOff.starts_at) < end, col(TimeOff.ends_at) > start)
        .order_by(col(TimeOff.starts_at))
    )
    found: dict[int, list[TimeOff]] = defaultdict(list)
    for row in rows.all():
        found[row.technician_id].append(row)
    return found


async def assignments(
    session: AsyncSession, ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[Placed]]:
    """Each technician's tasks that meet the range, led or as a crew member, in order of
    start, with their crews and segments (three statements whatever the number)."""
    lat, lng = _point(Task.location)
    who = involvement(ids)
    rows = (
        await session.execute(
            sa.select(Task, lat, lng, _pinned(), who.c.technician_id, who.c.member)
            .join(who, who.c.task_id == col(Task.id))
            .where(col(Task.status).in_(ON_THE_BOARD))
            .where(col(Task.scheduled_start) < end, col(Task.scheduled_end) > start)
            .where(col(Task.archived_at).is_(None))
            .order_by(who.c.technician_id, col(Task.scheduled_start), col(Task.id))
        )
    ).all()
    task_ids = list({task.id for task, *_ in rows})
    crews = await _crews(session, task_ids)
    parts = await _segments(session, task_ids)
    found: dict[int, list[Placed]] = defaultdict(list)
    for task, y, x, pinned, technician_id, member in rows:
        found[technician_id].append(
            Placed(
                task,
                LatLng(float(y), float(x)),
                bool(pinned),
                member=bool(member),
                crew=crews.get(task.id, ()),
                segments=parts.get(task.id, ()),
            )
        )
    return found


async def _crews(session: AsyncSession, task_ids: Sequence[int]) -> dict[int, tuple[CrewSeat, ...]]:
    rows = await session.execute(
        sa.select(
            col(CrewMember.task_id),
            col(CrewMember.technician_id),
            col(Technician.name),
            col(CrewMember.is_lead),
        )
        .join(Technician, col(Technician.id) == col(CrewMember.technician_id))
        .where(col(CrewMember.task_id).in_(task_ids))
        .order_by(col(CrewMember.task_id), col(CrewMember.is_lead).desc(), col(Technician.name))
    )
    found: dict[int, list[CrewSeat]] = defaultdict(list)
    for task_id, technician_id, name, lead in rows.all():
        found[task_id].append(CrewSeat(technician_id, name, lead))
    return {task_id: tuple(seats) for task_id, seats in found.items()}


async def _segments(
    session: AsyncSession, task_ids: Sequence[int]
) -> dict[int, tuple[tuple[datetime, datetime], ...]]:
    rows = await session.execute(
        select(TaskSegment.task_id, TaskSegment.starts_at, TaskSegment.ends_at)
        .where(col(TaskSegment.task_id).in_(task_ids))
        .order_by(col(TaskSegment.task_id), col(TaskSegment.sequence))
    )
    found: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for task_id, starts, ends in rows.all():
        found[task_id].append((starts, ends))
    return {task_id: tuple(spans) for task_id, spans in found.items()}


async def unassigned(
    session: AsyncSession, territory_id: int, start: datetime, end: datetime, limit: int
) -> list[Task]:
    """The territory's UNSCHEDULED tasks whose times meet the range, most urgent first."""
    opens = func.coalesce(Task.window_start, Task.earliest_start, start)
    closes = func.coalesce(Task.window_end, Task.latest_start, Task.deadline, end)
    rows = await session.scalars(
        select(Task)
        .where(col(Task.territory_id) == territory_id)
        .where(col(Task.status) == TaskStatus.UNSCHEDULED, col(Task.archived_at).is_(None))
        .where(opens < end, closes > start)
        .order_by(col(Task.priority), func.coalesce(Task.resolution_due_at, closes), col(Task.id))
        .limit(limit)
    )
    return list(rows.all())


async def task_skills(session: AsyncSession, ids: Sequence[int]) -> dict[int, dict[int, int]]:
    """Skill id -> minimum level, per task."""
    rows = await session.execute(
        select(TaskSkill.task_id, TaskSkill.skill_id, TaskSkill.min_level).where(
            col(TaskSkill.task_id).in_(ids)
        )
    )
    found: dict[int, dict[int, int]] = defaultdict(dict)
    for task_id, skill_id, level in rows.all():
        found[task_id][skill_id] = level
    return found


async def technician_skills(session: AsyncSession, ids: Sequence[int]) -> dict[int, dict[int, int]]:
    """Skill id -> level, per technician."""
    rows = await session.execute(
        select(
            TechnicianSkill.technician_id, TechnicianSkill.skill_id, TechnicianSkill.level
        ).where(col(TechnicianSkill.technician_id).in_(ids))
    )
    found: dict[int, dict[int, int]] = defaultdict(dict)
    for tech_id, skill_id, level in rows.all():
        found[tech_id][skill_id] = level
    return found


async def day_of(
    session: AsyncSession, technician_id: int, start: datetime, end: datetime
) -> list[Placed]:
    """One technician's open assignments between `start` and `end`, in order."""
    return (await _open_assignments(session, [technician_id], start, end)).get(technician_id, [])


async def _open_assignments(
    session: AsyncSession, ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[Placed]]:
    placed = await assignments(session, ids, start, end)
    closed = {TaskStatus.COMPLETED, TaskStatus.INCOMPLETE}
    return {tid: [p for p in rows if p.task.status not in closed] for tid, rows in placed.items()}


async def point_of(session: AsyncSession, task_id: int) -> LatLng:
    lat, lng = _point(Task.location)
    row = (await session.execute(sa.select(lat, lng).where(col(Task.id) == task_id))).one()
    return LatLng(float(row[0]), float(row[1]))


async def pinned_ids(session: AsyncSession, task_ids: Sequence[int]) -> set[int]:
    rows = await session.scalars(select(TaskPin.task_id).where(col(TaskPin.task_id).in_(task_ids)))
    return set(rows.all())
