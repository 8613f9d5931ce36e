"""Planned visits over a rolling horizon: idempotent by (plan, target, due date), in batches.

Two instances may run this at once: a visit row is inserted ON CONFLICT DO NOTHING, and only
the inserting transaction makes its task, so a visit and its task exist once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from geoalchemy2 import Geometry
from sqlalchemy import Table, cast, func, or_, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import Asset
from app.contracts.models import Contract, ContractCoverage
from app.core.alerts import AlertKind
from app.core.channels import ALERTS
from app.core.events import queue_event
from app.core.models import utcnow
from app.customers.models import Site
from app.service_plans.models import PlannedVisit, PlanTarget, ServicePlan, VisitStatus
from app.service_plans.recurrence import Recurrence, due_dates, move_off_days
from app.technicians.models import Skill
from app.territories.models import Territory, TerritoryHoliday
from app.work_orders.models import Task, TaskEvent, TaskSkill, TaskStatus, WorkOrder
from app.work_orders.transitions import SYSTEM_ACTOR

LOCK_KEY = 0x5E7_1A45
"""The advisory lock of one generation round; plan edits that withdraw visits take it too."""
BATCH = 2000
VISITS: Table = PlannedVisit.__table__  # type: ignore[attr-defined]
ORDERS: Table = WorkOrder.__table__  # type: ignore[attr-defined]
TASKS: Table = Task.__table__  # type: ignore[attr-defined]
MISSED_ALERT = AlertKind.PLANNED_VISIT_MISSED.value


@dataclass(frozen=True, slots=True)
class Target:
    key: str
    site_id: int
    asset_id: int | None


@dataclass(slots=True)
class Place:
    customer_id: int
    point: Any
    territory_id: int | None
    zone: ZoneInfo


def recurrence_of(plan: ServicePlan) -> Recurrence:
    return Recurrence(
        plan.frequency,
        plan.interval,
        tuple(plan.by_months),
        plan.month_day,
        plan.weekday,
        plan.week_of_month,
    )


async def hold_generation_lock(session: AsyncSession) -> None:
    """Wait for a running generation round to finish, and keep the next from starting until
    this transaction ends: a plan edit that withdraws visits must not race a round that read
    the plan before the edit (it would remake the withdrawn visits on the old schedule)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


async def generate(
    session: AsyncSession,
    today: date,
    horizon_days: int,
    *,
    plan_ids: Sequence[int] | None = None,
) -> dict[str, int]:
    """Make the visits due from `today` to `today + horizon_days` that do not exist yet."""
    until = today + timedelta(days=horizon_days)
    statement = (
        select(ServicePlan, Contract)
        .join(Contract, col(Contract.id) == col(ServicePlan.contract_id))
        .where(
            col(ServicePlan.archived_at).is_(None),
            col(Contract.archived_at).is_(None),
            col(Contract.ends_on) >= today,
            col(Contract.starts_on) <= until,
            col(ServicePlan.starts_on) <= until,
            or_(col(ServicePlan.ends_on).is_(None), col(ServicePlan.ends_on) >= today),
        )
        .order_by(col(ServicePlan.id))
    )
    if plan_ids is not None:
        statement = statement.where(col(ServicePlan.id).in_(list(plan_ids)))
    pairs = [(p, c) for p, c in (await session.execute(statement)).all()]
    targets = await _targets(session, pairs)
    sites = {t.site_id for ts in targets.values() for t in ts}
    places = await _places(session, sites)
    holidays = await _holidays(session, {p.territory_id for p in places.values()}, today, until)
    rows = []
    for plan, contract in pairs:
        assert plan.id is not None
        last = min(d for d in (until, contract.ends_on, plan.ends_on) if d is not None)
        first = max(today, plan.starts_on, contract.starts_on)
        for due in due_dates(recurrence_of(plan), plan.starts_on, first, last):
            for target in targets[plan.id]:
                place = places.get(target.site_id)
                if place is None:
                    continue
                rows.append(_visit_row(plan, contract, target, place, due, holidays))
    due_count = len(rows)
    plan_ids = [p.id for p, _ in pairs if p.id is not None]
    existing = await _existing(session, plan_ids, today, until) if plan_ids else set()
    rows = [r for r in rows if (r["plan_id"], r["target_key"], r["due_on"]) not in existing]
    created = 0
    for start in range(0, len(rows), BATCH):
        created += await _insert(session, rows[start : start + BATCH], pairs, places)
    return {"plans": len(pairs), "due": due_count, "created": created}


