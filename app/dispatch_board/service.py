"""The dispatch board: a territory's technicians over a few days as a Gantt chart reads them
(shifts, breaks, time off, assignments, the drives between them, idle time) and the work still
waiting; dragging an assignment to another technician or time, and pinning assignments so
the optimizer keeps them.

A move goes through the manual assignment path (`app.work_orders.offers.assign_task` and its
feasibility warnings); the board adds what the move does to the rest of that technician's day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.attendance.service import DaySheet, attendance_for_days
from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, FieldProblem, NotFound
from app.core.events import queue_event
from app.core.geo import LatLng, to_lat_lng
from app.core.models import utcnow
from app.dispatch.problem_builder import local_days
from app.dispatch.settings import dispatch_settings
from app.dispatch.solver.problem import Location
from app.dispatch.solver.travel import HaversineTravel, TravelProvider
from app.dispatch_board import channels, repository
from app.dispatch_board.hooks import keep_pin
from app.dispatch_board.models import TaskPin
from app.dispatch_board.repository import PINNABLE, Placed
from app.technicians.models import Technician, TechnicianStatus
from app.technicians.service import availability
from app.territories.models import Territory
from app.work_orders import offers
from app.work_orders import repository as tasks
from app.work_orders.assignment import Warning, warnings_for
from app.work_orders.channels import territory_channel
from app.work_orders.models import Task
from app.work_orders.transitions import Action, Actor, Change, check_allowed

READERS = (Role.ADMIN, Role.DISPATCHER, Role.MANAGER)
"""Who reads the board; moves and pins are for those who may assign (admins, dispatchers)."""
LONGEST_RANGE = timedelta(days=7)
DEFAULT_RANGE = timedelta(days=1)
MOST_UNASSIGNED = 500
"""The board lists at most this many waiting tasks, most urgent first."""
MOST_PINS = 100
SHORTEST_IDLE = timedelta(minutes=1)
KNOCK_ON_SPAN = timedelta(hours=16)
"""A move reaches the technician's assignments that start this long after it (their day)."""

Window = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class TravelLeg:
    from_task_id: int
    to_task_id: int
    depart: datetime
    arrive: datetime
    minutes: float
    distance_km: float
    slack_minutes: float
    """Minutes between arriving and the next start; negative when the drive does not fit."""

    @property
    def fits(self) -> bool:
        return self.slack_minutes >= 0


@dataclass(frozen=True, slots=True)
class TimeOffSpan:
    start: datetime
    end: datetime
    reason: str | None


@dataclass
class BoardRow:
    technician: Technician
    shifts: list[Window] = field(default_factory=list)
    breaks: list[Window] = field(default_factory=list)
    time_off: list[TimeOffSpan] = field(default_factory=list)
    assignments: list[Placed] = field(default_factory=list)
    travel: list[TravelLeg] = field(default_factory=list)
    idle: list[Window] = field(default_factory=list)
    attendance: list[DaySheet] = field(default_factory=list)
    """The technician's attendance on each local day of the range (clock-in and out, breaks,
    late or absent)."""


@dataclass(frozen=True, slots=True)
class Waiting:
    task: Task
    candidates: int
    """Technicians on the board with the skills and a shift that fits the task's times."""


@dataclass(frozen=True)
class Board:
    territory: Territory
    start: datetime
    end: datetime
    rows: list[BoardRow]
    unassigned: list[Waiting]


@dataclass(frozen=True, slots=True)
class KnockOn:
    task: Task
    new_start: datetime
    new_end: datetime
    shift_minutes: int
    late: bool
    """The new times break the task's window, latest start or deadline."""


@dataclass(frozen=True)
class Move:
    task: Task
    technician_id: int
    start: datetime
    end: datetime
    warnings: list[Warning]
    knock_on: list[KnockOn]
    applied: bool


def travel_provider() -> TravelProvider:
    """The travel model manual dispatch checks with: haversine, the configured detour/speed."""
    config = dispatch_settings()
    return HaversineTravel(speed_kmh=config.speed_kmh, detour=config.detour)


def check_range(start: datetime, end: datetime) -> None:
    if end <= start:
        raise DomainError("to must be after from", ErrorCode.INVALID, ["to"])
    if end - start > LONGEST_RANGE:
        raise DomainError("the board shows at most 7 days at a time", ErrorCode.INVALID, ["to"])


# --- the board ----------------------------------------------------------------------------


