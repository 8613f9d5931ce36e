"""Appointment slots: which windows can really take a new visit, and holds on them.

A slot is offered when some skilled technician can take the visit by a feasible insertion into
their current day: between two consecutive stops (or the shift's start and end), arriving in
the slot, without pushing any later stop past its latest start (its window, and no more than
the pin slack after the time already given to the customer) or the return past the shift's end
(a backward pass gives every stop's latest start). Route timelines are cached per
territory-day in this process, dropped on task events and after a short TTL; holds are always
read fresh. Taking a hold runs under the territory's slot lock, so two customers cannot take
the last capacity.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy import cast
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, Forbidden, NotFound
from app.core.geo import LatLng, point_value
from app.core.models import utcnow
from app.dispatch.models import HoldStatus, SlotHold
from app.dispatch.problem_builder import TechnicianFacts, load_facts, local_days
from app.dispatch.settings import DispatchSettings, dispatch_settings
from app.dispatch.solver.problem import Location
from app.dispatch.solver.travel import HaversineTravel
from app.durations.service import Use, planned_minutes
from app.technicians.models import Skill
from app.territories.models import Territory
from app.work_orders.models import Task, TaskSkill, TaskStatus

SLOT_LOCK_NAMESPACE = 0x534C4F54
"""First key of the per-territory slot-hold advisory lock ("SLOT")."""
DEFAULT_SLOT_MINUTES = 120
MAX_SLOTS = 400
BUSY = (
    TaskStatus.SCHEDULED,
    TaskStatus.DISPATCHED,
    TaskStatus.ACCEPTED,
    TaskStatus.EN_ROUTE,
    TaskStatus.ON_SITE,
    TaskStatus.IN_PROGRESS,
)


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    technician_count: int


@dataclass(frozen=True)
class SlotRequest:
    point: LatLng
    duration_minutes: int
    skills: tuple[str, ...]
    start: datetime
    end: datetime
    slot_minutes: int = DEFAULT_SLOT_MINUTES
    task_id: int | None = None
    """The task the slot is for, when it exists: its learned 80th percentile (when confident)
    replaces `duration_minutes`, so the promised window holds for four visits in five."""


@dataclass
class Visit:
    """A stop of a technician's day, in epoch minutes."""

    point: LatLng
    start: float
    end: float
    latest: float
    """The latest its service may start (its own window; later stops may tighten it)."""


@dataclass
class Line:
    """One working window of one technician, with its stops in time order."""

    technician_id: int
    skills: dict[str, int]
    begin: float
    finish: float
    start_point: LatLng
    home: LatLng
    visits: list[Visit] = field(default_factory=list)
    latest: list[float] = field(default_factory=list)
    """Backward pass: the latest start of each visit that keeps every later one feasible."""


def _epoch_minutes(at: datetime) -> float:
    return at.timestamp() / 60.0


def _from_minutes(minutes: float) -> datetime:
    return datetime.fromtimestamp(minutes * 60.0, tz=utcnow().tzinfo)


# --- timelines -----------------------------------------------------------------------------


@dataclass
class Timeline:
    built_at: float
    lines: list[Line]


_cache: dict[tuple[int, date], Timeline] = {}


def invalidate(territory_id: int | None = None) -> None:
    """Drop cached timelines (of one territory, or all); task listeners call this."""
    for key in [k for k in _cache if territory_id is None or k[0] == territory_id]:
        _cache.pop(key, None)


async def timeline(
    session: AsyncSession,
    territory_id: int,
    time_zone: str,
    day: date,
    *,
    fresh: bool = False,
    config: DispatchSettings | None = None,
) -> Timeline:
    config = config or dispatch_settings()
    key = (territory_id, day)
    cached = _cache.get(key)
    if not fresh and cached and time.monotonic() - cached.built_at < config.timeline_ttl_seconds:
        return cached
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, datetime.min.time(), zone)
    end = start + timedelta(days=1)
    facts = await load_facts(session, territory_id, start, end)
    lines = [line for tech in facts.technicians for line in _lines(tech, utcnow(), config)]
    await _fill_visits(session, lines, start, end, config)
    built = Timeline(time.monotonic(), lines)
    _cache[key] = built
    return built