def _visit_row(
    plan: ServicePlan,
    contract: Contract,
    target: Target,
    place: Place,
    due: date,
    holidays: dict[int | None, set[date]],
) -> dict[str, Any]:
    day = move_off_days(
        due, plan.holiday_policy, holidays.get(place.territory_id, set()), plan.non_working_weekdays
    )
    opens = day - timedelta(days=plan.tolerance_before_days)
    closes = day + timedelta(days=plan.tolerance_after_days + 1)
    return {
        "plan_id": plan.id,
        "contract_id": contract.id,
        "customer_id": contract.customer_id,
        "site_id": target.site_id,
        "asset_id": target.asset_id,
        "territory_id": place.territory_id,
        "target_key": target.key,
        "due_on": due,
        "visit_on": day,
        "window_start": datetime.combine(opens, time(), place.zone),
        "window_end": datetime.combine(closes, time(), place.zone),
        "status": VisitStatus.PLANNED.value,
        "created_at": utcnow(),
    }


async def _targets(
    session: AsyncSession, pairs: list[tuple[ServicePlan, Contract]]
) -> dict[int, list[Target]]:
    """What each plan visits, with two queries for all the plans."""
    contract_ids = {c.id for p, c in pairs if p.target is PlanTarget.ALL_COVERED}
    covered: dict[int, list[Target]] = defaultdict(list)
    if contract_ids:
        direct = (
            select(ContractCoverage.contract_id, Asset.id, Asset.site_id)
            .join(
                Asset,
                or_(
                    col(Asset.id) == col(ContractCoverage.asset_id),
                    col(Asset.site_id) == col(ContractCoverage.site_id),
                ),
            )
            .where(
                col(ContractCoverage.contract_id).in_(contract_ids),
                col(Asset.archived_at).is_(None),
            )
            .order_by(col(Asset.id))
        )
        for contract_id, asset_id, site_id in (await session.execute(direct)).all():
            target = Target(f"a{asset_id}", site_id, asset_id)
            if target not in covered[contract_id]:
                covered[contract_id].append(target)
    listed = {a for p, _ in pairs if p.target is PlanTarget.ASSETS for a in p.asset_ids}
    asset_sites: dict[int, int] = {}
    if listed:
        rows = await session.execute(
            select(Asset.id, Asset.site_id).where(
                col(Asset.id).in_(listed), col(Asset.archived_at).is_(None)
            )
        )
        asset_sites = dict(rows.all())
    result: dict[int, list[Target]] = {}
    for plan, contract in pairs:
        assert plan.id is not None and contract.id is not None
        if plan.target is PlanTarget.SITE and plan.site_id is not None:
            result[plan.id] = [Target(f"s{plan.site_id}", plan.site_id, None)]
        elif plan.target is PlanTarget.ASSETS:
            result[plan.id] = [
                Target(f"a{a}", asset_sites[a], a) for a in plan.asset_ids if a in asset_sites
            ]
        else:
            result[plan.id] = covered.get(contract.id, [])
    return result


async def _places(session: AsyncSession, site_ids: set[int]) -> dict[int, Place]:
    """Each site's customer, point, territory (the smallest covering it) and time zone."""
    if not site_ids:
        return {}
    site_point = cast(col(Site.point), Geometry)
    territory = (
        select(Territory.id, Territory.time_zone)
        .where(func.ST_Covers(Territory.area, site_point), col(Territory.archived_at).is_(None))
        .order_by(func.ST_Area(Territory.area))
        .limit(1)
        .lateral("territory")
    )
    columns: list[Any] = [
        Site.id,
        Site.customer_id,
        Site.point,
        territory.c.id,
        territory.c.time_zone,
    ]
    rows = await session.execute(
        select(*columns)
        .select_from(Site)
        .outerjoin(territory, col(Site.id).isnot(None))
        .where(col(Site.id).in_(site_ids), col(Site.archived_at).is_(None))
    )
    return {
        site_id: Place(customer_id, point, territory_id, ZoneInfo(zone or "UTC"))
        for site_id, customer_id, point, territory_id, zone in rows.all()
    }


