"""From the database to a solver `Problem`: a territory's technicians and work over a horizon.

`load_facts` reads what planning needs in a fixed number of queries (whatever the size);
`build_problem` turns those facts into the solver's plain data, minutes from the horizon start.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy import cast, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from app.attendance.service import absent_today
from app.core.errors import NotFound
from app.core.geo import LatLng
from app.core.models import utcnow
from app.crews.models import CrewMember, TaskLeadSkill, TaskSegment
from app.dispatch.part_needs import DepotFacts, needs_of, van_stock, warehouses_holding
from app.dispatch.settings import DispatchSettings, dispatch_settings
from app.dispatch.solver.problem import Current as PlanCurrent
from app.dispatch.solver.problem import Depot, Location, Pin, Problem, Technician, TravelSpec
from app.dispatch.solver.problem import Task as PlanTask
from app.dispatch_board.models import TaskPin
from app.durations.service import Use, planned_minutes
from app.technicians.models import Skill, TechnicianSkill, TerritoryMembership
from app.technicians.models import Technician as TechnicianRow
from app.technicians.service import availability
from app.territories.models import Territory
from app.work_orders.models import Task, TaskSkill, TaskStatus


async def _crew_busy(
    session: AsyncSession, ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[tuple[datetime, datetime]]]:
    """When technicians are busy as members (not leads: a lead's task is planned on their
    route) of crew tasks their lead still holds: each daily segment, or the whole visit."""
    lead = aliased(CrewMember)
    segments = (
        sa.select(col(TaskSegment.task_id), col(TaskSegment.starts_at), col(TaskSegment.ends_at))
        .union_all(
            sa.select(col(Task.id), col(Task.scheduled_start), col(Task.scheduled_end)).where(
                col(Task.crew_size) > 1,
                ~sa.exists().where(col(TaskSegment.task_id) == col(Task.id)),
            )
        )
        .subquery()
    )
    rows = await session.execute(
        sa.select(col(CrewMember.technician_id), segments.c.starts_at, segments.c.ends_at)
        .join(Task, col(Task.id) == col(CrewMember.task_id))
        .join(segments, segments.c.task_id == col(Task.id))
        .join(lead, (col(lead.task_id) == col(Task.id)) & col(lead.is_lead))
        .where(col(CrewMember.technician_id).in_(ids), ~col(CrewMember.is_lead))
        .where(col(lead.technician_id) == col(Task.technician_id))
        .where(col(Task.status).in_([*PLANNED_STATUSES, *PINNED_STATUSES]))
        .where(segments.c.starts_at < end, segments.c.ends_at > start)
    )
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for tid, a, b in rows.all():
        busy[tid].append((a, b))
    return busy


def _without(
    windows: list[tuple[datetime, datetime]], busy: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    kept = windows
    for b_start, b_end in busy:
        cut = []
        for a, b in kept:
            if b_end <= a or b <= b_start:
                cut.append((a, b))
                continue
            if a < b_start:
                cut.append((a, b_start))
            if b_end < b:
                cut.append((b_end, b))
        kept = cut
    return kept


PINNED_STATUSES = (
    TaskStatus.ACCEPTED,
    TaskStatus.EN_ROUTE,
    TaskStatus.ON_SITE,
    TaskStatus.IN_PROGRESS,
)
STARTED_STATUSES = (TaskStatus.ON_SITE, TaskStatus.IN_PROGRESS)
STARTED_SLACK_MINUTES = 5.0
"""Work under way may 'start' this late in a plan: the technician's live position is a few
metres (GPS noise) from the site, so the solver sees a short drive to it."""
PLANNED_STATUSES = (TaskStatus.SCHEDULED, TaskStatus.DISPATCHED)
"""Assigned but not yet accepted: a plan may still move these."""
PLANNABLE_STATUSES = (TaskStatus.UNSCHEDULED, *PLANNED_STATUSES, *PINNED_STATUSES)
MAX_SOLVER_PRIORITY = 6
"""Fieldgraph priority 1 is the most urgent; the solver's 5 is. solver = 6 - priority."""


