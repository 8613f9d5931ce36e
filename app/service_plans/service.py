"""Service plan rules: creating and editing plans, ending a contract, entitlement consumption."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import Asset
from app.contracts.models import Contract
from app.core.errors import DomainError, ErrorCode, FieldProblem, NotFound, camel, collect
from app.core.models import utcnow
from app.core.repository import check_version, get_for_update
from app.customers.models import Site
from app.inspections.models import ChecklistTemplate
from app.renewals import service as renewals
from app.service_plans import generation
from app.service_plans.models import (
    PlannedVisit,
    PlanTarget,
    ServicePlan,
    ServicePlanCreate,
    ServicePlanFields,
    VisitStatus,
)
from app.technicians.models import Skill, Technician
from app.work_orders.models import Task, TaskStatus, TaskType
from app.work_orders.transitions import Action, Actor, Change, apply

PLAN_VISIT_TYPES = frozenset({TaskType.PREVENTIVE, TaskType.INSPECTION, TaskType.MAINTENANCE})
UNSENT = frozenset({TaskStatus.UNSCHEDULED, TaskStatus.SCHEDULED})
"""A visit whose task is in these states has not been dispatched: a plan edit may remake it."""
NOT_STARTED = frozenset(
    {TaskStatus.UNSCHEDULED, TaskStatus.SCHEDULED, TaskStatus.DISPATCHED, TaskStatus.ACCEPTED}
)
"""Ending a contract cancels the later visits whose technician has not set off yet."""
NOT_NULL = frozenset(
    {
        "name",
        "visit_type",
        "target",
        "frequency",
        "interval",
        "starts_on",
        "tolerance_before_days",
        "tolerance_after_days",
        "duration_minutes",
        "holiday_policy",
        "by_months",
        "non_working_weekdays",
        "asset_ids",
    }
)
"""Fields an update may leave out but not set to null (an empty list clears a list)."""
UNSHAPING = frozenset({"name", "checklist_template_id"})
"""Plan fields its visits do not depend on: changing only these remakes no visit (the
checklist is read from the plan when the visit is inspected)."""


async def create_plan(
    session: AsyncSession, data: ServicePlanCreate, today: date, horizon_days: int
) -> ServicePlan:
    contract = await session.get(Contract, data.contract_id)
    if contract is None or contract.archived_at is not None:
        raise NotFound("contract", ["contractId"])
    values = data.model_dump(exclude_none=True)
    values.setdefault("visit_type", TaskType.PREVENTIVE)
    values.setdefault("starts_on", max(contract.starts_on, today))
    plan = ServicePlan.model_validate(values)
    plan.required_skills = [s.model_dump() for s in data.required_skills or []]
    await _check(session, plan, contract)
    session.add(plan)
    await session.flush()
    assert plan.id is not None
    await generation.generate(session, today, horizon_days, plan_ids=[plan.id])
    return plan


async def update_plan(
    session: AsyncSession,
    actor: Actor,
    plan_id: int,
    changes: ServicePlanFields,
    expected_version: int | None,
    today: date,
    horizon_days: int,
) -> ServicePlan:
    """Changes apply to visits from today on whose task was not dispatched: those are
    remade; visits already dispatched, under way or past keep what they were given."""
    await generation.hold_generation_lock(session)
    plan = await get_for_update(session, ServicePlan, plan_id, what="service plan")
    check_version(plan, expected_version)
    values = changes.model_dump(exclude_unset=True)
    nulls = [FieldProblem("cannot be null", ErrorCode.INVALID, [camel(k)]) for k in values]
    collect([p for p, k in zip(nulls, values, strict=True) if k in NOT_NULL and values[k] is None])
    if "required_skills" in values:
        values["required_skills"] = [s.model_dump() for s in changes.required_skills or []]
    shaping = [n for n in ServicePlanFields.model_fields if n not in UNSHAPING]
    before = {n: getattr(plan, n) for n in shaping}
    for name, value in values.items():
        setattr(plan, name, value)
    contract = await session.get(Contract, plan.contract_id)
    assert contract is not None
    await _check(session, plan, contract)
    plan.touch()
    await session.flush()
    if any(getattr(plan, n) != before[n] for n in shaping):
        await _withdraw(session, actor, plan_id, today, UNSENT, "the service plan changed")
    if plan.archived_at is None:
        await generation.generate(session, today, horizon_days, plan_ids=[plan_id])
    return plan


async def archive_plan(
    session: AsyncSession, actor: Actor, plan_id: int, expected_version: int | None, today: date
) -> ServicePlan:
    """The plan stops; its visits from today on that were not dispatched are cancelled."""
    await generation.hold_generation_lock(session)
    plan = await get_for_update(session, ServicePlan, plan_id, what="service plan")
    check_version(plan, expected_version)
    if plan.archived_at is None:
        plan.archived_at = utcnow()
        plan.touch()
        await _withdraw(session, actor, plan_id, today, UNSENT, "the service plan was stopped")
        await session.flush()
    return plan


async def end_contract(
    session: AsyncSession,
    actor: Actor,
    contract_id: int,
    ends_on: date,
    reason: str,
    expected_version: int | None,
) -> tuple[Contract, int]:
    """End (or terminate early) a contract on `ends_on`; its visits after that day which have
    not started are cancelled with the reason. Returns the contract and how many were."""
    await generation.hold_generation_lock(session)
    contract = await get_for_update(session, Contract, contract_id, what="contract")
    check_version(contract, expected_version)
    if contract.archived_at is not None:
        raise DomainError("the contract is archived", ErrorCode.INVALID, ["contractId"])
    if ends_on < contract.starts_on or ends_on > contract.ends_on:
        raise DomainError(
            "the end must fall within the contract's period", ErrorCode.INVALID, ["endsOn"]
        )
    if ends_on != contract.ends_on:
        await renewals.expire_renewal_offers(
            session, contract_id, f"contract ended early: {reason}", utcnow()
        )
    contract.ends_on = ends_on
    contract.touch()
    visits = await session.scalars(
        select(PlannedVisit)
        .where(
            col(PlannedVisit.contract_id) == contract_id,
            col(PlannedVisit.visit_on) > ends_on,
            col(PlannedVisit.status) == VisitStatus.PLANNED,
        )
        .with_for_update()
    )
    cancelled = 0
    for visit in visits.all():
        if await _cancel(session, actor, visit, NOT_STARTED, f"contract ended: {reason}"):
            cancelled += 1
    await session.flush()
    return contract, cancelled


async def _withdraw(
    session: AsyncSession,
    actor: Actor,
    plan_id: int,
    today: date,
    statuses: frozenset[TaskStatus],
    reason: str,
) -> None:
    """Cancel the plan's future visits still in `statuses` and free their keys to be remade."""
    visits = await session.scalars(
        select(PlannedVisit)
        .where(
            col(PlannedVisit.plan_id) == plan_id,
            col(PlannedVisit.visit_on) >= today,
            col(PlannedVisit.status) == VisitStatus.PLANNED,
        )
        .with_for_update()
    )
    withdrawn = [v.id for v in visits.all() if await _cancel(session, actor, v, statuses, reason)]
    if withdrawn:
        await session.execute(delete(PlannedVisit).where(col(PlannedVisit.id).in_(withdrawn)))


