"""Technician business rules: skills, people, memberships, weekly hours, time off, availability."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, delete, select

from app.core.auth import Principal, Role
from app.core.errors import (
    DomainError,
    ErrorCode,
    FieldProblem,
    Forbidden,
    NotFound,
    collect,
    invalid,
)
from app.core.geo import LatLng, point_value
from app.core.models import utcnow
from app.core.repository import apply_changes, check_version, flush_unique, get_for_update
from app.partners.models import Partner
from app.technicians import repository
from app.technicians.models import (
    END_OF_DAY,
    CostIn,
    Employment,
    MembershipCreate,
    ShiftIn,
    Skill,
    SkillCreate,
    SkillLevelIn,
    SkillUpdate,
    Technician,
    TechnicianCreate,
    TechnicianSkill,
    TechnicianStatus,
    TechnicianUpdate,
    TerritoryMembership,
    TimeOff,
    TimeOffCreate,
    WorkingHours,
)
from app.territories.models import Territory, TerritoryHoliday

LOCATION_FRESH_FOR = timedelta(minutes=30)
"""A reported location older than this no longer says where a technician is: proximity
falls back to the home base (a phone that stopped reporting is often switched off)."""

NEAR_MAX = 100
"""At most this many technicians come back from one proximity search."""

Window = tuple[datetime, datetime]

# --- skills -------------------------------------------------------------------------------


async def create_skill(session: AsyncSession, data: SkillCreate) -> Skill:
    skill = Skill.model_validate(data)
    session.add(skill)
    await flush_unique(session, "code", f"a skill with code {data.code} exists")
    return skill


async def update_skill(
    session: AsyncSession, skill_id: int, changes: SkillUpdate, expected_version: int | None
) -> Skill:
    skill = await get_for_update(session, Skill, skill_id, what="skill")
    check_version(skill, expected_version)
    apply_changes(skill, changes.model_dump(exclude_unset=True))
    skill.touch()
    await session.flush()
    return skill


async def archive_skill(
    session: AsyncSession, skill_id: int, expected_version: int | None
) -> Skill:
    """Archived skills leave the catalogue; technicians who hold them keep them."""
    skill = await get_for_update(session, Skill, skill_id, what="skill")
    check_version(skill, expected_version)
    if skill.archived_at is None:
        skill.archived_at = utcnow()
        skill.touch()
        await session.flush()
    return skill


async def _resolve_skills(
    session: AsyncSession, items: Sequence[SkillLevelIn]
) -> list[tuple[int, int]]:
    """(skill id, level) for each item; every unknown or repeated skill is an INVALID problem."""
    codes = {i.skill_code for i in items if i.skill_code}
    ids = {i.skill_id for i in items if i.skill_id}
    rows = (
        await session.scalars(
            select(Skill).where(
                col(Skill.archived_at).is_(None),
                col(Skill.code).in_(codes) | col(Skill.id).in_(ids),
            )
        )
    ).all()
    by_code, by_id = {s.code: s for s in rows}, {s.id: s for s in rows}
    problems: list[FieldProblem] = []
    resolved: list[tuple[int, int]] = []
    for index, item in enumerate(items):
        skill = by_id.get(item.skill_id) if item.skill_id else by_code.get(item.skill_code or "")
        path = ["skills", str(index), "skill"]
        if skill is None or skill.id is None:
            name = item.skill_code or "this skill"
            problems.append(FieldProblem(f"unknown skill {name}", ErrorCode.INVALID, path))
        elif any(skill.id == done for done, _ in resolved):
            problems.append(FieldProblem(f"{skill.code} is listed twice", ErrorCode.INVALID, path))
        else:
            resolved.append((skill.id, item.level))
    collect(problems)
    return resolved


async def _replace_skills(
    session: AsyncSession, technician_id: int, skills: list[tuple[int, int]]
) -> None:
    await session.execute(
        delete(TechnicianSkill).where(col(TechnicianSkill.technician_id) == technician_id)
    )
    session.add_all(
        TechnicianSkill(technician_id=technician_id, skill_id=skill_id, level=level)
        for skill_id, level in skills
    )


# --- technicians --------------------------------------------------------------------------


def _partner_scope(
    principal: Principal, employment: Employment, partner_id: int | None
) -> tuple[Employment, int | None]:
    """A partner user manages only its own people: always PARTNER employment, its own id."""
    if principal.role is not Role.PARTNER:
        return employment, partner_id
    if partner_id is not None and partner_id != principal.partner_id:
        raise Forbidden("a partner manages only its own technicians", ["partnerId"])
    return Employment.PARTNER, principal.partner_id


async def _check_employment(
    session: AsyncSession, employment: Employment, partner_id: int | None
) -> None:
    if employment is Employment.PARTNER and partner_id is None:
        raise invalid("a partner technician needs partnerId", "partnerId")
    if employment is Employment.EMPLOYEE and partner_id is not None:
        raise invalid("only PARTNER technicians belong to a partner", "partnerId")
    if partner_id is not None:
        partner = await session.get(Partner, partner_id)
        if partner is None or partner.archived_at is not None:
            raise NotFound("partner", ["partnerId"])


def _costs(
    cost_per_hour: CostIn | None, cost_per_km: CostIn | None, currency: str
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    currencies = {c.currency for c in (cost_per_hour, cost_per_km) if c is not None}
    if len(currencies) > 1:
        raise invalid("costPerHour and costPerKm use one currency", "costPerKm", "currency")
    if cost_per_hour is not None:
        values["cost_per_hour"] = cost_per_hour.amount
    if cost_per_km is not None:
        values["cost_per_km"] = cost_per_km.amount
    values["currency"] = currencies.pop() if currencies else currency
    return values


async def create_technician(
    session: AsyncSession, principal: Principal, data: TechnicianCreate
) -> Technician:
    employment, partner_id = _partner_scope(principal, data.employment, data.partner_id)
    await _check_employment(session, employment, partner_id)
    skills = await _resolve_skills(session, data.skills)
    territory = await _active_territory(session, data.territory_id, "territoryId")
    technician = Technician(
        **data.model_dump(include={"name", "email", "phone", "status", "external_ref", "notes"}),
        **_costs(data.cost_per_hour, data.cost_per_km, "INR"),
        employment=employment,
        partner_id=partner_id,
        home_base=point_value(data.home_base.lat, data.home_base.lng),
    )
    session.add(technician)
    await flush_unique(session, "externalRef", f"{data.external_ref} is another technician's")
    assert technician.id is not None
    await _replace_skills(session, technician.id, skills)
    if territory is not None and territory.id is not None:
        session.add(
            TerritoryMembership(
                technician_id=technician.id,
                territory_id=territory.id,
                valid_from=local_date(territory.time_zone),
                is_primary=True,
            )
        )
    await session.flush()
    return technician


async def update_technician(
    session: AsyncSession,
    principal: Principal,
    technician_id: int,
    changes: TechnicianUpdate,
    expected_version: int | None,
) -> Technician:
    technician = await repository.get_writable(session, principal, technician_id)
    check_version(technician, expected_version)
    sent = changes.model_dump(exclude_unset=True)
    if principal.role is Role.PARTNER and changes.employment is Employment.EMPLOYEE:
        raise Forbidden("a partner's technicians stay PARTNER employed", ["employment"])
    employment, partner_id = _partner_scope(
        principal,
        changes.employment or technician.employment,
        changes.partner_id if "partner_id" in sent else technician.partner_id,
    )
    await _check_employment(session, employment, partner_id)
    if changes.skills is not None:
        assert technician.id is not None
        await _replace_skills(
            session, technician.id, await _resolve_skills(session, changes.skills)
        )
    values = {k: v for k, v in sent.items() if k not in {"skills", "cost_per_hour", "cost_per_km"}}
    values |= {"employment": employment, "partner_id": partner_id}
    if changes.home_base is not None:
        values["home_base"] = point_value(changes.home_base.lat, changes.home_base.lng)
    if changes.cost_per_hour or changes.cost_per_km:
        values |= _costs(changes.cost_per_hour, changes.cost_per_km, technician.currency)
    values |= {k: None for k in ("cost_per_hour", "cost_per_km") if k in sent and not sent[k]}
    apply_changes(technician, values)
    technician.touch()
    await flush_unique(session, "externalRef", f"{changes.external_ref} is another technician's")
    return technician


async def archive_technician(
    session: AsyncSession, principal: Principal, technician_id: int, expected_version: int | None
) -> Technician:
    technician = await repository.get_writable(session, principal, technician_id)
    check_version(technician, expected_version)
    if technician.archived_at is None:
        technician.archived_at = utcnow()
        technician.status = TechnicianStatus.INACTIVE
        technician.touch()
        await session.flush()
    return technician


# --- territory memberships ----------------------------------------------------------------


def local_date(time_zone: str, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(ZoneInfo(time_zone)).date()


async def _active_territory(
    session: AsyncSession, territory_id: int | None, field: str
) -> Territory | None:
    if territory_id is None:
        return None
    territory = await session.get(Territory, territory_id)
    if territory is None or territory.archived_at is not None:
        raise NotFound("territory", [field])
    return territory


def _overlaps(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return (b_to is None or a_from <= b_to) and (a_to is None or b_from <= a_to)


async def add_membership(
    session: AsyncSession, principal: Principal, data: MembershipCreate
) -> TerritoryMembership:
    """A technician joins a territory for a period (days included; open-ended without validTo).

    Two periods in the same territory may not overlap, nor may two primary memberships:
    the primary territory's time zone and holidays rule the technician's weekly hours.
    """
    technician = await repository.get_writable(
        session, principal, data.technician_id, "technicianId"
    )
    territory = await _active_territory(session, data.territory_id, "territoryId")
    assert territory is not None
    valid_from = data.valid_from or local_date(territory.time_zone)
    if data.valid_to is not None and data.valid_to < valid_from:
        raise invalid("validTo must not be before validFrom", "validTo")
    existing = (
        await session.scalars(
            select(TerritoryMembership).where(
                col(TerritoryMembership.technician_id) == data.technician_id
            )
        )
    ).all()
    for other in existing:
        if not _overlaps(valid_from, data.valid_to, other.valid_from, other.valid_to):
            continue
        if other.territory_id == data.territory_id:
            raise DomainError(
                "the technician already belongs to this territory in that period",
                ErrorCode.CONFLICT,
                ["validFrom"],
            )
        if data.is_primary and other.is_primary:
            raise DomainError(
                "another primary territory overlaps that period; end it first or add this "
                "one as a secondary territory",
                ErrorCode.CONFLICT,
                ["isPrimary"],
            )
    membership = TerritoryMembership(
        technician_id=data.technician_id,
        territory_id=data.territory_id,
        valid_from=valid_from,
        valid_to=data.valid_to,
        is_primary=data.is_primary,
    )
    session.add(membership)
    technician.touch()
    await session.flush()
    return membership


async def end_membership(
    session: AsyncSession, principal: Principal, membership_id: int, valid_to: date
) -> TerritoryMembership:
    membership = await repository.get_readable_membership(session, principal, membership_id)
    if membership is None:
        raise NotFound("territory membership", ["id"])
    technician = await repository.get_writable(session, principal, membership.technician_id)
    if valid_to < membership.valid_from:
        raise invalid("validTo must not be before validFrom", "validTo")
    if membership.valid_to is not None and valid_to > membership.valid_to:
        raise invalid("a membership can be shortened here, not extended", "validTo")
    membership.valid_to = valid_to
    technician.touch()
    await session.flush()
    return membership


# --- weekly hours -------------------------------------------------------------------------


def _shift_problems(shifts: Sequence[ShiftIn]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    by_day: dict[int, list[tuple[time, time, int]]] = defaultdict(list)
    for index, shift in enumerate(shifts):
        end = END_OF_DAY if shift.end == time(0) else shift.end
        if end <= shift.start:
            problems.append(
                FieldProblem(
                    "end must be after start; a shift cannot cross midnight: split it into one "
                    "ending at 00:00 and one starting at 00:00 on the next weekday",
                    ErrorCode.INVALID,
                    ["shifts", str(index), "end"],
                )
            )
            continue
        by_day[shift.weekday].append((shift.start, end, index))
    for day_shifts in by_day.values():
        day_shifts.sort()
        for (_, prev_end, prev), (start, _, index) in itertools.pairwise(day_shifts):
            if start < prev_end:
                problems.append(
                    FieldProblem(
                        f"overlaps shift {prev} on the same weekday",
                        ErrorCode.INVALID,
                        ["shifts", str(index)],
                    )
                )
    return problems


async def set_working_hours(
    session: AsyncSession,
    principal: Principal,
    technician_id: int,
    shifts: Sequence[ShiftIn],
    expected_version: int | None,
) -> Technician:
    """Replaces the weekly pattern; times are local to the technician's primary territory."""
    technician = await repository.get_writable(session, principal, technician_id, "technicianId")
    check_version(technician, expected_version)
    collect(_shift_problems(shifts))
    await session.execute(
        delete(WorkingHours).where(col(WorkingHours.technician_id) == technician_id)
    )
    session.add_all(
        WorkingHours(
            technician_id=technician_id,
            weekday=shift.weekday,
            starts_at=shift.start,
            ends_at=END_OF_DAY if shift.end == time(0) else shift.end,
        )
        for shift in sorted(shifts, key=lambda s: (s.weekday, s.start))
    )
    technician.touch()
    await session.flush()
    return technician