@dataclass(frozen=True)
class TechnicianFacts:
    id: int
    home: LatLng
    last: LatLng | None
    last_seen_at: datetime | None
    skills: dict[str, int]
    windows: list[tuple[datetime, datetime]]
    """Working windows inside the horizon, UTC, sorted."""
    absence: str | None = None
    """Why today's windows were dropped: ABSENT (a no-show) or ON_LEAVE, from attendance."""
    stock: dict[int, int] = field(default_factory=dict)
    """Units available in the van, of the parts some task needs (part id -> units)."""


@dataclass(frozen=True)
class TaskFacts:
    id: int
    version: int
    status: TaskStatus
    priority: int
    duration: int
    point: LatLng
    technician_id: int | None
    scheduled_start: datetime | None
    scheduled_end: datetime | None
    window: tuple[datetime | None, datetime | None]
    """When service may start: the appointment window meets earliest/latest start."""
    deadline: datetime | None
    skills: dict[str, int]
    preferred: tuple[int, ...]
    excluded: tuple[int, ...]
    pinned: bool = False
    """A dispatcher pinned the assignment on the board: kept like accepted work."""
    crew_size: int = 1
    lead_skills: dict[str, int] = field(default_factory=dict)
    confirmed: bool = False
    """The customer confirmed the appointment: a re-plan moves it only when it must."""
    parts: dict[int, int] = field(default_factory=dict)
    """Units of each part the task needs (see `app.dispatch.part_needs`)."""


@dataclass(frozen=True)
class Facts:
    territory_id: int
    time_zone: str
    start: datetime
    end: datetime
    technicians: list[TechnicianFacts]
    tasks: list[TaskFacts]
    depots: list[DepotFacts] = field(default_factory=list)
    """Warehouses with units available of the parts some task needs."""


def _point(column: Any) -> tuple[Any, Any]:
    geometry = cast(column, Geometry)
    return func.ST_Y(geometry), func.ST_X(geometry)


def local_days(start: datetime, end: datetime, time_zone: str) -> list[date]:
    zone = ZoneInfo(time_zone)
    first, last = start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone)
    return [first + timedelta(days=i) for i in range((last.date() - first).days + 1)]


async def load_facts(
    session: AsyncSession,
    territory_id: int,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
) -> Facts:
    territory = await session.get(Territory, territory_id)
    if territory is None or territory.archived_at is not None:
        raise NotFound("territory", ["territoryId"])
    days = local_days(start, end, territory.time_zone)
    technicians = await _technicians(session, territory_id, days, start, end)
    technicians = await _without_absent(session, technicians, territory.time_zone, now)
    tasks = await _tasks(session, territory_id, start, end)
    technicians, tasks, depots = await _with_parts(session, technicians, tasks)
    return Facts(territory_id, territory.time_zone, start, end, technicians, tasks, depots)


async def _with_parts(
    session: AsyncSession, technicians: list[TechnicianFacts], tasks: list[TaskFacts]
) -> tuple[list[TechnicianFacts], list[TaskFacts], list[DepotFacts]]:
    """Tasks' part needs, and the vans' and warehouses' units of those parts (4 statements)."""
    needs = await needs_of(session, [t.id for t in tasks])
    if not needs:
        return technicians, tasks, []
    part_ids = {n.part_id for found in needs.values() for n in found}
    vans = await van_stock(session, [t.id for t in technicians], part_ids)
    depots = await warehouses_holding(session, part_ids)
    return (
        [replace(t, stock=vans.get(t.id, {})) for t in technicians],
        [
            replace(t, parts={n.part_id: n.quantity for n in needs[t.id]}) if t.id in needs else t
            for t in tasks
        ],
        depots,
    )


