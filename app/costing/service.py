"""Job costing: what a task cost (labour, parts at cost, travel) against what it earned.

- Labour: the time on the task (started to finished) x the technician's cost per hour; on a
  crew task, plus each other member's time (check-in to completion) x their cost per hour.
- Parts: the parts recorded as used x their unit cost.
- Travel: the distance travelled to the task x the technician's cost per km: the path of the
  technician's location pings between starting travel and checking in when there are any,
  else the straight line from the technician's home base to the site.
- Revenue: the net (pre-tax) amount of the task's issued invoices, less credit notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.billing.models import CENT
from app.work_orders.models import Task, TaskStatus


@dataclass(frozen=True, slots=True)
class JobCost:
    task_id: int
    technician_id: int | None
    territory_id: int | None
    labour_cost: Decimal
    parts_cost: Decimal
    travel_km: Decimal
    travel_cost: Decimal
    revenue: Decimal

    @property
    def cost(self) -> Decimal:
        return self.labour_cost + self.parts_cost + self.travel_cost

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


JOB_COSTS = text(
    """
    SELECT t.id, t.technician_id, t.territory_id,
        COALESCE(EXTRACT(EPOCH FROM (t.finished_at - t.started_at)) / 3600, 0)
            * COALESCE(tech.cost_per_hour, 0)
        + (SELECT COALESCE(SUM(EXTRACT(EPOCH FROM (c.completed_at - c.checked_in_at)) / 3600
                               * COALESCE(member.cost_per_hour, 0)), 0)
             FROM crew_members c JOIN technicians member ON member.id = c.technician_id
            WHERE c.task_id = t.id AND NOT c.is_lead) AS labour_cost,
        (SELECT COALESCE(SUM(tp.quantity * p.unit_cost), 0)
           FROM task_parts tp JOIN parts p ON p.sku = tp.part_code
          WHERE tp.task_id = t.id) AS parts_cost,
        COALESCE(
            (SELECT ST_Length(ST_MakeLine(ping.location::geometry
                                          ORDER BY ping.recorded_at)::geography)
               FROM location_pings ping
              WHERE ping.technician_id = t.technician_id
                AND ping.recorded_at BETWEEN
                    (SELECT max(e.at) FROM task_events e
                      WHERE e.task_id = t.id AND e.action = 'START_TRAVEL')
                AND (SELECT max(e.at) FROM task_events e
                      WHERE e.task_id = t.id AND e.action = 'CHECK_IN')
             HAVING count(*) > 1),
            ST_Distance(tech.home_base, t.location),
            0
        ) / 1000 AS travel_km,
        (SELECT COALESCE(SUM(CASE WHEN i.kind = 'CREDIT_NOTE' THEN -i.net_amount
                                  ELSE i.net_amount END), 0)
           FROM invoices i
          WHERE i.task_id = t.id AND i.status NOT IN ('DRAFT', 'VOID')) AS revenue,
        COALESCE(tech.cost_per_km, 0) AS cost_per_km
    FROM tasks t
    LEFT JOIN technicians tech ON tech.id = t.technician_id
    WHERE t.id = ANY(:task_ids)
    ORDER BY t.id
    """
)
"""One query for many tasks: the travel path is the pings between starting travel and
checking in (two or more), else the straight line from the technician's home base."""


async def job_costs(session: AsyncSession, task_ids: Sequence[int]) -> list[JobCost]:
    """Costs and revenue of many tasks in one query."""
    if not task_ids:
        return []
    rows = (await session.execute(JOB_COSTS, {"task_ids": list(task_ids)})).all()
    costs = []
    for r in rows:
        km = Decimal(str(r.travel_km or 0)).quantize(Decimal("0.001"))
        costs.append(
            JobCost(
                task_id=r.id,
                technician_id=r.technician_id,
                territory_id=r.territory_id,
                labour_cost=_money(r.labour_cost),
                parts_cost=_money(r.parts_cost),
                travel_km=km,
                travel_cost=_money(km * Decimal(r.cost_per_km)),
                revenue=_money(r.revenue),
            )
        )
    return costs


async def completed_between(session: AsyncSession, start: datetime, end: datetime) -> list[int]:
    statement = select(col(Task.id)).where(
        col(Task.status) == TaskStatus.COMPLETED,
        col(Task.finished_at) >= start,
        col(Task.finished_at) < end,
    )
    return [task_id for task_id in (await session.scalars(statement)).all() if task_id]


@dataclass(frozen=True, slots=True)
class Margin:
    key: int | None
    tasks: int
    revenue: Decimal
    cost: Decimal

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost


def roll_up(costs: Sequence[JobCost], by: str) -> list[Margin]:
    """Sum job costs per technician or per territory."""
    groups: dict[int | None, list[JobCost]] = {}
    for job in costs:
        groups.setdefault(getattr(job, by), []).append(job)
    return [
        Margin(
            key=key,
            tasks=len(jobs),
            revenue=sum((j.revenue for j in jobs), Decimal(0)),
            cost=sum((j.cost for j in jobs), Decimal(0)),
        )
        for key, jobs in sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    ]