# --- time off -----------------------------------------------------------------------------


async def add_time_off(session: AsyncSession, principal: Principal, data: TimeOffCreate) -> TimeOff:
    technician = await repository.get_writable(
        session, principal, data.technician_id, "technicianId"
    )
    if data.end <= data.start:
        raise invalid("end must be after start", "end")
    time_off = TimeOff(
        technician_id=data.technician_id,
        starts_at=data.start.astimezone(UTC),
        ends_at=data.end.astimezone(UTC),
        reason=data.reason,
    )
    session.add(time_off)
    technician.touch()
    await session.flush()
    return time_off


async def remove_time_off(
    session: AsyncSession, principal: Principal, time_off_id: int
) -> Technician:
    time_off = await repository.get_readable_time_off(session, principal, time_off_id)
    if time_off is None:
        raise NotFound("time off", ["id"])
    technician = await repository.get_writable(session, principal, time_off.technician_id)
    await session.delete(time_off)
    technician.touch()
    await session.flush()
    return technician


# --- proximity ----------------------------------------------------------------------------


async def technicians_near(
    session: AsyncSession,
    principal: Principal | None,
    point: LatLng,
    radius_meters: float,
    *,
    skills: Sequence[str] = (),
    first: int | None = None,
    now: datetime | None = None,
) -> list[repository.Nearby]:
    if radius_meters <= 0:
        raise invalid("radiusMeters must be positive", "radiusMeters")
    if first is not None and first < 0:
        raise invalid("first must not be negative", "first")
    limit = min(NEAR_MAX, 20 if first is None else first)
    if limit == 0:
        return []
    return await repository.nearest(
        session,
        principal,
        point,
        radius_meters,
        skills=sorted(set(skills)),
        first=limit,
        seen_since=(now or utcnow()) - LOCATION_FRESH_FOR,
    )