async def _technicians(
    session: AsyncSession, territory_id: int, days: Sequence[date], start: datetime, end: datetime
) -> list[TechnicianFacts]:
    lat, lng = _point(TechnicianRow.home_base)
    last_lat, last_lng = _point(TechnicianRow.last_location)
    rows = (
        await session.execute(
            sa.select(
                col(TechnicianRow.id), lat, lng, last_lat, last_lng, col(TechnicianRow.last_seen_at)
            )
            .where(
                col(TechnicianRow.id).in_(
                    select(TerritoryMembership.technician_id).where(
                        col(TerritoryMembership.territory_id) == territory_id,
                        col(TerritoryMembership.valid_from) <= days[-1],
                        col(TerritoryMembership.valid_to).is_(None)
                        | (col(TerritoryMembership.valid_to) >= days[0]),
                    )
                ),
                col(TechnicianRow.archived_at).is_(None),
            )
            .order_by(col(TechnicianRow.id))
        )
    ).all()
    ids = [row[0] for row in rows]
    skills = await _skills_of(session, ids)
    windows: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for day in days:
        for tech_id, found in (await availability(session, ids, day)).items():
            windows[tech_id] += [
                (max(a, start), min(b, end)) for a, b in found if a < end and b > start
            ]
    for tid, busy in (await _crew_busy(session, ids, start, end)).items():
        windows[tid] = _without(windows[tid], busy)
    return [
        TechnicianFacts(
            id=tid,
            home=LatLng(float(hlat), float(hlng)),
            last=None if llat is None else LatLng(float(llat), float(llng)),
            last_seen_at=seen,
            skills=skills.get(tid, {}),
            windows=sorted(set(windows[tid])),
        )
        for tid, hlat, hlng, llat, llng, seen in rows
    ]


async def _without_absent(
    session: AsyncSession,
    technicians: list[TechnicianFacts],
    time_zone: str,
    now: datetime | None,
) -> list[TechnicianFacts]:
    """Only technicians who are, or will be, on shift today: a no-show (no clock-in past the
    attendance policy's threshold) or one on leave loses today's windows (other days stay)."""
    now = now or utcnow()
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    gone = await absent_today(session, [t.id for t in technicians], today, now)
    if not gone:
        return technicians
    day_start = datetime.combine(today, time(0), zone)
    day_end = day_start + timedelta(days=1)
    return [
        replace(
            tech,
            windows=[(a, b) for a, b in tech.windows if b <= day_start or a >= day_end],
            absence=gone[tech.id].value,
        )
        if tech.id in gone
        else tech
        for tech in technicians
    ]


async def _skills_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, dict[str, int]]:
    rows = await session.execute(
        select(TechnicianSkill.technician_id, Skill.code, TechnicianSkill.level)
        .join(Skill, col(Skill.id) == col(TechnicianSkill.skill_id))
        .where(col(TechnicianSkill.technician_id).in_(ids))
    )
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for tid, code, level in rows.all():
        found[tid][code] = level
    return found


async def _tasks(
    session: AsyncSession, territory_id: int, start: datetime, end: datetime
) -> list[TaskFacts]:
    lat, lng = _point(Task.location)
    assigned_here = col(Task.scheduled_start) < end
    assigned_here &= col(Task.scheduled_end) > start
    unscheduled = col(Task.status) == TaskStatus.UNSCHEDULED
    open_window = func.coalesce(Task.window_end, Task.latest_start, end) > start
    open_window &= func.coalesce(Task.window_start, Task.earliest_start, start) < end
    pinned = sa.exists().where(col(TaskPin.task_id) == col(Task.id))
    rows = (
        await session.execute(
            sa.select(Task, lat, lng, pinned)
            .where(col(Task.territory_id) == territory_id)
            .where(col(Task.status).in_(PLANNABLE_STATUSES))
            .where(col(Task.archived_at).is_(None))
            .where((unscheduled & open_window) | (~unscheduled & assigned_here))
            .order_by(col(Task.id))
        )
    ).all()
    ids = [row[0].id for row in rows]
    skills = await _task_skills(session, ids)
    minutes = await planned_minutes(session, ids, Use.PLANNING)
    crews = [row[0].id for row in rows if row[0].crew_size > 1]
    leads = await _lead_skills(session, crews) if crews else {}
    return [
        _task_facts(task, LatLng(float(y), float(x)), skills, minutes.get(task.id), held, leads)
        for task, y, x, held in rows
    ]


