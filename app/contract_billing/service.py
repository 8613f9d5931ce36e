"""Contract billing: a contract's price split over its billing periods, each period invoiced
once on its billing day through the gap-free invoice numbering, and the price recognised as
income day by day over the contract."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal

import sqlalchemy as sa
import structlog
from dateutil.relativedelta import relativedelta
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.billing import invoices
from app.billing.invoices import ManualInvoice
from app.billing.models import Invoice, InvoiceKind, InvoiceStatus, LineIn, LineKind
from app.billing.pricing import PriceBook, price_book
from app.contract_billing.models import (
    MONTHS,
    BillingFrequency,
    BillingTiming,
    ContractInvoice,
    ContractInvoicingTerms,
    TermsSet,
)
from app.contracts.models import Contract, ContractKind
from app.core.errors import DomainError, NotFound, invalid
from app.core.models import utcnow
from app.core.repository import check_version

CENT = Decimal("0.01")
MAX_MONTHS = 60
JOB_LOCK = 0x636F6E62  # "conb": one billing run at a time across instances

log = structlog.get_logger("fieldgraph.contract_billing")


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True, slots=True)
class Terms:
    frequency: BillingFrequency
    timing: BillingTiming
    bill_from: date
    version: int | None = None
    """None: the defaults, not stored yet."""


def periods(starts_on: date, ends_on: date, frequency: BillingFrequency) -> list[Period]:
    """The contract's billing periods. Each starts N months after the contract's first day,
    counted from that day (so a contract from 31 January has periods from 28/29 February,
    31 March...), and the last one ends with the contract."""
    step = MONTHS[frequency]
    found: list[Period] = []
    k = 0
    while (start := _months_after(starts_on, k * step)) is not None and start <= ends_on:
        following = _months_after(starts_on, (k + 1) * step)
        end = ends_on if following is None else min(ends_on, following - timedelta(days=1))
        found.append(Period(start, end))
        k += 1
    return found


def _months_after(day: date, months: int) -> date | None:
    """`day` plus `months`, or None past the calendar's last year."""
    try:
        return day + relativedelta(months=months)
    except (ValueError, OverflowError):
        return None


def uncovered(period: Period, billed: Sequence[Period]) -> list[Period]:
    """The parts of `period` that no billed range (sorted by start) covers."""
    pieces: list[Period] = []
    cursor = period.start
    for done in billed:
        if done.end < cursor:
            continue
        if done.start > period.end:
            break
        if done.start > cursor:
            pieces.append(Period(cursor, done.start - timedelta(days=1)))
        if done.end >= period.end:
            return pieces
        cursor = done.end + timedelta(days=1)
    pieces.append(Period(cursor, period.end))
    return pieces


def split(price: Decimal, parts: Sequence[Period]) -> list[Decimal]:
    """The price over the periods by their days, in cents that add up to the price exactly
    (largest remainders take the cents rounding left over)."""
    total_days = sum(p.days for p in parts)
    exact = [price * p.days / total_days for p in parts]
    amounts = [e.quantize(CENT, rounding=ROUND_DOWN) for e in exact]
    left = int((price - sum(amounts)) / CENT)
    by_remainder = sorted(range(len(parts)), key=lambda i: (amounts[i] - exact[i], i))
    for i in by_remainder[:left]:
        amounts[i] += CENT
    return amounts


def billing_day(period: Period, timing: BillingTiming) -> date:
    """In advance its first day; in arrears the day after its last (its last day itself
    when the calendar has no day after it)."""
    if timing is BillingTiming.IN_ADVANCE:
        return period.start
    return period.end + timedelta(days=1) if period.end < date.max else period.end


def default_terms(contract: Contract) -> Terms:
    """Annual, in advance, from the day the contract came to Fieldgraph."""
    return Terms(BillingFrequency.ANNUAL, BillingTiming.IN_ADVANCE, contract.created_at.date())


async def terms_of(session: AsyncSession, contracts: Sequence[Contract]) -> dict[int, Terms]:
    ids = [c.id for c in contracts if c.id is not None]
    rows = await session.scalars(
        select(ContractInvoicingTerms).where(col(ContractInvoicingTerms.contract_id).in_(ids))
    )
    stored = {
        row.contract_id: Terms(row.frequency, row.timing, row.bill_from, row.version)
        for row in rows.all()
    }
    return {c.id: stored.get(c.id) or default_terms(c) for c in contracts if c.id is not None}