# --- availability -------------------------------------------------------------------------


def _subtract(windows: list[Window], cuts: Sequence[Window]) -> list[Window]:
    for cut_start, cut_end in cuts:
        kept: list[Window] = []
        for start, end in windows:
            if cut_end <= start or cut_start >= end:
                kept.append((start, end))
                continue
            if start < cut_start:
                kept.append((start, cut_start))
            if cut_end < end:
                kept.append((cut_end, end))
        windows = kept
    return windows


def _shift_window(day: date, shift: WorkingHours, zone: ZoneInfo) -> Window:
    start = datetime.combine(day, shift.starts_at, zone)
    if shift.ends_at == END_OF_DAY:
        end = datetime.combine(day + timedelta(days=1), time(0), zone)
    else:
        end = datetime.combine(day, shift.ends_at, zone)
    return start.astimezone(UTC), end.astimezone(UTC)


async def availability(
    session: AsyncSession, technician_ids: Sequence[int], day: date
) -> dict[int, list[Window]]:
    """Each technician's working windows on `day`, in UTC, sorted.

    The weekly hours are read in the time zone of the technician's territory on that day
    (the primary membership, else any; UTC when they belong to none). A holiday of that
    territory, a status other than ACTIVE or an archived technician leave no window; time
    off is cut out of the shifts. Five queries, whatever the number of technicians.
    """
    ids = list(dict.fromkeys(technician_ids))
    result: dict[int, list[Window]] = {tid: [] for tid in ids}
    if not ids:
        return result
    active = set(
        (
            await session.scalars(
                select(Technician.id).where(
                    col(Technician.id).in_(ids),
                    col(Technician.archived_at).is_(None),
                    col(Technician.status) == TechnicianStatus.ACTIVE,
                )
            )
        ).all()
    )
    zones = await _zones_on(session, ids, day)
    holidays = set(
        (
            await session.scalars(
                select(TerritoryHoliday.territory_id).where(
                    col(TerritoryHoliday.territory_id).in_({t.id for t in zones.values()}),
                    col(TerritoryHoliday.day) == day,
                )
            )
        ).all()
    )
    shifts = (
        await session.scalars(
            select(WorkingHours)
            .where(
                col(WorkingHours.technician_id).in_(ids), col(WorkingHours.weekday) == day.weekday()
            )
            .order_by(col(WorkingHours.starts_at))
        )
    ).all()
    span_start = datetime.combine(day, time(0), UTC) - timedelta(days=1)
    time_off = (
        await session.scalars(
            select(TimeOff).where(
                col(TimeOff.technician_id).in_(ids),
                col(TimeOff.ends_at) > span_start,
                col(TimeOff.starts_at) < span_start + timedelta(days=3),
            )
        )
    ).all()
    cuts: dict[int, list[Window]] = defaultdict(list)
    for entry in time_off:
        cuts[entry.technician_id].append((entry.starts_at, entry.ends_at))
    for shift in shifts:
        tid = shift.technician_id
        territory = zones.get(tid)
        if tid not in active or (territory is not None and territory.id in holidays):
            continue
        zone = ZoneInfo(territory.time_zone) if territory is not None else ZoneInfo("UTC")
        result[tid].append(_shift_window(day, shift, zone))
    return {tid: sorted(_subtract(windows, cuts[tid])) for tid, windows in result.items()}


async def _zones_on(session: AsyncSession, ids: list[int], day: date) -> dict[int, Territory]:
    """The territory that rules each technician's calendar on `day`."""
    rows = await session.execute(
        select(TerritoryMembership.technician_id, Territory)
        .join(Territory, col(Territory.id) == col(TerritoryMembership.territory_id))
        .where(
            col(TerritoryMembership.technician_id).in_(ids),
            col(TerritoryMembership.valid_from) <= day,
            (col(TerritoryMembership.valid_to).is_(None))
            | (col(TerritoryMembership.valid_to) >= day),
        )
        .order_by(col(TerritoryMembership.is_primary), col(TerritoryMembership.id).desc())
    )
    return dict(rows.all())