async def _lead_skills(session: AsyncSession, ids: Sequence[int]) -> dict[int, dict[str, int]]:
    rows = await session.execute(
        select(TaskLeadSkill.task_id, Skill.code, TaskLeadSkill.min_level)
        .join(Skill, col(Skill.id) == col(TaskLeadSkill.skill_id))
        .where(col(TaskLeadSkill.task_id).in_(ids))
    )
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for tid, code, level in rows.all():
        found[tid][code] = level
    return found


def _task_facts(
    task: Task,
    point: LatLng,
    skills: dict[int, dict[str, int]],
    minutes: int | None = None,
    pinned: bool = False,
    lead_skills: dict[int, dict[str, int]] | None = None,
) -> TaskFacts:
    """`minutes`: what to plan the task with (the learned median when confident, see
    `app.durations`); the task's static duration when None."""
    assert task.id is not None
    opens = [t for t in (task.window_start, task.earliest_start) if t is not None]
    closes = [t for t in (task.window_end, task.latest_start) if t is not None]
    return TaskFacts(
        id=task.id,
        version=task.version,
        status=task.status,
        priority=task.priority,
        duration=minutes or task.duration_minutes,
        point=point,
        technician_id=task.technician_id,
        scheduled_start=task.scheduled_start,
        scheduled_end=task.scheduled_end,
        window=(max(opens) if opens else None, min(closes) if closes else None),
        deadline=task.deadline,
        skills=skills.get(task.id, {}),
        preferred=tuple(task.preferred_technician_ids),
        excluded=tuple(task.excluded_technician_ids),
        pinned=pinned,
        crew_size=task.crew_size,
        lead_skills=(lead_skills or {}).get(task.id, {}),
        confirmed=task.confirmed_at is not None,
    )


async def _task_skills(session: AsyncSession, ids: Sequence[int]) -> dict[int, dict[str, int]]:
    rows = await session.execute(
        select(TaskSkill.task_id, Skill.code, TaskSkill.min_level)
        .join(Skill, col(Skill.id) == col(TaskSkill.skill_id))
        .where(col(TaskSkill.task_id).in_(ids))
    )
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for tid, code, level in rows.all():
        found[tid][code] = level
    return found


# --- facts to a solver problem -------------------------------------------------------------


@dataclass(frozen=True)
class Current:
    technician_id: int
    start: datetime


@dataclass
class Built:
    """A problem and the keys to read its plan back."""

    problem: Problem
    origin: datetime
    vehicles: dict[str, int] = field(default_factory=dict)
    """Solver technician id (one per working window) -> technician id."""
    tasks: dict[str, TaskFacts] = field(default_factory=dict)
    current: dict[int, Current] = field(default_factory=dict)
    """Assignments a plan may still move (SCHEDULED, DISPATCHED), by task id."""
    pinned: set[int] = field(default_factory=set)

    def at(self, minutes: float) -> datetime:
        return self.origin + timedelta(minutes=minutes)

    def current_routes(self) -> dict[str, tuple[str, ...]]:
        """The plan in force, as the solver's start: each working window's (vehicle's)
        pinned and movable tasks in order of their current start."""
        timed: dict[str, list[tuple[float, int, str]]] = defaultdict(list)
        vehicles_of: dict[int, list[Technician]] = defaultdict(list)
        for window in self.problem.technicians:
            vehicles_of[self.vehicles[window.id]].append(window)
        for index, task in enumerate(self.problem.tasks):
            if task.pinned is not None:
                # Same order as the solver's pin chains: sequence, then problem order.
                timed[task.pinned.technician].append((task.pinned.sequence, index, task.id))
                continue
            current = self.current.get(int(task.id))
            if current is None:
                continue
            at = (current.start - self.origin).total_seconds()
            held_by = _vehicle_at(vehicles_of.get(current.technician_id, []), at / 60)
            if held_by is not None:
                timed[held_by].append((at, index, task.id))
        return {vehicle: tuple(t for *_, t in sorted(stops)) for vehicle, stops in timed.items()}


def _vehicle_at(own: list[Technician], minutes: float) -> str | None:
    """The working window holding the start (else the nearest one)."""
    if not own:
        return None
    return min(own, key=lambda v: max(v.shift[0] - minutes, minutes - v.shift[1], 0.0)).id