async def _holidays(
    session: AsyncSession, territory_ids: set[int | None], since: date, until: date
) -> dict[int | None, set[date]]:
    ids = [t for t in territory_ids if t is not None]
    result: dict[int | None, set[date]] = defaultdict(set)
    if not ids:
        return result
    rows = await session.execute(
        select(col(TerritoryHoliday.territory_id), col(TerritoryHoliday.day)).where(
            col(TerritoryHoliday.territory_id).in_(ids),
            col(TerritoryHoliday.day).between(since - timedelta(days=31), until + timedelta(31)),
        )
    )
    for territory_id, day in rows.all():
        result[territory_id].add(day)
    return result


async def _existing(
    session: AsyncSession, plan_ids: list[int], since: date, until: date
) -> set[tuple[int, str, date]]:
    """Keys of the visits already made in the range: a rerun then inserts nothing at all."""
    rows = await session.execute(
        select(
            col(PlannedVisit.plan_id), col(PlannedVisit.target_key), col(PlannedVisit.due_on)
        ).where(
            col(PlannedVisit.plan_id).in_(plan_ids),
            col(PlannedVisit.due_on).between(since, until),
        )
    )
    return {(p, k, d) for p, k, d in rows.all()}


async def _insert(
    session: AsyncSession,
    rows: list[dict[str, Any]],
    pairs: list[tuple[ServicePlan, Contract]],
    places: dict[int, Place],
) -> int:
    """Insert the visits that do not exist and make a task for each one this call inserted
    (Core statements in batches: no ORM objects for thousands of rows)."""
    inserted = await session.execute(
        insert(VISITS)
        .on_conflict_do_nothing(constraint="uq_planned_visit")
        .returning(VISITS.c.id, VISITS.c.plan_id, VISITS.c.target_key, VISITS.c.due_on),
        rows,
    )
    fresh = {(r[1], r[2], r[3]): r[0] for r in inserted.all()}
    if not fresh:
        return 0
    plans = {p.id: p for p, _ in pairs}
    new = [r for r in rows if (r["plan_id"], r["target_key"], r["due_on"]) in fresh]
    now = utcnow()
    order_ids = (
        (
            await session.execute(
                insert(ORDERS).returning(ORDERS.c.id, sort_by_parameter_order=True),
                [
                    {
                        "customer_id": r["customer_id"],
                        "site_id": r["site_id"],
                        "asset_id": r["asset_id"],
                        "status": "OPEN",
                        "created_at": now,
                        "updated_at": now,
                        "version": 1,
                    }
                    for r in new
                ],
            )
        )
        .scalars()
        .all()
    )
    task_ids = (
        (
            await session.execute(
                insert(TASKS).returning(TASKS.c.id, sort_by_parameter_order=True),
                [
                    _task(plans[r["plan_id"]], r, o, places[r["site_id"]], now)
                    for r, o in zip(new, order_ids, strict=True)
                ],
            )
        )
        .scalars()
        .all()
    )
    skills = await _skill_ids(session, [plans[p] for p in {r["plan_id"] for r in new}])
    needs = [
        {"task_id": t, "skill_id": skill, "min_level": level}
        for r, t in zip(new, task_ids, strict=True)
        for skill, level in skills.get(r["plan_id"], [])
    ]
    if needs:
        await session.execute(insert(TaskSkill.__table__), needs)  # type: ignore[attr-defined]
    await session.execute(
        insert(TaskEvent.__table__),  # type: ignore[attr-defined]
        [
            {
                "task_id": t,
                "action": "CREATE",
                "to_status": TaskStatus.UNSCHEDULED.value,
                "at": now,
                "actor": SYSTEM_ACTOR.subject,
                "actor_role": SYSTEM_ACTOR.role,
                "actor_name": SYSTEM_ACTOR.name,
                "reason": "planned visit",
            }
            for t in task_ids
        ],
    )
    await session.execute(
        text(
            "UPDATE planned_visits AS v SET task_id = u.task_id "
            "FROM unnest(CAST(:ids AS bigint[]), CAST(:tasks AS bigint[])) AS u(id, task_id) "
            "WHERE v.id = u.id"
        ),
        {
            "ids": [fresh[(r["plan_id"], r["target_key"], r["due_on"])] for r in new],
            "tasks": list(task_ids),
        },
    )
    return len(new)


