"""Service plans on the demo city's contracts, and their visits over the horizon.

Each contract promising visits (AMC/CMC `visits_per_year`, four a year when unset) gets a
PREVENTIVE plan on every covered asset, spread evenly over the year from the contract's
start; every third CMC also gets a yearly INSPECTION plan. Visits are then generated as the
job would on the demo day.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.contracts.models import Contract, ContractKind
from app.core.config import get_settings
from app.service_plans.generation import generate
from app.service_plans.models import PlanFrequency, PlanTarget, ServicePlan
from app.work_orders.models import TaskType

DEFAULT_VISITS = {ContractKind.AMC: 4, ContractKind.CMC: 4}
"""Visits a year a demo AMC/CMC promises when the city did not say."""


def _plans(contract: Contract) -> list[ServicePlan]:
    assert contract.id is not None
    plans = []
    if contract.visits_per_year is None and contract.kind in DEFAULT_VISITS:
        contract.visits_per_year = DEFAULT_VISITS[contract.kind]
    per_year = contract.visits_per_year or 0
    if per_year > 0:
        months = max(1, 12 // min(per_year, 12))
        plans.append(
            ServicePlan(
                contract_id=contract.id,
                name=f"{contract.kind.value} preventive visit every {months} month(s)",
                visit_type=TaskType.PREVENTIVE,
                target=PlanTarget.ALL_COVERED,
                frequency=PlanFrequency.MONTHLY,
                interval=months,
                starts_on=contract.starts_on,
                tolerance_before_days=3,
                tolerance_after_days=7,
                duration_minutes=60,
            )
        )
    if contract.kind is ContractKind.CMC and contract.id % 3 == 0:
        plans.append(
            ServicePlan(
                contract_id=contract.id,
                name="Yearly safety inspection",
                visit_type=TaskType.INSPECTION,
                target=PlanTarget.ALL_COVERED,
                frequency=PlanFrequency.YEARLY,
                starts_on=contract.starts_on,
                tolerance_before_days=7,
                tolerance_after_days=14,
                duration_minutes=45,
            )
        )
    return plans


async def seed_plans(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Plans for the unarchived contracts still running, then the horizon's visits."""
    today = now.date()
    contracts = await session.scalars(
        select(Contract)
        .where(col(Contract.archived_at).is_(None), col(Contract.ends_on) >= today)
        .order_by(col(Contract.id))
    )
    plans = [plan for contract in contracts.all() for plan in _plans(contract)]
    session.add_all(plans)
    await session.flush()
    counts = await generate(session, today, get_settings().service_plan_horizon_days)
    return {"plans": len(plans), "visits": counts["created"]}
