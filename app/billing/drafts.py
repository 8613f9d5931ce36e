"""What a completion draft bills: the visit priced as it stands, with its coverage.

A completed task's draft is opened unpriced (the completion must not wait on, or fail for,
the price list). It is priced on the way out: `issue_invoice` stores the lines and freezes
them; a read shows the same lines and totals, computed and not stored (a query's transaction
is rolled back, and a read takes no lock), so a draft follows what it bills (a price list
entered after the visit, say) until it is issued.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.billing.coverage import apply_coverage, terms_for_visits, to_rows
from app.billing.models import (
    BillingLine,
    Estimate,
    EstimateStatus,
    Invoice,
    InvoiceStatus,
    LineKind,
)
from app.billing.pricing import (
    PriceBook,
    PricedLine,
    call_out_line,
    labour_line,
    part_line,
    price_book,
)
from app.core.errors import DomainError, ErrorCode
from app.core.models import utcnow
from app.inventory.models import Part
from app.work_orders.models import Task, TaskPart


@dataclass(frozen=True, slots=True)
class DraftPrice:
    """A visit's lines with their coverage, in the price list's currency; or, with no lines,
    why it cannot be priced yet (issuing the draft is refused for the same reason)."""

    currency: str | None
    """None when no price list is in force on the day (the draft keeps its own)."""
    lines: list[BillingLine] = field(default_factory=list)
    problem: DomainError | None = None


@dataclass(slots=True)
class _Visits:
    """What pricing reads for a batch of tasks, loaded once for all of them."""

    books: dict[date, PriceBook | DomainError]
    used: dict[int, list[TaskPart]]
    parts: dict[str, Part]
    extras: dict[int, list[BillingLine]]


async def price_visits(session: AsyncSession, tasks: Sequence[Task]) -> list[DraftPrice]:
    """Price each task's visit as its draft bills it: the time on the task, the call-out fee,
    the parts recorded as used and the fee lines of accepted estimates, each with its
    coverage on the day the visit finished. A fixed number of queries for the whole batch
    (a price list per day, and a contract's terms per contract and day)."""
    if not tasks:
        return []
    days = [_billed_on(task) for task in tasks]
    visits = await _load(session, tasks, set(days))
    visited = [(t.asset_id, t.site_id, day) for t, day in zip(tasks, days, strict=True)]
    terms = await terms_for_visits(session, visited)
    prices = []
    for task, day, coverage in zip(tasks, days, terms, strict=True):
        book = visits.books[day]
        if isinstance(book, DomainError):
            prices.append(DraftPrice(None, problem=book))
            continue
        try:
            lines = _lines(book, task, visits)
        except DomainError as error:
            prices.append(DraftPrice(book.currency, problem=error))
            continue
        rows = to_rows(apply_coverage(coverage, lines))
        prices.append(DraftPrice(book.currency, [_as_stored(row) for row in rows]))
    return prices


async def shown_drafts(
    session: AsyncSession, invoice_ids: Sequence[int]
) -> list[DraftPrice | None]:
    """How these invoices read: an unpriced completion draft as issuing would price it now
    (nothing is written); None for any other invoice, whose stored lines are its price."""
    statement = (
        select(Invoice.id, Task)
        .join(Task, col(Task.id) == col(Invoice.task_id))
        .where(col(Invoice.id).in_(set(invoice_ids)))
        .where(col(Invoice.status) == InvoiceStatus.DRAFT, col(Invoice.priced).is_(False))
        .order_by(col(Invoice.id))
    )
    rows = (await session.execute(statement)).all()
    prices = await price_visits(session, [task for _, task in rows])
    found = {invoice_id: price for (invoice_id, _), price in zip(rows, prices, strict=True)}
    return [found.get(invoice_id) for invoice_id in invoice_ids]


_SCALES = {
    column.key: Decimal(1).scaleb(-column.type.scale)
    for column in BillingLine.__table__.columns  # type: ignore[attr-defined]
    if isinstance(column.type, sa.Numeric) and column.type.scale is not None
}


def _as_stored(line: BillingLine) -> BillingLine:
    """The line as the database would give it back (amounts to their columns' scale), so a
    draft reads the same before and after it is stored."""
    for name, exponent in _SCALES.items():
        setattr(line, name, getattr(line, name).quantize(exponent))
    return line


def _billed_on(task: Task) -> date:
    return (task.finished_at or utcnow()).date()


async def _load(session: AsyncSession, tasks: Sequence[Task], days: set[date]) -> _Visits:
    books: dict[date, PriceBook | DomainError] = {}
    for day in sorted(days):
        try:
            books[day] = await price_book(session, day)
        except DomainError as error:
            books[day] = error
    task_ids = [task.id for task in tasks if task.id is not None]
    used: dict[int, list[TaskPart]] = defaultdict(list)
    statement = select(TaskPart).where(col(TaskPart.task_id).in_(task_ids))
    for row in (await session.scalars(statement.order_by(col(TaskPart.id)))).all():
        used[row.task_id].append(row)
    skus = {row.part_code for rows in used.values() for row in rows}
    parts: dict[str, Part] = {}
    if skus:
        found = await session.scalars(select(Part).where(col(Part.sku).in_(skus)))
        parts = {part.sku: part for part in found.all()}
    return _Visits(books, used, parts, await _accepted_extras(session, task_ids))


async def _accepted_extras(
    session: AsyncSession, task_ids: Sequence[int]
) -> dict[int, list[BillingLine]]:
    """Fee lines of accepted estimates (labour and parts are billed as actually done)."""
    if not task_ids:
        return {}
    statement = (
        select(Estimate.task_id, BillingLine)
        .join(Estimate, col(Estimate.id) == col(BillingLine.estimate_id))
        .where(
            col(Estimate.task_id).in_(task_ids),
            col(Estimate.status) == EstimateStatus.ACCEPTED,
            col(BillingLine.kind) == LineKind.FEE,
        )
        .order_by(col(BillingLine.id))
    )
    extras: dict[int, list[BillingLine]] = defaultdict(list)
    for task_id, line in (await session.execute(statement)).all():
        extras[task_id].append(line)
    return extras


def _lines(book: PriceBook, task: Task, visits: _Visits) -> list[PricedLine]:
    assert task.id is not None
    lines = [labour_line(book, task.type.value, _minutes_on(task), ["task"])]
    fee = call_out_line(book)
    if fee is not None:
        lines.append(fee)
    for used in visits.used.get(task.id, []):
        part = visits.parts.get(used.part_code)
        if part is None:
            raise DomainError(
                f"part {used.part_code} used on the task is not in the catalogue",
                ErrorCode.INVALID,
                ["taskId"],
            )
        lines.append(part_line(book, part, Decimal(used.quantity), ["parts"]))
    lines += [
        PricedLine(
            kind=row.kind,
            description=row.description,
            quantity=row.quantity,
            unit_price=row.unit_price,
            amount=row.amount,
            tax_category=row.tax_category,
            tax_rate=book.tax_rate(row.tax_category, ["estimate"]),
        )
        for row in visits.extras.get(task.id, [])
    ]
    return lines


def _minutes_on(task: Task) -> Decimal:
    if task.started_at and task.finished_at and task.finished_at > task.started_at:
        seconds = (task.finished_at - task.started_at).total_seconds()
        return Decimal(round(seconds / 60))
    return Decimal(task.duration_minutes)