async def board(session: AsyncSession, territory_id: int, start: datetime, end: datetime) -> Board:
    """The territory's board from `start` to `end` (at most 7 days) in a fixed number of
    statements, whatever the number of technicians and tasks."""
    check_range(start, end)
    territory = await session.get(Territory, territory_id)
    if territory is None or territory.archived_at is not None:
        raise NotFound("territory", ["territoryId"])
    days = local_days(start, end, territory.time_zone)
    people = await repository.technicians(session, territory_id, days[0], days[-1])
    ids = [t.id for t in people if t.id is not None]
    windows = await _windows(session, ids, days, start, end)
    off = await repository.time_off(session, ids, start, end)
    placed = await repository.assignments(session, ids, start, end)
    sheets = await attendance_for_days(session, ids, days)
    waiting = await repository.unassigned(session, territory_id, start, end, MOST_UNASSIGNED)
    needs = await repository.task_skills(session, [t.id for t in waiting if t.id is not None])
    held = await repository.technician_skills(session, ids)
    zone = ZoneInfo(territory.time_zone)
    travel = travel_provider()
    rows = [
        _row(tech, windows[tid], off.get(tid, []), placed.get(tid, []), zone, travel)
        for tech in people
        if (tid := tech.id) is not None
    ]
    for row in rows:
        row.attendance = sheets.get(row.technician.id or 0, [])
    candidates = Candidates(held, windows)
    unassigned = [
        Waiting(task, candidates.count(task, needs.get(task.id or 0, {}), start, end))
        for task in waiting
    ]
    return Board(territory, start, end, rows, unassigned)


async def _windows(
    session: AsyncSession, ids: list[int], days: list[date], start: datetime, end: datetime
) -> dict[int, list[Window]]:
    found: dict[int, list[Window]] = {tid: [] for tid in ids}
    for day in days:
        for tid, shifts in (await availability(session, ids, day)).items():
            found[tid] += [(max(a, start), min(b, end)) for a, b in shifts if a < end and b > start]
    return {tid: sorted(set(shifts)) for tid, shifts in found.items()}


def _row(
    technician: Technician,
    shifts: list[Window],
    off: list[Any],
    placed: list[Placed],
    zone: ZoneInfo,
    travel: TravelProvider,
) -> BoardRow:
    spans = [TimeOffSpan(o.starts_at, o.ends_at, o.reason) for o in off]
    legs = _legs(placed, travel)
    busy = [span for p in placed for span in p.spans]  # a crew member's too, by segment
    busy += [(leg.depart, leg.arrive) for leg in legs]
    idle = _subtract(shifts, busy)
    return BoardRow(
        technician=technician,
        shifts=shifts,
        breaks=_breaks(shifts, [(s.start, s.end) for s in spans], zone),
        time_off=spans,
        assignments=placed,
        travel=legs,
        idle=[(a, b) for a, b in idle if b - a >= SHORTEST_IDLE],
    )


def _legs(placed: list[Placed], travel: TravelProvider) -> list[TravelLeg]:
    """The drive between each pair of consecutive assignments, from the travel model."""
    if len(placed) < 2:
        return []
    here = [Location(lat=p.point.lat, lng=p.point.lng) for p in placed]
    table = travel.table(here[:-1], here[1:])
    legs = []
    for k, (before, after) in enumerate(pairwise(placed)):
        depart, begins = before.task.scheduled_end, after.task.scheduled_start
        assert depart is not None and begins is not None and before.task.id and after.task.id
        minutes = float(table.durations[k, k])
        arrive = depart + timedelta(minutes=minutes)
        legs.append(
            TravelLeg(
                from_task_id=before.task.id,
                to_task_id=after.task.id,
                depart=depart,
                arrive=arrive,
                minutes=round(minutes, 1),
                distance_km=round(float(table.distances[k, k]), 2),
                slack_minutes=round((begins - arrive).total_seconds() / 60, 1),
            )
        )
    return legs


def _subtract(windows: Sequence[Window], cuts: Sequence[Window]) -> list[Window]:
    kept = list(windows)
    for cut_start, cut_end in cuts:
        pieces: list[Window] = []
        for a, b in kept:
            if cut_end <= a or cut_start >= b:
                pieces.append((a, b))
                continue
            if a < cut_start:
                pieces.append((a, cut_start))
            if cut_end < b:
                pieces.append((cut_end, b))
        kept = pieces
    return kept


def _breaks(shifts: list[Window], off: list[Window], zone: ZoneInfo) -> list[Window]:
    """Gaps between two shifts of the same local day that time off does not explain."""
    gaps = [
        (a_end, b_start)
        for (_, a_end), (b_start, _) in pairwise(shifts)
        if b_start > a_end and a_end.astimezone(zone).date() == b_start.astimezone(zone).date()
    ]
    return _subtract(gaps, off)