def _task(
    plan: ServicePlan, row: dict[str, Any], order_id: int, place: Place, now: datetime
) -> dict[str, Any]:
    return {
        "type": plan.visit_type.value,
        "description": f"{plan.name} (planned visit due {row['due_on'].isoformat()})",
        "priority": 3,
        "duration_minutes": plan.duration_minutes,
        "crew_size": 1,
        "window_start": row["window_start"],
        "window_end": row["window_end"],
        "work_order_id": order_id,
        "customer_id": row["customer_id"],
        "site_id": row["site_id"],
        "asset_id": row["asset_id"],
        "territory_id": row["territory_id"],
        "location": place.point,
        "status": TaskStatus.UNSCHEDULED.value,
        "preferred_technician_ids": (
            [plan.preferred_technician_id] if plan.preferred_technician_id else []
        ),
        "excluded_technician_ids": [],
        "prerequisites": [],
        "rejection_count": 0,
        "outside_geofence": False,
        "off_schedule": False,
        "sla_state": "ON_TRACK",
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


async def _skill_ids(
    session: AsyncSession, plans: list[ServicePlan]
) -> dict[int | None, list[tuple[int, int]]]:
    codes = {s["code"] for p in plans for s in p.required_skills}
    if not codes:
        return {}
    rows = await session.execute(select(Skill.code, Skill.id).where(col(Skill.code).in_(codes)))
    known: dict[str, int] = dict(rows.all())
    return {
        p.id: [
            (known[s["code"]], s.get("min_level", 1))
            for s in p.required_skills
            if s["code"] in known
        ]
        for p in plans
    }


async def settle(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Visits whose task completed are DONE (even late); cancelled tasks cancel their visit;
    a visit whose task's window (the tolerance window, or the one the customer rescheduled
    to) closed without completion is MISSED, with an alert."""
    done = await session.execute(
        update(PlannedVisit)
        .where(
            col(PlannedVisit.task_id) == col(Task.id),
            col(PlannedVisit.status).in_([VisitStatus.PLANNED, VisitStatus.MISSED]),
            col(Task.status) == TaskStatus.COMPLETED,
        )
        .values(status=VisitStatus.DONE, closed_at=Task.finished_at)
        .returning(col(PlannedVisit.id))
    )
    cancelled = await session.execute(
        update(PlannedVisit)
        .where(
            col(PlannedVisit.task_id) == col(Task.id),
            col(PlannedVisit.status) == VisitStatus.PLANNED,
            col(Task.status) == TaskStatus.CANCELLED,
        )
        .values(status=VisitStatus.CANCELLED, closed_at=now, cancel_reason=Task.cancel_reason)
        .returning(col(PlannedVisit.id))
    )
    missed = (
        await session.execute(
            update(PlannedVisit)
            .where(
                col(PlannedVisit.task_id) == col(Task.id),
                col(PlannedVisit.status) == VisitStatus.PLANNED,
                func.coalesce(Task.window_end, PlannedVisit.window_end) <= now,
            )
            .values(status=VisitStatus.MISSED, closed_at=now)
            .returning(
                col(PlannedVisit.id),
                col(PlannedVisit.task_id),
                col(PlannedVisit.territory_id),
                col(PlannedVisit.contract_id),
                col(PlannedVisit.due_on),
            )
        )
    ).all()
    for visit_id, task_id, territory_id, contract_id, due_on in missed:
        queue_event(
            session,
            ALERTS,
            MISSED_ALERT,
            {
                "level": 2,
                "message": f"a planned visit of contract {contract_id} due {due_on} was missed",
                "territory_id": territory_id,
                "task_id": task_id,
                "planned_visit_id": visit_id,
            },
        )
    return {
        "done": len(done.all()),
        "cancelled": len(cancelled.all()),
        "missed": len(missed),
    }