@dataclass(frozen=True)
class BuildOptions:
    now: datetime
    keep_minutes: int | None = None
    """Keep assignments a plan may move within this many minutes of their start (re-plans)."""


def _minutes(origin: datetime, at: datetime) -> float:
    return (at - origin).total_seconds() / 60.0


def build_problem(
    facts: Facts, options: BuildOptions, config: DispatchSettings | None = None
) -> Built:
    config = config or dispatch_settings()
    origin = facts.start
    floor = max(0.0, _minutes(origin, options.now))
    horizon = _minutes(origin, facts.end)
    built = Built(problem=Problem(TravelSpec(), (), ()), origin=origin)
    vehicles_of: dict[int, list[Technician]] = {}
    for tech in facts.technicians:
        vehicles_of[tech.id] = _vehicles(tech, origin, floor, options.now, config)
        built.vehicles.update({v.id: tech.id for v in vehicles_of[tech.id]})
    tasks: list[PlanTask] = []
    for fact in facts.tasks:
        task = _plan_task(fact, built, vehicles_of, floor, horizon, options, config)
        if task is not None:
            tasks.append(task)
            built.tasks[task.id] = fact
    travel = TravelSpec(kind="haversine", speed_kmh=config.speed_kmh, detour=config.detour)
    technicians = tuple(v for group in vehicles_of.values() for v in group)
    depots = tuple(
        Depot(
            id=str(d.id), location=Location(lat=d.point.lat, lng=d.point.lng), stock=_units(d.stock)
        )
        for d in facts.depots
    )
    built.problem = Problem(
        travel=travel, technicians=technicians, tasks=tuple(tasks), depots=depots
    )
    return built


def _units(units: dict[int, int]) -> dict[str, int]:
    return {str(part_id): count for part_id, count in units.items()}


def _vehicles(
    tech: TechnicianFacts,
    origin: datetime,
    floor: float,
    now: datetime,
    config: DispatchSettings,
) -> list[Technician]:
    home = Location(lat=tech.home.lat, lng=tech.home.lng)
    fresh = (
        tech.last is not None
        and tech.last_seen_at is not None
        and now - tech.last_seen_at <= timedelta(minutes=config.location_fresh_minutes)
    )
    vehicles = []
    for k, (a, b) in enumerate(tech.windows):
        start, end = max(_minutes(origin, a), floor), _minutes(origin, b)
        if end <= start:
            continue
        here = a <= now <= b and fresh and tech.last is not None
        begin = Location(lat=tech.last.lat, lng=tech.last.lng) if here and tech.last else home
        vehicles.append(
            Technician(
                id=f"{tech.id}#{k}",
                start=begin,
                end=home,
                shift=(start, end),
                skills=tech.skills,
                stock=_units(tech.stock),
            )
        )
    return vehicles