class Candidates:
    """Counts, for waiting tasks, the technicians who hold the task's skills and have a
    shift in which it fits its times, in one pass over every shift (numpy)."""

    def __init__(self, held: dict[int, dict[int, int]], windows: dict[int, list[Window]]) -> None:
        self.ids = list(windows)
        self.row = {tid: k for k, tid in enumerate(self.ids)}
        skills = sorted({s for levels in held.values() for s in levels})
        self.column = {skill: k for k, skill in enumerate(skills)}
        self.levels = np.zeros((len(self.ids), len(skills)), dtype=np.int16)
        for tid, levels in held.items():
            for skill, level in levels.items():
                if tid in self.row:
                    self.levels[self.row[tid], self.column[skill]] = level
        owners = [k for k, tid in enumerate(self.ids) for _ in windows[tid]]
        spans = [w for tid in self.ids for w in windows[tid]]
        self.owner = np.array(owners, dtype=np.int64)
        self.opens = np.array([a.timestamp() for a, _ in spans], dtype=np.float64)
        self.closes = np.array([b.timestamp() for _, b in spans], dtype=np.float64)

    def count(self, task: Task, needs: dict[int, int], start: datetime, end: datetime) -> int:
        qualified = np.ones(len(self.ids), dtype=bool)
        for skill, level in needs.items():
            if skill not in self.column:
                return 0
            qualified &= self.levels[:, self.column[skill]] >= level
        for tid in task.excluded_technician_ids:
            if tid in self.row:
                qualified[self.row[tid]] = False
        if not qualified.any() or not len(self.owner):
            return 0
        opens = max([t for t in (task.window_start, task.earliest_start) if t] or [start])
        closes = min([t for t in (task.window_end, task.latest_start) if t] or [end])
        duration = task.duration_minutes * 60.0
        earliest = np.maximum(self.opens, opens.timestamp())
        latest = np.minimum(self.closes - duration, closes.timestamp())
        fits = (earliest <= latest) & qualified[self.owner]
        return len(np.unique(self.owner[fits]))


# --- moving an assignment -----------------------------------------------------------------


async def move(
    session: AsyncSession,
    principal: Principal,
    task_id: int,
    technician_id: int,
    start: datetime,
    *,
    expected_version: int | None = None,
    reason: str | None = None,
    dry_run: bool = False,
) -> Move:
    """Move (or first place) a task on a technician's row at `start`, through manual
    assignment: its warnings refuse the move unless a reason is given. A dry run checks the
    same (status, version, warnings) and writes nothing. Either way the result says which of
    the technician's later assignments the move pushes back, by how much, and which of them
    that makes late."""
    if dry_run:
        task = await tasks.get_readable(session, principal, task_id)
        if task is None:
            raise NotFound("task", ["taskId"])
        change = Change(Action.ASSIGN, Actor.of(principal), reason, None, expected_version)
        check_allowed(task, change)
        technician = await _technician(session, technician_id)
        end = start + timedelta(minutes=task.duration_minutes)
        warnings = await warnings_for(session, task, technician, start, end)
    else:
        with keep_pin(session.sync_session, task_id):  # a pinned task moves with its pin
            task, warnings = await offers.assign_task(
                session,
                principal,
                task_id,
                technician_id,
                start,
                reason=reason,
                expected_version=expected_version,
            )
            await session.flush()
        end = start + timedelta(minutes=task.duration_minutes)
    point = to_lat_lng(task.location) or await repository.point_of(session, task_id)
    effects = await knock_on(session, task_id, technician_id, point, start, end)
    return Move(task, technician_id, start, end, warnings, effects, applied=not dry_run)


async def _technician(session: AsyncSession, technician_id: int) -> Technician:
    technician = await session.get(Technician, technician_id)
    if technician is None or technician.archived_at is not None:
        raise NotFound("technician", ["technicianId"])
    if technician.status is not TechnicianStatus.ACTIVE:
        raise DomainError(
            f"the technician is {technician.status}", ErrorCode.INVALID, ["technicianId"]
        )
    return technician