async def _cancel(
    session: AsyncSession,
    actor: Actor,
    visit: PlannedVisit,
    statuses: frozenset[TaskStatus],
    reason: str,
) -> bool:
    task = None
    if visit.task_id is not None:
        task = await session.scalar(
            select(Task).where(col(Task.id) == visit.task_id).with_for_update()
        )
    if task is not None:
        if task.status not in statuses:
            return False
        apply(session, task, Change(Action.CANCEL, actor, reason))
        task.cancel_reason = reason[:500]
    visit.status = VisitStatus.CANCELLED
    visit.cancel_reason = reason[:500]
    visit.closed_at = utcnow()
    return True


async def _check(session: AsyncSession, plan: ServicePlan, contract: Contract) -> None:
    problems = []
    if plan.visit_type not in PLAN_VISIT_TYPES:
        problems.append(
            FieldProblem(
                "a planned visit is PREVENTIVE, INSPECTION or MAINTENANCE work",
                ErrorCode.INVALID,
                ["visitType"],
            )
        )
    problems += _recurrence_problems(plan, contract)
    problems += await _target_problems(session, plan, contract)
    if plan.preferred_technician_id is not None and (
        await session.get(Technician, plan.preferred_technician_id) is None
    ):
        problems.append(
            FieldProblem("technician not found", ErrorCode.NOT_FOUND, ["preferredTechnicianId"])
        )
    if plan.checklist_template_id is not None:
        template = await session.get(ChecklistTemplate, plan.checklist_template_id)
        if template is None or template.archived_at is not None:
            problems.append(
                FieldProblem(
                    "checklist template not found (or archived)",
                    ErrorCode.NOT_FOUND,
                    ["checklistTemplateId"],
                )
            )
    codes = [s["code"] for s in plan.required_skills]
    known = set((await session.scalars(select(Skill.code).where(col(Skill.code).in_(codes)))).all())
    problems += [
        FieldProblem(f"unknown skill {c}", ErrorCode.INVALID, ["requiredSkills", str(i)])
        for i, c in enumerate(codes)
        if c not in known
    ]
    collect(problems)