async def set_terms(
    session: AsyncSession, contract_id: int, data: TermsSet, expected_version: int | None
) -> tuple[Contract, Terms]:
    """Change how a contract is billed; periods already invoiced stay as they were (see
    `schedule` for the days between them and the new periods)."""
    contract = await session.get(Contract, contract_id, with_for_update=True)
    if contract is None or contract.archived_at is not None:
        raise NotFound("contract", ["contractId"])
    _refuse_past_terms(data, contract)
    row = await session.scalar(
        select(ContractInvoicingTerms)
        .where(col(ContractInvoicingTerms.contract_id) == contract_id)
        .with_for_update()
    )
    if row is None:
        defaults = default_terms(contract)
        row = ContractInvoicingTerms(
            contract_id=contract_id,
            frequency=defaults.frequency,
            timing=defaults.timing,
            bill_from=defaults.bill_from,
            version=0,
        )
        session.add(row)
    check_version(row, expected_version)
    for name, value in data.model_dump(exclude_none=True).items():
        setattr(row, name, value)
    row.touch()
    await session.flush()
    return contract, Terms(row.frequency, row.timing, row.bill_from, row.version)


def _refuse_past_terms(data: TermsSet, contract: Contract) -> None:
    if data.bill_from is not None and data.bill_from > contract.ends_on:
        raise invalid("billFrom is after the contract ends: nothing would be billed", "billFrom")


# --- the schedule: billed ranges and what is left to bill ------------------------------------


@dataclass(frozen=True, slots=True)
class BilledPeriod:
    """A range of a contract's days that one invoice billed."""

    period: Period
    amount: Decimal
    invoice_id: int
    billed_on: date | None


@dataclass(frozen=True, slots=True)
class ScheduledPeriod:
    """A period of the schedule: billed (with its invoice) or still to bill."""

    period: Period
    amount: Decimal
    billing_day: date
    invoice_id: int | None = None


async def billed_of(
    session: AsyncSession, contract_ids: Sequence[int]
) -> dict[int, list[BilledPeriod]]:
    """The ranges billed so far per contract, by start, with the day each was invoiced."""
    rows = await session.execute(
        select(ContractInvoice, col(Invoice.issued_at))
        .join(Invoice, col(Invoice.id) == col(ContractInvoice.invoice_id))
        .where(col(ContractInvoice.contract_id).in_(contract_ids))
        .order_by(col(ContractInvoice.contract_id), col(ContractInvoice.period_start))
    )
    found: dict[int, list[BilledPeriod]] = defaultdict(list)
    for link, issued_at in rows.all():
        found[link.contract_id].append(
            BilledPeriod(
                Period(link.period_start, link.period_end),
                link.amount,
                link.invoice_id,
                issued_at.date() if issued_at else None,
            )
        )
    return found


def schedule(
    contract: Contract, terms: Terms, billed: Sequence[BilledPeriod]
) -> list[ScheduledPeriod]:
    """What was billed, then what is left: each period of the current terms less the days a
    billed range covers (terms or dates changed after billing: a period that overlaps a
    billed one is shortened to its days not billed yet, so no day is billed twice and none
    is skipped). What is left of the price (the price less what was billed) is split over
    the days left, so the invoices add up to the price to the cent."""
    done = sorted(billed, key=lambda b: b.period.start)
    ranges = [b.period for b in done]
    left = [
        piece
        for period in periods(contract.starts_on, contract.ends_on, terms.frequency)
        for piece in uncovered(period, ranges)
    ]
    rest = (contract.price or Decimal(0)) - sum((b.amount for b in done), Decimal(0))
    amounts = split(rest, left) if rest > 0 and left else [Decimal("0.00") for _ in left]
    rows = [
        ScheduledPeriod(
            b.period, b.amount, b.billed_on or billing_day(b.period, terms.timing), b.invoice_id
        )
        for b in done
    ]
    rows += [
        ScheduledPeriod(piece, amount, billing_day(piece, terms.timing))
        for piece, amount in zip(left, amounts, strict=True)
    ]
    return sorted(rows, key=lambda row: row.period.start)


def due_periods(
    contract: Contract, terms: Terms, billed: Sequence[BilledPeriod], today: date
) -> list[ScheduledPeriod]:
    """The periods not billed yet whose billing day has come (and is not before
    `bill_from`)."""
    return [
        row
        for row in schedule(contract, terms, billed)
        if row.invoice_id is None and terms.bill_from <= row.billing_day <= today and row.amount > 0
    ]


