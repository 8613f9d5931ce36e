"""Replacement request queries scoped to the caller, and the replacement report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, func, select
from sqlmodel.sql.expression import SelectOfScalar

from app.attachments.models import Attachment
from app.core.auth import Principal, Role
from app.depot_repair import repository as repair_orders
from app.depot_repair.models import RepairOrder
from app.replacements.models import ReplacementEvidence, ReplacementRequest, ReplacementStatus
from app.work_orders import repository as tasks
from app.work_orders.models import Task


def readable(principal: Principal | None) -> SelectOfScalar[ReplacementRequest]:
    """Staff read every request; a technician those of the tasks and depot repair orders they
    may read; a customer their own; partners none (a replacement is the organisation's and the
    customer's)."""
    statement = select(ReplacementRequest)
    if principal is None:
        return statement.where(false())
    if principal.is_staff:
        return statement
    if principal.role is Role.CUSTOMER and principal.customer_id is not None:
        return statement.where(col(ReplacementRequest.customer_id) == principal.customer_id)
    if principal.role is Role.TECHNICIAN and principal.technician_id is not None:
        own_tasks = tasks.readable(principal).with_only_columns(col(Task.id))
        own_orders = repair_orders.readable(principal).with_only_columns(col(RepairOrder.id))
        return statement.where(
            col(ReplacementRequest.task_id).in_(own_tasks)
            | col(ReplacementRequest.repair_order_id).in_(own_orders)
        )
    return statement.where(false())


def listed(
    principal: Principal | None,
    *,
    statuses: list[ReplacementStatus] | None = None,
    task_id: int | None = None,
    asset_id: int | None = None,
    stock_location_id: int | None = None,
) -> SelectOfScalar[ReplacementRequest]:
    statement = readable(principal)
    if statuses:
        statement = statement.where(col(ReplacementRequest.status).in_(statuses))
    if task_id is not None:
        statement = statement.where(col(ReplacementRequest.task_id) == task_id)
    if asset_id is not None:
        statement = statement.where(col(ReplacementRequest.asset_id) == asset_id)
    if stock_location_id is not None:
        statement = statement.where(col(ReplacementRequest.stock_location_id) == stock_location_id)
    return statement


async def get_readable(
    session: AsyncSession, principal: Principal | None, request_id: int
) -> ReplacementRequest | None:
    return await session.scalar(readable(principal).where(col(ReplacementRequest.id) == request_id))


async def evidence_of(session: AsyncSession, request_ids: list[int]) -> list[list[Attachment]]:
    """Each request's evidence in the order offered (one query for many requests)."""
    rows = await session.execute(
        select(ReplacementEvidence.request_id, Attachment)
        .join(Attachment, col(Attachment.id) == col(ReplacementEvidence.attachment_id))
        .where(col(ReplacementEvidence.request_id).in_(request_ids))
        .order_by(col(ReplacementEvidence.position))
    )
    found: dict[int, list[Attachment]] = {i: [] for i in request_ids}
    for request_id, attachment in rows.all():
        found[request_id].append(attachment)
    return [found[i] for i in request_ids]


# --- the report ---------------------------------------------------------------------------


class Period(StrEnum):
    """The length of a report period."""

    WEEK = "WEEK"
    """Weeks from Monday."""
    MONTH = "MONTH"
    """Calendar months."""
    QUARTER = "QUARTER"
    """Calendar quarters."""


@dataclass(slots=True)
class ReportRow:
    stock_location_id: int
    period_start: date
    currency: str
    requested: int = 0
    approved: int = 0
    rejected: int = 0
    withdrawn: int = 0
    value: Decimal = Decimal("0.00")

    @property
    def rate(self) -> float | None:
        """Approved over decided (approved + rejected); None before any decision."""
        decided = self.approved + self.rejected
        return round(self.approved / decided, 4) if decided else None


def _bounds(since: date, until: date) -> tuple[datetime, datetime]:
    start = datetime.combine(since, time(0), tzinfo=UTC)
    return start, datetime.combine(until + timedelta(days=1), time(0), tzinfo=UTC)


async def report(
    session: AsyncSession,
    since: date,
    until: date,
    period: Period,
    stock_location_id: int | None = None,
) -> list[ReportRow]:
    """Per depot (the stock location a request issues from) and period, in UTC days: requests
    raised in the period, and those decided in it (approved, rejected, withdrawn) with the
    value of the units issued. Ordered by period, then depot."""
    start, end = _bounds(since, until)
    table = ReplacementRequest
    rows: dict[tuple[int, date, str], ReportRow] = {}

    def row(location: int, bucket: datetime, currency: str) -> ReportRow:
        key = (location, bucket.date(), currency)
        if key not in rows:
            rows[key] = ReportRow(location, bucket.date(), currency)
        return rows[key]

    def grouped(column: Any) -> Any:
        return func.date_trunc(period.value.lower(), func.timezone("UTC", column))

    def scoped(statement: Any) -> Any:
        if stock_location_id is not None:
            statement = statement.where(col(table.stock_location_id) == stock_location_id)
        return statement

    raised = grouped(col(table.created_at))
    statement = scoped(
        sa.select(col(table.stock_location_id), raised, col(table.currency), func.count())
        .where(col(table.created_at) >= start, col(table.created_at) < end)
        .group_by(col(table.stock_location_id), raised, col(table.currency))
    )
    for location, bucket, currency, count in (await session.execute(statement)).all():
        row(location, bucket, currency).requested = count
    decided_at = sa.func.coalesce(col(table.decided_at), col(table.updated_at))
    decided = grouped(decided_at)
    approved = col(table.status) == ReplacementStatus.APPROVED
    statement = scoped(
        sa.select(
            col(table.stock_location_id),
            decided,
            col(table.currency),
            func.count().filter(approved),
            func.count().filter(col(table.status) == ReplacementStatus.REJECTED),
            func.count().filter(col(table.status) == ReplacementStatus.WITHDRAWN),
            func.coalesce(func.sum(col(table.value)).filter(approved), 0),
        )
        .where(
            col(table.status) != ReplacementStatus.PENDING_APPROVAL,
            decided_at >= start,
            decided_at < end,
        )
        .group_by(col(table.stock_location_id), decided, col(table.currency))
    )
    for location, bucket, currency, ok, no, back, value in (await session.execute(statement)).all():
        found = row(location, bucket, currency)
        found.approved, found.rejected, found.withdrawn = ok, no, back
        found.value = Decimal(value).quantize(Decimal("0.01"))
    return sorted(rows.values(), key=lambda r: (r.period_start, r.stock_location_id, r.currency))


async def issued_from(
    session: AsyncSession, stock_location_id: int, start: datetime, end: datetime
) -> tuple[int, Decimal]:
    """Approved replacements issued from a stock location in [start, end): how many, and the
    value of the units."""
    table = ReplacementRequest
    statement = sa.select(func.count(), func.coalesce(func.sum(col(table.value)), 0)).where(
        col(table.status) == ReplacementStatus.APPROVED,
        col(table.stock_location_id) == stock_location_id,
        col(table.decided_at) >= start,
        col(table.decided_at) < end,
    )
    count, value = (await session.execute(statement)).one()
    return int(count), Decimal(value)