def _lines(tech: TechnicianFacts, now: datetime, config: DispatchSettings) -> list[Line]:
    fresh = (
        tech.last is not None
        and tech.last_seen_at is not None
        and now - tech.last_seen_at <= timedelta(minutes=config.location_fresh_minutes)
    )
    return [
        Line(
            technician_id=tech.id,
            skills=tech.skills,
            begin=_epoch_minutes(a),
            finish=_epoch_minutes(b),
            start_point=tech.last if fresh and tech.last and a <= now <= b else tech.home,
            home=tech.home,
        )
        for a, b in tech.windows
    ]


async def _fill_visits(
    session: AsyncSession,
    lines: list[Line],
    start: datetime,
    end: datetime,
    config: DispatchSettings,
) -> None:
    ids = sorted({line.technician_id for line in lines})
    geometry = cast(Task.location, Geometry)
    rows = await session.execute(
        sa.select(
            col(Task.technician_id),
            func.ST_Y(geometry),
            func.ST_X(geometry),
            col(Task.scheduled_start),
            col(Task.scheduled_end),
            col(Task.window_end),
            col(Task.latest_start),
        ).where(
            col(Task.technician_id).in_(ids),
            col(Task.status).in_(BUSY),
            col(Task.scheduled_start) < end,
            col(Task.scheduled_end) > start,
        )
    )
    slack = config.pin_slack_minutes
    by_technician: dict[int, list[Visit]] = defaultdict(list)
    for tid, lat, lng, s, e, window_end, latest_start in rows.all():
        closes = [_epoch_minutes(t) for t in (window_end, latest_start) if t is not None]
        begin = _epoch_minutes(s)
        latest = min([*closes, begin + slack])
        by_technician[tid].append(
            Visit(LatLng(float(lat), float(lng)), begin, _epoch_minutes(e), max(begin, latest))
        )
    for line in lines:
        line.visits = sorted(
            (v for v in by_technician[line.technician_id] if line.begin <= v.start < line.finish),
            key=lambda v: v.start,
        )


def _travel(config: DispatchSettings) -> HaversineTravel:
    return HaversineTravel(speed_kmh=config.speed_kmh, detour=config.detour)


def _minutes_between(
    travel: HaversineTravel, a: Sequence[LatLng], b: Sequence[LatLng]
) -> np.ndarray:
    origins = [Location(lat=p.lat, lng=p.lng) for p in a]
    targets = [Location(lat=p.lat, lng=p.lng) for p in b]
    return travel.table(origins, targets).durations


def _with_holds(
    lines: list[Line], holds: Sequence[SlotHold], duration_of: dict[int, LatLng]
) -> list[Line]:
    """Copies of the lines with each active hold as a visit at its planned start."""
    extra: dict[int, list[Visit]] = defaultdict(list)
    for hold in holds:
        assert hold.id is not None
        begin = _epoch_minutes(hold.planned_start)
        extra[hold.technician_id].append(
            Visit(
                duration_of[hold.id],
                begin,
                begin + hold.duration_minutes,
                max(begin, _epoch_minutes(hold.slot_end)),
            )
        )
    result = []
    for line in lines:
        added = [
            v for v in extra.get(line.technician_id, []) if line.begin <= v.start < line.finish
        ]
        visits = sorted(line.visits + added, key=lambda v: v.start) if added else line.visits
        result.append(
            Line(
                line.technician_id,
                line.skills,
                line.begin,
                line.finish,
                line.start_point,
                line.home,
                visits,
            )
        )
    return result


def _backward(line: Line, travel: HaversineTravel) -> None:
    points = [v.point for v in line.visits]
    if not points:
        line.latest = []
        return
    legs = _minutes_between(travel, points, [*points[1:], line.home])
    latest = [0.0] * len(points)
    bound = line.finish
    for i in range(len(points) - 1, -1, -1):
        visit = line.visits[i]
        duration = visit.end - visit.start
        latest[i] = min(visit.latest, bound - float(legs[i, i]) - duration)
        bound = latest[i]
    line.latest = latest


@dataclass(frozen=True)
class Insertion:
    technician_id: int
    start: float
    extra_minutes: float