# --- the billing run -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BillingFailure:
    """A contract the run could not invoice; its other periods and other contracts were."""

    contract_id: int
    number: str
    message: str


@dataclass
class BillingRun:
    invoiced: int = 0
    skipped_locked: bool = False
    failed: list[BillingFailure] = field(default_factory=list)


async def bill_due(
    session: AsyncSession,
    today: date,
    now: datetime | None = None,
    only: Sequence[int] | None = None,
) -> BillingRun:
    """Invoice every contract period whose billing day has come (and is not before the
    terms' `bill_from`), once; `only`: just these contracts. Each contract is billed in a
    savepoint of its own: one that cannot be invoiced is reported in `failed` and the others
    are billed. Runs under a transaction-level advisory lock, so two instances never bill side
    by side; the unique period key backs that up."""
    run = BillingRun()
    locked = await session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(JOB_LOCK)))
    if not locked:
        run.skipped_locked = True
        return run
    contracts = await _billable(session, today, only)
    terms = await terms_of(session, contracts)
    billed = await billed_of(session, [c.id for c in contracts if c.id is not None])
    due = [
        (contract, found)
        for contract in contracts
        if (found := due_periods(contract, terms[contract.id], billed[contract.id], today))  # type: ignore[index]
    ]
    if not due:
        return run
    now = now or utcnow()
    try:
        book = await price_book(session, now.date())
    except DomainError as error:
        run.failed = [_failure(contract, error) for contract, _ in due]
        return run
    for contract, found in due:
        try:
            async with session.begin_nested():
                for row in found:
                    await _invoice_period(session, book, contract, row, now)
        except (DomainError, sa.exc.DBAPIError) as error:
            run.failed.append(_failure(contract, error))
            log.warning("contract not billed", contract_id=contract.id, error=str(error))
            continue
        run.invoiced += len(found)
    return run


async def _billable(
    session: AsyncSession, today: date, only: Sequence[int] | None
) -> Sequence[Contract]:
    return (
        await session.scalars(
            select(Contract)
            .where(
                col(Contract.price).is_not(None),
                col(Contract.price) > 0,
                col(Contract.archived_at).is_(None),
                col(Contract.starts_on) <= today,
                col(Contract.id).in_(only) if only is not None else sa.true(),
            )
            .order_by(col(Contract.id))
        )
    ).all()


def _failure(contract: Contract, error: Exception) -> BillingFailure:
    assert contract.id is not None
    if isinstance(error, sa.exc.DBAPIError):  # e.g. a price whose invoice overflows a column
        message = f"the database refused its invoice: {error.orig}"
    else:
        message = str(error)
    return BillingFailure(contract.id, contract.number, message)


async def _invoice_period(
    session: AsyncSession,
    book: PriceBook,
    contract: Contract,
    row: ScheduledPeriod,
    now: datetime,
) -> Invoice:
    """One period's invoice, in the contract's currency (its price is)."""
    assert contract.id is not None
    period = row.period
    line = LineIn(
        kind=LineKind.FEE,
        description=(
            f"{contract.number} ({contract.kind.value.replace('_', ' ').lower()}): service "
            f"{period.start:%d %b %Y} to {period.end:%d %b %Y}"
        ),
        quantity=Decimal(1),
        unit_price=row.amount,
    )
    data = ManualInvoice(customer_id=contract.customer_id, lines=[line], currency=contract.currency)
    draft = await invoices.create_invoice(session, data, now, book=book)
    session.add(
        ContractInvoice(
            contract_id=contract.id,
            invoice_id=draft.id,  # type: ignore[arg-type]
            period_start=period.start,
            period_end=period.end,
            amount=row.amount,
        )
    )
    await session.flush()
    return await invoices.issue(session, draft, now)


# --- income and the sales register ----------------------------------------------------------


EARLIEST, LATEST = date(1900, 1, 1), date(9000, 12, 31)
"""The days a report may name: wide enough for any contract, far from the calendar's ends."""
REGISTER_DAYS = 366
"""The longest sales register at once: a year, leap or not."""


def _check_day(day: date | None, name: str) -> None:
    if day is not None and not EARLIEST <= day <= LATEST:
        raise invalid(f"{name} must be from {EARLIEST} to {LATEST}", name)


@dataclass(frozen=True, slots=True)
class MonthIncome:
    month: date
    currency: str
    amount: Decimal
    contracts: int


