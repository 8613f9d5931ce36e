"""Contract billing: a contract's price split over its billing periods, each period invoiced
once on its billing day through the gap-free invoice numbering, and the price recognised as
income day by day over the contract."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.billing import invoices
from app.billing.invoices import ManualInvoice
from app.billing.models import Invoice, InvoiceKind, InvoiceStatus, LineIn, LineKind
from app.contract_billing.models import (
    MONTHS,
    BillingFrequency,
    BillingTiming,
    ContractInvoice,
    ContractInvoicingTerms,
    TermsSet,
)
from app.contracts.models import Contract, ContractKind
from app.core.auth import Principal
from app.core.errors import DomainError, ErrorCode, NotFound, invalid
from app.core.models import utcnow
from app.core.repository import check_version

CENT = Decimal("0.01")
MAX_MONTHS = 60
JOB_LOCK = 0x636F6E62  # "conb": one billing run at a time across instances


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
    while (start := starts_on + relativedelta(months=k * step)) <= ends_on:
        following = starts_on + relativedelta(months=(k + 1) * step)
        found.append(Period(start, min(ends_on, following - timedelta(days=1))))
        k += 1
    return found


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
    return period.start if timing is BillingTiming.IN_ADVANCE else period.end + timedelta(days=1)


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
    session: AsyncSession,
    principal: Principal,
    contract_id: int,
    data: TermsSet,
    expected_version: int | None,
) -> tuple[Contract, Terms]:
    """Change how a contract is billed; periods already invoiced stay as they were."""
    contract = await session.get(Contract, contract_id, with_for_update=True)
    if contract is None or contract.archived_at is not None:
        raise NotFound("contract", ["contractId"])
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


# --- the billing run -----------------------------------------------------------------------


@dataclass
class BillingRun:
    invoiced: int = 0
    skipped_locked: bool = False


async def bill_due(
    session: AsyncSession,
    today: date,
    now: datetime | None = None,
    only: Sequence[int] | None = None,
) -> BillingRun:
    """Invoice every contract period whose billing day has come (and is not before the
    terms' `bill_from`), once; `only`: just these contracts. Runs under a transaction-level
    advisory lock, so two instances never bill side by side; the unique period key backs
    that up."""
    run = BillingRun()
    locked = await session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(JOB_LOCK)))
    if not locked:
        run.skipped_locked = True
        return run
    contracts = (
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
    if not contracts:
        return run
    terms = await terms_of(session, contracts)
    billed = await _billed_periods(session, [c.id for c in contracts if c.id is not None])
    for contract in contracts:
        assert contract.id is not None
        for period, amount in due_periods(contract, terms[contract.id], today):
            if (contract.id, period.start) in billed:
                continue
            await _invoice_period(session, contract, period, amount, now or utcnow())
            run.invoiced += 1
    return run


def due_periods(contract: Contract, terms: Terms, today: date) -> list[tuple[Period, Decimal]]:
    assert contract.price is not None
    found = periods(contract.starts_on, contract.ends_on, terms.frequency)
    amounts = split(contract.price, found)
    return [
        (period, amount)
        for period, amount in zip(found, amounts, strict=True)
        if terms.bill_from <= billing_day(period, terms.timing) <= today and amount > 0
    ]


async def _billed_periods(session: AsyncSession, contract_ids: list[int]) -> set[tuple[int, date]]:
    rows = await session.execute(
        select(col(ContractInvoice.contract_id), col(ContractInvoice.period_start)).where(
            col(ContractInvoice.contract_id).in_(contract_ids)
        )
    )
    return {(contract_id, start) for contract_id, start in rows.all()}


async def _invoice_period(
    session: AsyncSession, contract: Contract, period: Period, amount: Decimal, now: datetime
) -> Invoice:
    assert contract.id is not None
    line = LineIn(
        kind=LineKind.FEE,
        description=(
            f"{contract.number} ({contract.kind.value.replace('_', ' ').lower()}): service "
            f"{period.start:%d %b %Y} to {period.end:%d %b %Y}"
        ),
        quantity=Decimal(1),
        unit_price=amount,
    )
    draft = await invoices.create_invoice(
        session, ManualInvoice(customer_id=contract.customer_id, lines=[line]), now
    )
    session.add(
        ContractInvoice(
            contract_id=contract.id,
            invoice_id=draft.id,  # type: ignore[arg-type]
            period_start=period.start,
            period_end=period.end,
            amount=amount,
        )
    )
    await session.flush()
    return await invoices.issue(session, draft, now)


# --- income and the sales register ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MonthIncome:
    month: date
    currency: str
    amount: Decimal
    contracts: int


async def income_by_month(
    session: AsyncSession, first: date, last: date, kind: ContractKind | None = None
) -> list[MonthIncome]:
    """Each contract's price recognised evenly over its days; per calendar month from the
    month of `first` to the month of `last` and per currency, rounded to the cent per month."""
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
    income: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    counted: dict[tuple[date, str], int] = defaultdict(int)
    currencies = set()
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


def register_statement(first: date, last: date) -> SelectOfScalar[Invoice]:
    """Issued invoices and credit notes from `first` to `last` (UTC days), as numbered."""
    if last < first:
        raise invalid("to must not be before from", "to")
    return select(Invoice).where(
        col(Invoice.status).not_in([InvoiceStatus.DRAFT, InvoiceStatus.VOID]),
        col(Invoice.issued_at) >= datetime.combine(first, time.min, tzinfo=UTC),
        col(Invoice.issued_at) < datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC),
    )


@dataclass(frozen=True, slots=True)
class RegisterTotals:
    count: int
    net: Decimal
    tax: Decimal
    total: Decimal


async def register_totals(session: AsyncSession, first: date, last: date) -> RegisterTotals:
    """Sums of the register; credit notes count against the invoices."""
    rows = register_statement(first, last).subquery()
    sign = sa.case((rows.c.kind == InvoiceKind.CREDIT_NOTE.value, -1), else_=1)
    statement = sa.select(
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(rows.c.net_amount * sign), 0),
        sa.func.coalesce(sa.func.sum(rows.c.tax_amount * sign), 0),
        sa.func.coalesce(sa.func.sum(rows.c.total * sign), 0),
    ).select_from(rows)
    count, net, tax, total = (await session.execute(statement)).one()
    return RegisterTotals(count, Decimal(net), Decimal(tax), Decimal(total))


async def contracts_of_invoices(
    session: AsyncSession, invoice_ids: Sequence[int]
) -> dict[int, ContractInvoice]:
    rows = await session.scalars(
        select(ContractInvoice).where(col(ContractInvoice.invoice_id).in_(invoice_ids))
    )
    return {row.invoice_id: row for row in rows.all()}


def refuse_past_terms(data: TermsSet, contract: Contract) -> None:
    if data.bill_from is not None and data.bill_from > contract.ends_on:
        raise DomainError(
            "billFrom is after the contract ends: nothing would be billed",
            ErrorCode.INVALID,
            ["billFrom"],
        )