def _insert(
    line: Line,
    to_new: np.ndarray,
    from_new: np.ndarray,
    legs: list[float],
    duration: float,
    low: float,
    high: float,
) -> Insertion | None:
    """The cheapest feasible place in the line for a visit starting within [low, high].

    `to_new[k]` is travel from stop k to the visit (k = 0: the line's start point, k = i + 1:
    visit i); `from_new[k]` from the visit to visit k (k = len: home); `legs[k]` the current
    travel from stop k to stop k + 1 (same numbering)."""
    best: Insertion | None = None
    count = len(line.visits)
    for gap in range(count + 1):
        depart = line.begin if gap == 0 else line.visits[gap - 1].end
        begin = max(depart + float(to_new[gap]), low)
        if begin > high:
            continue
        finish = begin + duration
        if gap < count:
            if finish + float(from_new[gap]) > line.latest[gap]:
                continue
        elif finish + float(from_new[count]) > line.finish:
            continue
        extra = float(to_new[gap]) + float(from_new[gap]) - legs[gap]
        if best is None or extra < best.extra_minutes:
            best = Insertion(line.technician_id, begin, extra)
    return best


class Evaluator:
    """Travel from and to one new visit's point, computed once for every line of the day."""

    def __init__(self, lines: list[Line], point: LatLng, config: DispatchSettings) -> None:
        travel = _travel(config)
        self.lines = lines
        self.rows: list[tuple[np.ndarray, np.ndarray, list[float]]] = []
        for line in lines:
            _backward(line, travel)
            stops = [line.start_point, *(v.point for v in line.visits)]
            targets = [*(v.point for v in line.visits), line.home]
            to_new = _minutes_between(travel, stops, [point])[:, 0]
            from_new = _minutes_between(travel, [point], targets)[0]
            legs = np.diag(_minutes_between(travel, stops, targets)).tolist()
            self.rows.append((to_new, from_new, legs))

    def insertions(
        self, skills: dict[str, int], duration: float, low: float, high: float
    ) -> list[Insertion]:
        found = []
        for line, (to_new, from_new, legs) in zip(self.lines, self.rows, strict=True):
            if line.finish <= low or line.begin >= high + duration:
                continue
            if any(line.skills.get(code, 0) < level for code, level in skills.items()):
                continue
            place = _insert(line, to_new, from_new, legs, duration, max(low, line.begin), high)
            if place is not None:
                found.append(place)
        return found


# --- queries -------------------------------------------------------------------------------


async def territory_of_point(session: AsyncSession, point: LatLng) -> Territory | None:
    """The territory whose area holds the point (the smallest when areas overlap)."""
    where = sa.func.ST_SetSRID(sa.func.ST_MakePoint(point.lng, point.lat), 4326)
    return await session.scalar(
        select(Territory)
        .where(func.ST_Covers(Territory.area, where), col(Territory.archived_at).is_(None))
        .order_by(func.ST_Area(Territory.area))
        .limit(1)
    )


async def _check_skills(session: AsyncSession, codes: Sequence[str]) -> dict[str, int]:
    known = set((await session.scalars(select(Skill.code).where(col(Skill.code).in_(codes)))).all())
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise DomainError(f"unknown skill {unknown[0]}", ErrorCode.INVALID, ["skills"])
    return dict.fromkeys(codes, 1)


def _check_request(request: SlotRequest) -> None:
    if request.end <= request.start:
        raise DomainError("to must be after from", ErrorCode.INVALID, ["to"])
    if not 5 <= request.duration_minutes <= 24 * 60:
        raise DomainError(
            "duration must be 5..1440 minutes", ErrorCode.INVALID, ["durationMinutes"]
        )
    if not 15 <= request.slot_minutes <= 24 * 60:
        raise DomainError("slots must be 15..1440 minutes", ErrorCode.INVALID, ["slotMinutes"])
    minutes = (request.end - request.start).total_seconds() / 60
    if minutes / request.slot_minutes > MAX_SLOTS:
        raise DomainError(f"at most {MAX_SLOTS} slots per query", ErrorCode.INVALID, ["to"])