def _recurrence_problems(plan: ServicePlan, contract: Contract) -> list[FieldProblem]:
    problems = []
    if any(m < 1 or m > 12 for m in plan.by_months):
        problems.append(FieldProblem("months are 1 to 12", ErrorCode.INVALID, ["byMonths"]))
    if (
        any(d < 0 or d > 6 for d in plan.non_working_weekdays)
        or len(set(plan.non_working_weekdays)) > 6
    ):
        problems.append(
            FieldProblem(
                "weekdays are 0 (Monday) to 6, and one at least is worked",
                ErrorCode.INVALID,
                ["nonWorkingWeekdays"],
            )
        )
    if plan.week_of_month is not None and (plan.weekday is None or plan.week_of_month == 0):
        problems.append(
            FieldProblem(
                "an nth weekday needs a weekday and 1..5 or -1 (last)",
                ErrorCode.INVALID,
                ["weekOfMonth"],
            )
        )
    if plan.month_day == 0:
        problems.append(
            FieldProblem("a day of the month is 1..31 or -1", ErrorCode.INVALID, ["monthDay"])
        )
    if plan.ends_on is not None and plan.ends_on < plan.starts_on:
        problems.append(
            FieldProblem("the plan ends before it starts", ErrorCode.INVALID, ["endsOn"])
        )
    if plan.starts_on > contract.ends_on:
        problems.append(
            FieldProblem("the plan starts after the contract ends", ErrorCode.INVALID, ["startsOn"])
        )
    return problems


async def _target_problems(
    session: AsyncSession, plan: ServicePlan, contract: Contract
) -> list[FieldProblem]:
    if plan.target is PlanTarget.SITE:
        site = await session.get(Site, plan.site_id) if plan.site_id else None
        if site is None:
            return [FieldProblem("a SITE plan needs its site", ErrorCode.NOT_FOUND, ["siteId"])]
        if site.customer_id != contract.customer_id:
            return [FieldProblem("the site is another customer's", ErrorCode.INVALID, ["siteId"])]
        return []
    plan.site_id = None
    if plan.target is PlanTarget.ALL_COVERED:
        plan.asset_ids = []
        return []
    plan.asset_ids = list(dict.fromkeys(plan.asset_ids))
    if not plan.asset_ids:
        return [FieldProblem("list at least one asset", ErrorCode.INVALID, ["assetIds"])]
    rows = await session.scalars(select(Asset).where(col(Asset.id).in_(plan.asset_ids)))
    found = {a.id: a for a in rows.all()}
    problems = []
    for index, asset_id in enumerate(plan.asset_ids):
        asset = found.get(asset_id)
        if asset is None:
            problems.append(
                FieldProblem("not found", ErrorCode.NOT_FOUND, ["assetIds", str(index)])
            )
        elif asset.customer_id != contract.customer_id:
            problems.append(
                FieldProblem(
                    "another customer's asset", ErrorCode.INVALID, ["assetIds", str(index)]
                )
            )
    return problems


@dataclass(frozen=True, slots=True)
class Entitlement:
    """How a contract's promised visits are used."""

    contract_id: int
    included: int
    planned: int
    done: int
    missed: int
    cancelled: int

    @property
    def remaining(self) -> int:
        return max(self.included - self.done, 0)


def included_visits(contract: Contract, generated: int) -> int:
    """Visits per year pro rata over the period; without a figure, what the plans generate."""
    if contract.visits_per_year is None:
        return generated
    days = (contract.ends_on - contract.starts_on + timedelta(days=1)).days
    return round(contract.visits_per_year * days / 365)


async def entitlements(session: AsyncSession, contract_ids: list[int]) -> list[Entitlement]:
    """One query for the counts of all the contracts, in the order asked."""
    rows = await session.execute(
        select(PlannedVisit.contract_id, PlannedVisit.status, func.count())
        .where(col(PlannedVisit.contract_id).in_(contract_ids))
        .group_by(col(PlannedVisit.contract_id), col(PlannedVisit.status))
    )
    counts: dict[int, dict[str, int]] = {c: {} for c in contract_ids}
    for contract_id, status, count in rows.all():
        counts[contract_id][str(status)] = count
    contracts = await session.scalars(select(Contract).where(col(Contract.id).in_(contract_ids)))
    by_id: dict[Any, Contract] = {c.id: c for c in contracts.all()}
    result = []
    for contract_id in contract_ids:
        c = counts[contract_id]
        planned, done, missed = c.get("PLANNED", 0), c.get("DONE", 0), c.get("MISSED", 0)
        result.append(
            Entitlement(
                contract_id=contract_id,
                included=included_visits(by_id[contract_id], planned + done + missed),
                planned=planned,
                done=done,
                missed=missed,
                cancelled=c.get("CANCELLED", 0),
            )
        )
    return result