async def knock_on(
    session: AsyncSession,
    task_id: int,
    technician_id: int,
    point: LatLng,
    start: datetime,
    end: datetime,
) -> list[KnockOn]:
    """The technician's later assignments that a task from `start` to `end` at `point` pushes
    back: each starts once the one before has ended and the drive (travel model) is done."""
    day = await repository.day_of(session, technician_id, start, start + KNOCK_ON_SPAN)
    later = [
        p
        for p in day
        if p.task.id != task_id and p.task.scheduled_start and p.task.scheduled_start >= start
    ]
    travel = travel_provider()
    cursor, here, effects = end, point, []
    for placed in later:
        task = placed.task
        assert task.scheduled_start is not None and task.scheduled_end is not None
        drive = travel.table([_location(here)], [_location(placed.point)]).durations[0, 0]
        arrive = cursor + timedelta(minutes=float(drive))
        if arrive <= task.scheduled_start:
            break  # the rest of the day is as it was
        new_end = arrive + (task.scheduled_end - task.scheduled_start)
        effects.append(
            KnockOn(
                task=task,
                new_start=arrive,
                new_end=new_end,
                shift_minutes=_ceil_minutes(arrive - task.scheduled_start),
                late=_late(task, arrive, new_end),
            )
        )
        cursor, here = new_end, placed.point
    return effects


def _location(point: LatLng) -> Location:
    return Location(lat=point.lat, lng=point.lng)


def _ceil_minutes(delta: timedelta) -> int:
    return int(-(-delta.total_seconds() // 60))


def _late(task: Task, start: datetime, end: datetime) -> bool:
    return bool(
        (task.window_end and start > task.window_end)
        or (task.latest_start and start > task.latest_start)
        or (task.deadline and end > task.deadline)
    )


# --- pins ---------------------------------------------------------------------------------


async def pin(
    session: AsyncSession,
    principal: Principal,
    task_ids: Sequence[int],
    pinned: bool,
    expected_versions: Mapping[int, int] | None = None,
) -> list[tuple[Task, bool]]:
    """Pin (or unpin) assignments for the optimizer, all or none. Only an assigned task
    (SCHEDULED, DISPATCHED or ACCEPTED, with a technician and a start) may be pinned; unpinning
    anything is allowed. Repeating either is harmless. A task whose version is not the one
    expected for it (the board showed an older assignment) refuses the whole call
    (STALE_VERSION)."""
    ids = list(dict.fromkeys(task_ids))
    if not 1 <= len(ids) <= MOST_PINS:
        raise DomainError(f"give 1 to {MOST_PINS} tasks", ErrorCode.INVALID, ["taskIds"])
    expected = dict(expected_versions or {})
    if set(expected) - set(ids):
        raise DomainError(
            "an expected version names a task not in taskIds",
            ErrorCode.INVALID,
            ["expectedVersions"],
        )
    rows = await session.scalars(
        tasks.readable(principal).where(col(Task.id).in_(ids)).with_for_update(of=Task)
    )
    found = {t.id: t for t in rows.all()}
    problems = [
        FieldProblem("task not found", ErrorCode.NOT_FOUND, ["taskIds", str(k)])
        for k, tid in enumerate(ids)
        if tid not in found
    ]
    problems += [
        FieldProblem(
            f"task {tid} is at version {found[tid].version}, not {expected[tid]}",
            ErrorCode.STALE_VERSION,
            ["taskIds", str(k)],
        )
        for k, tid in enumerate(ids)
        if tid in found and tid in expected and found[tid].version != expected[tid]
    ]
    if pinned:
        problems += [
            FieldProblem(
                f"task {tid} is {found[tid].status}, not an assignment to pin",
                ErrorCode.INVALID,
                ["taskIds", str(k)],
            )
            for k, tid in enumerate(ids)
            if tid in found and not _pinnable(found[tid])
        ]
    if problems:
        raise DomainError(problems[0].message, problems=problems)
    if pinned:
        await session.execute(
            insert(TaskPin)
            .values(
                [{"task_id": t, "pinned_by": principal.subject, "pinned_at": utcnow()} for t in ids]
            )
            .on_conflict_do_nothing(index_elements=["task_id"])
        )
    else:
        await session.execute(sa.delete(TaskPin).where(col(TaskPin.task_id).in_(ids)))
    for tid in ids:
        _queue_change(session, principal, found[tid], "PIN" if pinned else "UNPIN")
    return [(found[tid], pinned) for tid in ids]


def _pinnable(task: Task) -> bool:
    return (
        task.status in PINNABLE
        and task.technician_id is not None
        and task.scheduled_start is not None
    )


def _queue_change(session: AsyncSession, principal: Principal, task: Task, action: str) -> None:
    if task.territory_id is None:
        return
    queue_event(
        session,
        territory_channel(task.territory_id),
        channels.BOARD_CHANGED,
        {
            "task_id": task.id,
            "action": action,
            "technician_id": task.technician_id,
            "territory_id": task.territory_id,
            "at": utcnow().isoformat(),
            "actor_role": principal.role.value,
            "actor_name": principal.name,
            "version": task.version,
        },
    )


async def is_pinned(session: AsyncSession, task_ids: Sequence[int]) -> set[int]:
    return await repository.pinned_ids(session, task_ids)