async def _active_holds(
    session: AsyncSession, territory_id: int, start: datetime, end: datetime, now: datetime
) -> tuple[list[SlotHold], dict[int, LatLng]]:
    geometry = cast(SlotHold.point, Geometry)
    rows = (
        await session.execute(
            select(SlotHold, func.ST_Y(geometry), func.ST_X(geometry)).where(
                col(SlotHold.territory_id) == territory_id,
                col(SlotHold.status) == HoldStatus.ACTIVE,
                col(SlotHold.expires_at) > now,
                col(SlotHold.slot_start) < end + timedelta(days=1),
                col(SlotHold.slot_end) > start - timedelta(days=1),
            )
        )
    ).all()
    return [r[0] for r in rows], {r[0].id: LatLng(float(r[1]), float(r[2])) for r in rows}


async def _day_lines(
    session: AsyncSession,
    territory: Territory,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    fresh: bool,
) -> list[Line]:
    assert territory.id is not None
    lines: list[Line] = []
    for day in local_days(start, end, territory.time_zone):
        lines += (
            await timeline(session, territory.id, territory.time_zone, day, fresh=fresh)
        ).lines
    holds, points = await _active_holds(session, territory.id, start, end, now)
    return _with_holds(lines, holds, points)


async def promised_minutes(session: AsyncSession, request: SlotRequest) -> int:
    """The minutes a slot must fit: the task's promised duration (the learned 80th percentile
    when confident, its static duration otherwise) when the request names a task, else the
    requested minutes."""
    if request.task_id is None:
        return request.duration_minutes
    found = await planned_minutes(session, [request.task_id], Use.PROMISE)
    if request.task_id not in found:
        raise NotFound(f"task {request.task_id}", ["taskId"])
    return found[request.task_id]


async def available_slots(
    session: AsyncSession, request: SlotRequest, *, now: datetime | None = None
) -> list[Slot]:
    _check_request(request)
    skills = await _check_skills(session, request.skills)
    territory = await territory_of_point(session, request.point)
    if territory is None:
        return []
    duration = await promised_minutes(session, request)
    now = now or utcnow()
    lines = await _day_lines(session, territory, request.start, request.end, now, fresh=False)
    evaluator = Evaluator(lines, request.point, dispatch_settings())
    slots = []
    step = timedelta(minutes=request.slot_minutes)
    begin = request.start
    while begin + step <= request.end:
        low, high = _epoch_minutes(max(begin, now)), _epoch_minutes(begin + step)
        if low < high:
            found = evaluator.insertions(skills, duration, low, high)
            technicians = len({f.technician_id for f in found})
            if technicians:
                slots.append(Slot(begin, begin + step, technicians))
        begin += step
    return slots


# --- holds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldRequest:
    point: LatLng
    duration_minutes: int
    skills: tuple[str, ...]
    start: datetime
    end: datetime
    customer_id: int | None = None
    site_id: int | None = None


def _check_hold_access(principal: Principal, request: HoldRequest) -> int | None:
    if principal.role is Role.CUSTOMER:
        if principal.customer_id is None or request.customer_id not in (
            None,
            principal.customer_id,
        ):
            raise Forbidden("a customer may hold slots only for themselves", ["customerId"])
        return principal.customer_id
    return request.customer_id