def income_range(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    """The days an income report asks for: `last` by default today, `first` by default the
    first day of the month two months before `last`'s."""
    _check_day(first, "from")
    _check_day(last, "to")
    last = last or today
    return first or (last.replace(day=1) - relativedelta(months=2)), last


async def income_by_month(
    session: AsyncSession,
    first: date,
    last: date,
    kind: ContractKind | None = None,
    currency: str | None = None,
) -> list[MonthIncome]:
    """Each contract's price recognised evenly over its days; per calendar month from the
    month of `first` to the month of `last` and per currency (or only `currency`), rounded
    to the cent per month."""
    _check_day(first, "from")
    _check_day(last, "to")
    start, end = first.replace(day=1), _month_end(last)
    if end < start:
        raise invalid("to must not be before from", "to")
    if (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
        raise invalid(f"at most {MAX_MONTHS} months at once", "to")
    statement = select(Contract).where(
        col(Contract.price).is_not(None),
        col(Contract.archived_at).is_(None),
        col(Contract.starts_on) <= end,
        col(Contract.ends_on) >= start,
    )
    if kind is not None:
        statement = statement.where(col(Contract.kind) == kind)
    if currency is not None:
        statement = statement.where(col(Contract.currency) == currency)
    income: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    counted: dict[tuple[date, str], int] = defaultdict(int)
    currencies = {currency} if currency else set()
    for contract in (await session.scalars(statement)).all():
        assert contract.price is not None
        currencies.add(contract.currency)
        daily = contract.price / ((contract.ends_on - contract.starts_on).days + 1)
        for month in _months(max(start, contract.starts_on), min(end, contract.ends_on)):
            days = (
                min(_month_end(month), contract.ends_on) - max(month, contract.starts_on)
            ).days + 1
            income[(month, contract.currency)] += daily * days
            counted[(month, contract.currency)] += 1
    return [
        MonthIncome(
            month, currency, income[(month, currency)].quantize(CENT), counted[(month, currency)]
        )
        for month in _months(start, end)
        for currency in sorted(currencies or {"INR"})
    ]


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _months(first: date, last: date) -> list[date]:
    month, found = first.replace(day=1), []
    while month <= last:
        found.append(month)
        month += relativedelta(months=1)
    return found


def register_range(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    """The days a sales register asks for: `last` by default today, `first` by default the
    first day of `last`'s month; checked (see `_check_register`)."""
    _check_day(first, "from")
    _check_day(last, "to")
    last = last or today
    first = first or last.replace(day=1)
    _check_register(first, last)
    return first, last


def _check_register(first: date, last: date) -> None:
    _check_day(first, "from")
    _check_day(last, "to")
    if last < first:
        raise invalid("to must not be before from", "to")
    if (last - first).days + 1 > REGISTER_DAYS:
        raise invalid(f"at most {REGISTER_DAYS} days at once", "to")


def register_statement(first: date, last: date) -> SelectOfScalar[Invoice]:
    """Issued invoices and credit notes from `first` to `last` (UTC days), as numbered."""
    _check_register(first, last)
    return select(Invoice).where(
        col(Invoice.status).not_in([InvoiceStatus.DRAFT, InvoiceStatus.VOID]),
        col(Invoice.issued_at) >= datetime.combine(first, time.min, tzinfo=UTC),
        col(Invoice.issued_at) < datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC),
    )


@dataclass(frozen=True, slots=True)
class RegisterTotals:
    currency: str
    count: int
    net: Decimal
    tax: Decimal
    total: Decimal


async def register_totals(session: AsyncSession, first: date, last: date) -> list[RegisterTotals]:
    """Sums of the register per currency, by currency code; credit notes count against the
    invoices."""
    rows = register_statement(first, last).subquery()
    sign = sa.case((rows.c.kind == InvoiceKind.CREDIT_NOTE.value, -1), else_=1)
    statement = (
        sa.select(
            rows.c.currency,
            sa.func.count(),
            sa.func.sum(rows.c.net_amount * sign),
            sa.func.sum(rows.c.tax_amount * sign),
            sa.func.sum(rows.c.total * sign),
        )
        .group_by(rows.c.currency)
        .order_by(rows.c.currency)
    )
    return [
        RegisterTotals(currency, count, Decimal(net), Decimal(tax), Decimal(total))
        for currency, count, net, tax, total in (await session.execute(statement)).all()
    ]
