"""Crew assignment and each member's part of a crew visit.

`assign_crew` offers a task to a lead with members: warnings as for a single assignment, for
every member and every day's segment, plus the crew's own (size, skills of the crew as a whole
and of the lead). `check_in_member` and `complete_member` record each member's part; the crew
state policy says whose steps move the task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.auth import Principal
from app.core.errors import DomainError, ErrorCode, FieldProblem, NotFound
from app.core.events import queue_event
from app.core.geo import LatLng, point_value
from app.core.models import utcnow
from app.core.repository import check_version
from app.crews.models import (
    STATE_POLICY_KEY,
    CrewMember,
    CrewStatePolicy,
    TaskLeadSkill,
    TaskSegment,
)
from app.technicians.models import Skill, Technician, TechnicianSkill, TechnicianStatus
from app.work_orders import field, repository
from app.work_orders.assignment import Warning, warnings_for
from app.work_orders.channels import TASK_STATUS_CHANGED, technician_channel
from app.work_orders.models import (
    CLOSED_STATUSES,
    OfferStatus,
    Task,
    TaskOffer,
    TaskSkill,
    TaskStatus,
    WorkPolicy,
)
from app.work_orders.offers import close_offers
from app.work_orders.policies import load_policies
from app.work_orders.transitions import Action, Actor, Change, apply, check_allowed, event_data

MAX_MEMBERS = 9
"""Members besides the lead: a crew is at most 10 technicians (a task's crew size)."""
MAX_SEGMENT_DAYS = 14
"""A multi-day task is split over at most this many working days after its start."""
MIN_SEGMENT_MINUTES = 15
"""A working window shorter than this is skipped rather than opened for a few minutes."""


@dataclass(frozen=True, slots=True)
class Crew:
    """A task with its crew (lead first) and its daily segments."""

    task: Task
    members: list[CrewMember]
    segments: list[TaskSegment]


# --- policy --------------------------------------------------------------------------------


async def state_policy(session: AsyncSession) -> CrewStatePolicy:
    row = await session.get(WorkPolicy, STATE_POLICY_KEY)
    try:
        return CrewStatePolicy(row.value) if row is not None else CrewStatePolicy.LEAD
    except ValueError:
        return CrewStatePolicy.LEAD


async def set_state_policy(session: AsyncSession, policy: CrewStatePolicy) -> CrewStatePolicy:
    row = await session.get(WorkPolicy, STATE_POLICY_KEY, with_for_update=True)
    if row is None:
        row = WorkPolicy(key=STATE_POLICY_KEY, value=policy.value, description="")
        session.add(row)
    row.value = policy.value
    await session.flush()
    return policy


# --- reading -------------------------------------------------------------------------------


async def crew_of(session: AsyncSession, task: Task) -> Crew:
    members = (
        await session.scalars(
            select(CrewMember)
            .where(col(CrewMember.task_id) == task.id)
            .order_by(col(CrewMember.is_lead).desc(), col(CrewMember.technician_id))
        )
    ).all()
    segments = (
        await session.scalars(
            select(TaskSegment)
            .where(col(TaskSegment.task_id) == task.id)
            .order_by(col(TaskSegment.sequence))
        )
    ).all()
    return Crew(task, list(members), list(segments))


async def get_crew(session: AsyncSession, principal: Principal | None, task_id: int) -> Crew:
    task = await repository.get_readable(session, principal, task_id)
    if task is None:
        raise NotFound("task", ["taskId"])
    return await crew_of(session, task)


async def lead_skills(session: AsyncSession, task_id: int) -> list[tuple[str, int]]:
    rows = await session.execute(
        select(Skill.code, TaskLeadSkill.min_level)
        .join(Skill, col(Skill.id) == col(TaskLeadSkill.skill_id))
        .where(col(TaskLeadSkill.task_id) == task_id)
        .order_by(Skill.code)
    )
    return [(code, level) for code, level in rows.all()]


# --- requirements --------------------------------------------------------------------------


async def set_requirements(
    session: AsyncSession,
    principal: Principal,
    task_id: int,
    crew_size: int,
    lead: list[tuple[str, int]],
    expected_version: int | None,
) -> Task:
    """Set how many technicians a task needs and the skills its lead must hold."""
    if not 1 <= crew_size <= MAX_MEMBERS + 1:
        raise DomainError(
            f"crewSize must be 1 to {MAX_MEMBERS + 1}", ErrorCode.INVALID, ["crewSize"]
        )
    task = await repository.get_for_change(session, principal, task_id)
    check_version(task, expected_version)
    if task.status not in (TaskStatus.UNSCHEDULED, TaskStatus.SCHEDULED):
        raise DomainError(
            f"a crew's needs change before assignment; the task is {task.status}",
            ErrorCode.INVALID_TRANSITION,
            ["taskId"],
        )
    codes = [code for code, _ in lead]
    rows = await session.execute(select(Skill.code, Skill.id).where(col(Skill.code).in_(codes)))
    known: dict[str, int] = {str(row[0]): int(row[1]) for row in rows.all()}
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise DomainError(f"unknown skill {unknown[0]}", ErrorCode.INVALID, ["leadSkills", "code"])
    await session.execute(sa.delete(TaskLeadSkill).where(col(TaskLeadSkill.task_id) == task_id))
    session.add_all(
        TaskLeadSkill(task_id=task_id, skill_id=known[code], min_level=level)
        for code, level in dict(lead).items()
    )
    task.crew_size = crew_size
    task.touch()
    await session.flush()
    return task


# --- assignment ----------------------------------------------------------------------------


async def assign_crew(
    session: AsyncSession,
    principal: Principal,
    task_id: int,
    lead_id: int,
    member_ids: list[int],
    start: datetime,
    *,
    reason: str | None = None,
    expected_version: int | None = None,
) -> tuple[Crew, list[Warning]]:
    """Offer the task to its lead with the members, from `start` (→ DISPATCHED). A task longer
    than the lead's working window is split into daily segments on the following days the
    whole crew works. Warnings refuse the assignment unless the dispatcher gives a reason."""
    members = list(dict.fromkeys(member_ids))
    if len(members) != len(member_ids) or lead_id in members:
        raise DomainError(
            "each technician is in the crew once, the lead not among the members",
            ErrorCode.INVALID,
            ["memberIds"],
        )
    if len(members) > MAX_MEMBERS:
        raise DomainError(
            f"at most {MAX_MEMBERS} members besides the lead", ErrorCode.INVALID, ["memberIds"]
        )
    task = await repository.get_for_change(session, principal, task_id)
    change = Change(Action.ASSIGN, Actor.of(principal), reason, expected_version=expected_version)
    check_allowed(task, change)
    crew = [await _technician(session, lead_id, "leadId")]
    crew += [await _technician(session, member, "memberIds") for member in members]
    segments = await _segments(session, task, crew, start)
    warnings = await crew_warnings(session, task, crew, segments)
    if warnings and not reason:
        override = "; give a reason to assign anyway"
        raise DomainError(
            warnings[0].message + override,
            problems=[
                FieldProblem(w.message + override, ErrorCode.CONFLICT, ["memberIds"])
                for w in warnings
            ],
        )
    previous = task.technician_id
    await close_offers(session, task, OfferStatus.WITHDRAWN, reason)
    await _replace_crew(session, task, crew, segments)
    policies = await load_policies(session)
    now = utcnow()
    expires = now + timedelta(minutes=policies.offer_response_minutes)
    task.technician_id = lead_id
    task.scheduled_start, task.scheduled_end = segments[0][0], segments[-1][1]
    task.offer_expires_at = expires
    task.excluded_technician_ids = [
        t for t in task.excluded_technician_ids if t not in {c.id for c in crew}
    ]
    session.add(
        TaskOffer(
            task_id=task_id,
            technician_id=lead_id,
            offered_by=principal.subject,
            offered_at=now,
            expires_at=expires,
        )
    )
    event = apply(session, task, change, previous_technician=previous)
    # The lead's channel has the event; the members' phones hear of their new task too.
    queue_event(
        session,
        [technician_channel(t.id) for t in crew[1:] if t.id is not None],
        TASK_STATUS_CHANGED,
        event_data(task, event),
    )
    await session.flush()
    return await crew_of(session, task), warnings


async def _technician(session: AsyncSession, technician_id: int, where: str) -> Technician:
    technician = await session.get(Technician, technician_id)
    if technician is None or technician.archived_at is not None:
        raise NotFound("technician", [where])
    if technician.status is not TechnicianStatus.ACTIVE:
        raise DomainError(f"{technician.name} is {technician.status}", ErrorCode.INVALID, [where])
    return technician


async def _replace_crew(
    session: AsyncSession,
    task: Task,
    crew: list[Technician],
    segments: list[tuple[datetime, datetime]],
) -> None:
    assert task.id is not None
    await session.execute(sa.delete(CrewMember).where(col(CrewMember.task_id) == task.id))
    await session.execute(sa.delete(TaskSegment).where(col(TaskSegment.task_id) == task.id))
    await session.flush()
    session.add_all(
        CrewMember(task_id=task.id, technician_id=t.id, is_lead=i == 0)  # type: ignore[arg-type]
        for i, t in enumerate(crew)
    )
    if len(segments) > 1:
        session.add_all(
            TaskSegment(task_id=task.id, sequence=i, starts_at=s, ends_at=e)
            for i, (s, e) in enumerate(segments, start=1)
        )


async def _segments(
    session: AsyncSession, task: Task, crew: list[Technician], start: datetime
) -> list[tuple[datetime, datetime]]:
    """The task's duration from `start`: one segment when it fits the lead's working window
    `start` falls in (or when `start` is outside the lead's hours: the warnings say so), else
    the rest of that window and then the windows the whole crew works on the next days (a day
    off or weekend of any member, per their weekly hours, time off and holidays, is skipped;
    a member off at `start` itself is warned of)."""
    from app.technicians.service import availability
    from app.work_orders.assignment import _joined

    ids = [t.id for t in crew if t.id is not None]
    lead = ids[0]
    whole = [(start, start + timedelta(minutes=task.duration_minutes))]
    windows: dict[int, list[tuple[datetime, datetime]]] = {tid: [] for tid in ids}
    for offset in range(-1, MAX_SEGMENT_DAYS + 1):
        day = (start + timedelta(days=offset)).date()
        for tid, found in (await availability(session, ids, day)).items():
            windows[tid] += found
    current = next((w for w in _joined(windows[lead]) if w[0] <= start < w[1]), None)
    if current is None or whole[0][1] <= current[1]:
        return whole
    common = _joined(windows[lead])
    for tid in ids[1:]:
        common = _overlap(common, _joined(windows[tid]))
    later = [w for w in common if w[0] >= current[1]]
    left = timedelta(minutes=task.duration_minutes)
    segments = []
    for begin, w_end in [(start, current[1]), *later]:
        if w_end - begin < timedelta(minutes=MIN_SEGMENT_MINUTES):
            continue
        piece = min(left, w_end - begin)
        segments.append((begin, begin + piece))
        left -= piece
        if left <= timedelta(0):
            return segments
    return whole


def _overlap(
    a: list[tuple[datetime, datetime]], b: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """Where two sorted lists of windows meet."""
    return sorted(
        (max(a0, b0), min(a1, b1)) for a0, a1 in a for b0, b1 in b if max(a0, b0) < min(a1, b1)
    )


async def crew_warnings(
    session: AsyncSession,
    task: Task,
    crew: list[Technician],
    segments: list[tuple[datetime, datetime]],
) -> list[Warning]:
    """Single-assignment warnings for each member and segment (skills aside: a crew holds them
    together; overlaps see the members' other crews and segments), the crew's size and skills."""
    found: list[Warning] = []
    for technician in crew:
        for seg_start, seg_end in segments:
            for warning in await warnings_for(session, task, technician, seg_start, seg_end):
                if warning.code != "SKILL_MISMATCH":
                    found.append(Warning(warning.code, f"{technician.name}: {warning.message}"))
    if len(crew) != task.crew_size:
        found.append(
            Warning(
                "CREW_SIZE_MISMATCH",
                f"the task needs a crew of {task.crew_size}, the assignment has {len(crew)}",
            )
        )
    found += await _crew_skills(session, task, crew)
    return list(dict.fromkeys(found))


async def _crew_skills(session: AsyncSession, task: Task, crew: list[Technician]) -> list[Warning]:
    ids = [t.id for t in crew]
    held_rows = await session.execute(
        select(
            TechnicianSkill.technician_id, TechnicianSkill.skill_id, TechnicianSkill.level
        ).where(col(TechnicianSkill.technician_id).in_(ids))
    )
    held: dict[tuple[int, int], int] = {(t, s): level for t, s, level in held_rows.all()}
    found = []
    needs = await session.execute(
        select(Skill.id, Skill.code, TaskSkill.min_level)
        .join(Skill, col(Skill.id) == col(TaskSkill.skill_id))
        .where(col(TaskSkill.task_id) == task.id)
        .order_by(Skill.code)
    )
    for skill_id, code, need in needs.all():
        best = max((held.get((t, skill_id), 0) for t in ids), default=0)  # type: ignore[arg-type]
        if best < need:
            found.append(
                Warning("SKILL_MISMATCH", f"no one in the crew has {code} at level {need}")
            )
    lead = crew[0]
    lead_needs = await session.execute(
        select(Skill.id, Skill.code, TaskLeadSkill.min_level)
        .join(Skill, col(Skill.id) == col(TaskLeadSkill.skill_id))
        .where(col(TaskLeadSkill.task_id) == task.id)
        .order_by(Skill.code)
    )
    for skill_id, code, need in lead_needs.all():
        have = held.get((lead.id, skill_id), 0)  # type: ignore[arg-type]
        if have < need:
            found.append(
                Warning(
                    "LEAD_SKILL_MISMATCH",
                    f"the lead {lead.name} needs {code} at level {need}, has {have}",
                )
            )
    return found


# --- each member's part --------------------------------------------------------------------


async def _member(session: AsyncSession, task_id: int, principal: Principal) -> CrewMember:
    member = await session.scalar(
        select(CrewMember)
        .where(
            col(CrewMember.task_id) == task_id,
            col(CrewMember.technician_id) == principal.technician_id,
        )
        .with_for_update()
    )
    if member is None:
        raise NotFound("crew member", ["taskId"])
    return member


ON_THE_JOB = frozenset(
    {
        TaskStatus.ACCEPTED,
        TaskStatus.EN_ROUTE,
        TaskStatus.ON_SITE,
        TaskStatus.IN_PROGRESS,
        TaskStatus.ON_HOLD,
    }
)


async def check_in_member(
    session: AsyncSession, principal: Principal, step: field.Step
) -> tuple[Crew, list[str]]:
    """The caller, a member of the task's crew, arrives on site. The task moves to ON_SITE
    with the lead's check-in (LEAD policy) or the last member's (ALL)."""
    if step.location is None:
        raise DomainError("a check-in needs the phone's position", ErrorCode.INVALID, ["location"])
    task = await repository.get_for_change(session, principal, step.task_id, crew=True)
    member = await _member(session, step.task_id, principal)
    if member.checked_in_at is not None:
        raise DomainError("you have checked in already", ErrorCode.INVALID_TRANSITION, ["taskId"])
    if task.status not in ON_THE_JOB:
        raise DomainError(
            f"checking in is not possible while the task is {task.status}",
            ErrorCode.INVALID_TRANSITION,
            ["taskId"],
        )
    member.checked_in_at = utcnow()
    member.check_in_distance_meters = await _distance(session, task, step.location)
    await session.flush()
    warnings: list[str] = []
    if task.status in (TaskStatus.ACCEPTED, TaskStatus.EN_ROUTE) and await _moves_task(
        session, task, member
    ):
        task, warnings = await field.check_in(session, principal, step, crew=True)
    return await crew_of(session, task), warnings


async def complete_member(
    session: AsyncSession, principal: Principal, step: field.Step, done: field.Completion | None
) -> Crew:
    """The caller, a member of the task's crew, has finished their part. The task completes
    with the lead's completion (LEAD policy) or the last member's (ALL); that call needs the
    resolution code."""
    task = await repository.get_for_change(session, principal, step.task_id, crew=True)
    if task.status in CLOSED_STATUSES:
        # a member's hours end with the task: finishing later would only inflate its cost
        raise DomainError(
            f"the task is {task.status.value.lower()}", ErrorCode.INVALID_TRANSITION, ["taskId"]
        )
    member = await _member(session, step.task_id, principal)
    if member.checked_in_at is None or member.completed_at is not None:
        raise DomainError(
            "a member completes once, after checking in", ErrorCode.INVALID_TRANSITION, ["taskId"]
        )
    member.completed_at = utcnow()
    await session.flush()
    if await _moves_task(session, task, member, completing=True):
        if done is None:
            raise DomainError(
                "this completion closes the task: give the resolution code",
                ErrorCode.INVALID,
                ["resolutionCode"],
            )
        task = await field.complete(session, principal, step, done, crew=True)
    return await crew_of(session, task)


async def _moves_task(
    session: AsyncSession, task: Task, member: CrewMember, *, completing: bool = False
) -> bool:
    if await state_policy(session) is CrewStatePolicy.LEAD:
        return member.is_lead
    column = CrewMember.completed_at if completing else CrewMember.checked_in_at
    return await _waiting(session, task, column) == 0


async def _distance(session: AsyncSession, task: Task, where: LatLng) -> float:
    value = await session.scalar(
        select(func.ST_Distance(Task.location, point_value(where.lat, where.lng))).where(
            col(Task.id) == task.id
        )
    )
    return float(value or 0.0)


async def _own_row(session: AsyncSession, task: Task, principal: Principal) -> CrewMember | None:
    if principal.technician_id is None:
        return None
    return await session.scalar(
        select(CrewMember).where(
            col(CrewMember.task_id) == task.id,
            col(CrewMember.technician_id) == principal.technician_id,
        )
    )


async def _waiting(session: AsyncSession, task: Task, column: object) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(CrewMember)
        .where(col(CrewMember.task_id) == task.id, col(column).is_(None))
    )
    return int(count or 0)


async def on_check_in(
    session: AsyncSession, task: Task, principal: Principal, distance: float
) -> None:
    """A check-in that moves a crew task records the caller's own; under the ALL policy it
    waits for every member's."""
    member = await _own_row(session, task, principal)
    if member is None:
        return
    if member.checked_in_at is None:
        member.checked_in_at = utcnow()
        member.check_in_distance_meters = distance
        await session.flush()
    if await state_policy(session) is CrewStatePolicy.ALL:
        waiting = await _waiting(session, task, CrewMember.checked_in_at)
        if waiting:
            raise DomainError(
                f"{waiting} crew member(s) have not checked in (checkInCrewMember)",
                ErrorCode.INVALID_TRANSITION,
                ["taskId"],
            )


async def may_close(session: AsyncSession, task: Task, principal: Principal) -> None:
    """A completion that closes a crew task records the caller's own; under the ALL policy it
    is refused while a member has not finished."""
    member = await _own_row(session, task, principal)
    if member is None:
        return
    if member.completed_at is None:
        member.completed_at = utcnow()
        await session.flush()
    if await state_policy(session) is CrewStatePolicy.ALL:
        waiting = await _waiting(session, task, CrewMember.completed_at)
        if waiting:
            raise DomainError(
                f"{waiting} crew member(s) have not finished their part (completeCrewMember)",
                ErrorCode.INVALID_TRANSITION,
                ["taskId"],
            )