async def hold_slot(
    session: AsyncSession,
    principal: Principal,
    request: HoldRequest,
    *,
    now: datetime | None = None,
) -> SlotHold:
    """Reserve capacity for the visit in [start, end] on the technician whose day it fits
    most cheaply; SLOT_TAKEN when no day can take it any more."""
    customer_id = _check_hold_access(principal, request)
    minutes = int((request.end - request.start).total_seconds() // 60)
    _check_request(
        SlotRequest(
            request.point,
            request.duration_minutes,
            request.skills,
            request.start,
            request.end,
            max(minutes, 15),
        )
    )
    skills = await _check_skills(session, request.skills)
    territory = await territory_of_point(session, request.point)
    if territory is None or territory.id is None:
        raise DomainError("no territory serves this place", ErrorCode.INVALID, ["point"])
    now = now or utcnow()
    await session.execute(select(func.pg_advisory_xact_lock(SLOT_LOCK_NAMESPACE, territory.id)))
    lines = await _day_lines(session, territory, request.start, request.end, now, fresh=True)
    evaluator = Evaluator(lines, request.point, dispatch_settings())
    low = _epoch_minutes(max(request.start, now))
    found = evaluator.insertions(skills, request.duration_minutes, low, _epoch_minutes(request.end))
    if not found:
        raise DomainError("this slot is no longer available", ErrorCode.SLOT_TAKEN, ["start"])
    best = min(found, key=lambda f: (f.extra_minutes, f.start))
    hold = SlotHold(
        territory_id=territory.id,
        technician_id=best.technician_id,
        customer_id=customer_id,
        site_id=request.site_id,
        point=point_value(request.point.lat, request.point.lng),
        duration_minutes=request.duration_minutes,
        skills=skills,
        slot_start=request.start,
        slot_end=request.end,
        planned_start=_from_minutes(best.start),
        held_by=principal.subject,
        expires_at=now + timedelta(minutes=dispatch_settings().hold_minutes),
    )
    session.add(hold)
    await session.flush()
    return hold


async def _hold_for_update(session: AsyncSession, principal: Principal, hold_id: int) -> SlotHold:
    from app.dispatch.repository import readable_holds

    hold = await session.scalar(
        readable_holds(principal).where(col(SlotHold.id) == hold_id).with_for_update()
    )
    if hold is None:
        raise NotFound("slot hold", ["holdId"])
    return hold


async def release_hold(session: AsyncSession, principal: Principal, hold_id: int) -> SlotHold:
    hold = await _hold_for_update(session, principal, hold_id)
    if hold.status is HoldStatus.ACTIVE:
        hold.status = HoldStatus.RELEASED
        await session.flush()
    return hold


async def consume_hold(
    session: AsyncSession,
    principal: Principal,
    hold_id: int,
    task: Task,
    *,
    now: datetime | None = None,
    window_given: bool = False,
) -> SlotHold:
    """Turn a hold into the task's appointment: its window becomes the held slot.

    `createTask` and `rescheduleTask` call this with the hold id they were given; when the
    caller also gave a window (`window_given`), it must be the held slot."""
    hold = await _hold_for_update(session, principal, hold_id)
    if hold.status is not HoldStatus.ACTIVE or hold.expires_at <= (now or utcnow()):
        raise DomainError("the slot hold expired or was used", ErrorCode.SLOT_TAKEN, ["holdId"])
    if hold.site_id is not None and hold.site_id != task.site_id:
        raise DomainError("the hold is for another site", ErrorCode.INVALID, ["holdId"])
    if hold.customer_id is not None and hold.customer_id != task.customer_id:
        raise DomainError("the hold is for another customer", ErrorCode.INVALID, ["holdId"])
    await _check_task_fits_hold(session, hold, task)
    if window_given and (task.window_start, task.window_end) != (hold.slot_start, hold.slot_end):
        raise DomainError("the window must be the held slot", ErrorCode.INVALID, ["windowStart"])
    hold.status, hold.task_id, hold.consumed_at = HoldStatus.CONSUMED, task.id, utcnow()
    task.window_start, task.window_end = hold.slot_start, hold.slot_end
    invalidate(hold.territory_id)
    await session.flush()
    return hold


async def _check_task_fits_hold(session: AsyncSession, hold: SlotHold, task: Task) -> None:
    """A hold reserved time on a technician chosen for its duration and skills: it is valid
    only for work that fits that time and needs no other skill."""
    if task.duration_minutes > hold.duration_minutes:
        message = (
            f"the hold reserves {hold.duration_minutes} minutes; "
            f"this task takes {task.duration_minutes}"
        )
        raise DomainError(message, ErrorCode.INVALID, ["holdId"])
    required = await session.execute(
        select(Skill.code, TaskSkill.min_level)
        .join(TaskSkill, col(TaskSkill.skill_id) == col(Skill.id))
        .where(col(TaskSkill.task_id) == task.id)
    )
    missing = sorted(
        f"{code} (level {level})"
        for code, level in required.all()
        if hold.skills.get(code, 0) < level
    )
    if missing:
        message = f"the hold was taken for other skills; this task needs {', '.join(missing)}"
        raise DomainError(message, ErrorCode.INVALID, ["holdId"])


async def expire_holds(session: AsyncSession, now: datetime | None = None) -> int:
    result = await session.execute(
        sa.update(SlotHold)
        .where(
            col(SlotHold.status) == HoldStatus.ACTIVE, col(SlotHold.expires_at) <= (now or utcnow())
        )
        .values(status=HoldStatus.EXPIRED)
        .returning(col(SlotHold.id))
    )
    return len(result.all())
