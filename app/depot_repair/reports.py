"""Depot repair figures by depot and period: turnaround (received -> ready), repair yield,
QC failure rate, parts used per product model and fault, and units replaced under warranty
instead (from the replacements domain).

A period is [start, end). An order counts in the period where its event happened: received
orders by `received_at`, repairs by `ready_at`, declines and cancellations by their audit
event, QC checks by theirs, parts by when they were fitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.assets.models import Asset, ProductModel
from app.depot_repair.models import (
    Depot,
    RepairOrder,
    RepairOrderEvent,
    RepairPartUse,
    RepairStatus,
)
from app.inventory.models import Part, StockLocation
from app.replacements import repository as replacement_requests


@dataclass(frozen=True, slots=True)
class ReplacementFigures:
    """Units replaced under warranty instead of repaired, and their value, in a depot and
    period: approved replacement requests issued from the depot's stock."""

    count: int = 0
    value: Decimal = Decimal(0)


async def replacement_figures(
    session: AsyncSession, depot_id: int, start: datetime, end: datetime
) -> ReplacementFigures:
    depot = await session.get(Depot, depot_id)
    if depot is None:
        return ReplacementFigures()
    count, value = await replacement_requests.issued_from(
        session, depot.stock_location_id, start, end
    )
    return ReplacementFigures(count, value)


@dataclass(frozen=True, slots=True)
class PartsRow:
    product_model_code: str
    product_model_name: str
    fault_code: str | None
    part_sku: str
    part_name: str
    quantity: int
    orders: int
    cost: Decimal


@dataclass(frozen=True, slots=True)
class DepotReport:
    depot_id: int
    depot_name: str
    start: datetime
    end: datetime
    received: int
    repaired: int
    declined: int
    cancelled: int
    delivered: int
    average_turnaround_hours: float | None
    median_turnaround_hours: float | None
    on_time: int
    """Repairs ready by their promised time."""
    qc_checks: int
    qc_failures: int
    parts: list[PartsRow] = field(default_factory=list)
    replacements: ReplacementFigures = field(default_factory=ReplacementFigures)

    @property
    def repair_yield(self) -> float | None:
        """Repaired over every order that ended on the bench (repaired, declined, cancelled)."""
        ended = self.repaired + self.declined + self.cancelled
        return round(self.repaired / ended, 4) if ended else None

    @property
    def qc_failure_rate(self) -> float | None:
        return round(self.qc_failures / self.qc_checks, 4) if self.qc_checks else None

    @property
    def replacement_rate(self) -> float | None:
        total = self.repaired + self.replacements.count
        return round(self.replacements.count / total, 4) if total else None


def _hours(start: Any, end: Any) -> Any:
    return func.extract("epoch", end - start) / 3600.0


async def _order_counts(
    session: AsyncSession, depot_id: int, start: datetime, end: datetime
) -> dict[str, float | int | None]:
    o = RepairOrder
    ready = col(o.ready_at)
    in_period = sa.and_(ready >= start, ready < end)
    turnaround = _hours(col(o.received_at), ready)
    row = (
        await session.execute(
            sa.select(
                func.count().filter(col(o.received_at) >= start, col(o.received_at) < end),
                func.count().filter(in_period),
                func.avg(turnaround).filter(in_period),
                func.percentile_cont(0.5).within_group(turnaround).filter(in_period),
                func.count().filter(in_period, ready <= col(o.due_at)),
            ).where(col(o.depot_id) == depot_id)
        )
    ).one()
    received, repaired, average, median, on_time = row
    return {
        "received": received,
        "repaired": repaired,
        "average": round(float(average), 2) if average is not None else None,
        "median": round(float(median), 2) if median is not None else None,
        "on_time": on_time,
    }


async def _event_counts(
    session: AsyncSession, depot_id: int, start: datetime, end: datetime
) -> dict[str, int]:
    e = RepairOrderEvent
    rows = await session.execute(
        select(e.action, func.count())
        .join(RepairOrder, col(RepairOrder.id) == col(e.repair_order_id))
        .where(
            col(RepairOrder.depot_id) == depot_id,
            col(e.at) >= start,
            col(e.at) < end,
            col(e.action).in_(["DECLINE", "CANCEL", "DELIVER", "PASS_QC", "FAIL_QC"]),
        )
        .group_by(e.action)
    )
    return {str(action): int(count) for action, count in rows.all()}


async def parts_by_model_and_fault(
    session: AsyncSession, depot_id: int, start: datetime, end: datetime, limit: int = 100
) -> list[PartsRow]:
    u = RepairPartUse
    rows = await session.execute(
        sa.select(
            col(ProductModel.code),
            col(ProductModel.name),
            col(RepairOrder.fault_code),
            col(Part.sku),
            col(Part.name),
            func.sum(u.quantity),
            func.count(sa.distinct(col(u.repair_order_id))),
            func.sum(u.quantity * u.unit_cost),
        )
        .join(RepairOrder, col(RepairOrder.id) == col(u.repair_order_id))
        .join(Asset, col(Asset.id) == col(RepairOrder.asset_id))
        .join(ProductModel, col(ProductModel.id) == col(Asset.product_model_id))
        .join(Part, col(Part.id) == col(u.part_id))
        .where(col(RepairOrder.depot_id) == depot_id, col(u.used_at) >= start, col(u.used_at) < end)
        .group_by(
            col(ProductModel.code),
            col(ProductModel.name),
            col(RepairOrder.fault_code),
            col(Part.sku),
            col(Part.name),
        )
        .order_by(func.sum(u.quantity).desc(), col(ProductModel.code), col(Part.sku))
        .limit(limit)
    )
    return [
        PartsRow(code, name, fault, sku, part, int(qty), int(orders), Decimal(cost or 0))
        for code, name, fault, sku, part, qty, orders, cost in rows.all()
    ]


def _float(value: float | int | None) -> float | None:
    return None if value is None else float(value)


async def depot_report(
    session: AsyncSession, depot_id: int, start: datetime, end: datetime
) -> DepotReport | None:
    depot = await session.get(Depot, depot_id)
    if depot is None:
        return None
    location = await session.get(StockLocation, depot.stock_location_id)
    orders = await _order_counts(session, depot_id, start, end)
    events = await _event_counts(session, depot_id, start, end)
    return DepotReport(
        depot_id=depot_id,
        depot_name=location.name if location else "",
        start=start,
        end=end,
        received=int(orders["received"] or 0),
        repaired=int(orders["repaired"] or 0),
        declined=events.get("DECLINE", 0),
        cancelled=events.get("CANCEL", 0),
        delivered=events.get("DELIVER", 0),
        average_turnaround_hours=_float(orders["average"]),
        median_turnaround_hours=_float(orders["median"]),
        on_time=int(orders["on_time"] or 0),
        qc_checks=events.get("PASS_QC", 0) + events.get("FAIL_QC", 0),
        qc_failures=events.get("FAIL_QC", 0),
        parts=await parts_by_model_and_fault(session, depot_id, start, end),
        replacements=await replacement_figures(session, depot_id, start, end),
    )


async def depot_reports(
    session: AsyncSession, depot_ids: list[int], start: datetime, end: datetime
) -> list[DepotReport]:
    found = [await depot_report(session, depot_id, start, end) for depot_id in depot_ids]
    return [r for r in found if r is not None]


__all__ = ["RepairStatus"]