def _plan_task(
    fact: TaskFacts,
    built: Built,
    vehicles_of: dict[int, list[Technician]],
    floor: float,
    horizon: float,
    options: BuildOptions,
    config: DispatchSettings,
) -> PlanTask | None:
    origin = built.origin
    location = Location(lat=fact.point.lat, lng=fact.point.lng)
    own = vehicles_of.get(fact.technician_id or -1, [])
    if fact.status in PINNED_STATUSES or (fact.pinned and fact.status in PLANNED_STATUSES):
        return _pinned(fact, built, own, location, floor, config)
    opens, closes = fact.window
    low = max(floor, _minutes(origin, opens) if opens else 0.0)
    high = min(horizon, _minutes(origin, closes) if closes else horizon)
    current = None
    if fact.status in PLANNED_STATUSES and fact.technician_id and fact.scheduled_start and own:
        current = Current(fact.technician_id, fact.scheduled_start)
        built.current[fact.id] = current
        if fact.crew_size > 1:
            # An offered crew keeps its time: its members' days are planned around it.
            at = _minutes(origin, fact.scheduled_start)
            low, high = max(low, at), min(high, at)
        elif options.keep_minutes is not None:
            at = _minutes(origin, fact.scheduled_start)
            low, high = max(low, at - options.keep_minutes), min(high, at + options.keep_minutes)
    if high < low:
        if current is None:
            return None
        # Overdue and not started: its technician may still do it, as soon as they can.
        low = max(floor, _minutes(origin, fact.scheduled_start or origin))
        high = low + (options.keep_minutes or 0)
    excluded = set(fact.excluded)
    allowed = None
    if excluded:
        allowed = tuple(
            v
            for tid, group in vehicles_of.items()
            if tid not in excluded
            for v in (g.id for g in group)
        )
    # A fresh plan prefers the current technician; a re-plan costs moving work (`current`).
    replan = options.keep_minutes is not None
    preferred_ids = (current.technician_id,) if current and not replan else fact.preferred
    preferred = tuple(v.id for tid in preferred_ids for v in vehicles_of.get(tid, []))
    # A crew is planned for work still waiting; one already offered stays with its lead.
    crew = fact.crew_size if fact.status is TaskStatus.UNSCHEDULED else 1
    return PlanTask(
        id=str(fact.id),
        location=location,
        duration=float(fact.duration),
        windows=((low, high),),
        skills=fact.skills,
        priority=MAX_SOLVER_PRIORITY - fact.priority,
        technicians=allowed,
        preferred_technicians=preferred or None,
        deadline=_minutes(origin, fact.deadline) if fact.deadline else None,
        crew=crew,
        lead_skills=fact.lead_skills if crew > 1 else {},
        current=_plan_current(fact, current, own, origin) if replan else None,
        parts=_units(fact.parts),
    )


def _plan_current(
    fact: TaskFacts, current: Current | None, own: list[Technician], origin: datetime
) -> PlanCurrent | None:
    """The task's place in the plan in force: moving it costs (see solver `stability`)."""
    if current is None:
        return None
    at = _minutes(origin, current.start)
    vehicle = _vehicle_at(own, at)
    if vehicle is None:
        return None
    return PlanCurrent(technician=vehicle, start=at, committed=fact.confirmed)


def _pinned(
    fact: TaskFacts,
    built: Built,
    own: list[Technician],
    location: Location,
    floor: float,
    config: DispatchSettings,
) -> PlanTask | None:
    if not own or fact.scheduled_start is None:
        return None
    origin = built.origin
    start = _minutes(origin, fact.scheduled_start)
    duration = float(fact.duration)
    deadline = None
    if fact.status in STARTED_STATUSES:
        end = _minutes(origin, fact.scheduled_end) if fact.scheduled_end else start + duration
        duration, start = max(0.0, end - max(start, floor)), max(start, floor)
        window = (start, start + STARTED_SLACK_MINUTES)
        vehicle = _window_of(own, start)
    else:
        # Accepted work stays with its technician even when they run late: past the slack
        # it costs lateness instead of falling out of the plan.
        start = max(start, floor)
        vehicle = _window_of(own, start)
        window = (start, max(start, vehicle.shift[1] - duration))
        deadline = start + config.pin_slack_minutes + duration
    built.pinned.add(fact.id)
    return PlanTask(
        id=str(fact.id),
        location=location,
        duration=duration,
        windows=(window,),
        skills={},
        priority=5,
        pinned=Pin(technician=vehicle.id, sequence=_pin_sequence(fact, origin)),
        deadline=deadline,
    )


def _window_of(own: list[Technician], start: float) -> Technician:
    return next((v for v in own if v.shift[0] <= start <= v.shift[1]), own[0])


STARTED_FIRST = 10**9
"""Seconds subtracted from work under way's sequence: it comes before anything accepted."""


def _pin_sequence(fact: TaskFacts, origin: datetime) -> int:
    """Seconds from the horizon's start to the scheduled start, not clamped to now (overdue
    accepted work keeps its order), work under way first."""
    assert fact.scheduled_start is not None
    seconds = int((fact.scheduled_start - origin).total_seconds())
    return seconds - STARTED_FIRST if fact.status in STARTED_STATUSES else seconds


def task_ids(items: Iterable[str]) -> list[int]:
    return [int(item) for item in items]
