"""Invoices: drafts opened on completion, priced with coverage, issued with gapless numbers,
frozen once issued, corrected by credit notes, shared with the customer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.billing import links, repository
from app.billing.channels import (
    BILLING,
    CREDIT_NOTE_ISSUED,
    INVOICE_ISSUED,
    customer_channel,
)
from app.billing.coverage import CHARGEABLE, apply_coverage, to_rows
from app.billing.drafts import price_visits
from app.billing.models import (
    SERIES,
    BillingLine,
    CreditNoteCreate,
    CreditNoteLineIn,
    DocumentCounter,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    LineIn,
    Totals,
    money,
)
from app.billing.pricing import PriceBook, price_book, price_lines
from app.billing.settings import get_billing_settings
from app.core.auth import Principal
from app.core.errors import DomainError, ErrorCode, FieldProblem, NotFound, collect
from app.core.events import queue_event
from app.core.models import utcnow
from app.customers.models import Customer
from app.work_orders.models import Task, TaskStatus

ISSUED = (
    InvoiceStatus.ISSUED,
    InvoiceStatus.PARTIALLY_PAID,
    InvoiceStatus.PAID,
    InvoiceStatus.CREDITED,
)


def totals_of(lines: Sequence[BillingLine]) -> dict[str, Decimal]:
    """Document totals: sums of the rounded lines."""
    return {
        "subtotal": sum((line.amount for line in lines), Decimal("0.00")),
        "covered_amount": sum((line.covered_amount for line in lines), Decimal("0.00")),
        "net_amount": sum((line.chargeable_amount for line in lines), Decimal("0.00")),
        "tax_amount": sum((line.tax_amount for line in lines), Decimal("0.00")),
        "total": sum((line.total for line in lines), Decimal("0.00")),
    }


def set_totals(document: Totals, lines: Sequence[BillingLine]) -> None:
    for name, value in totals_of(lines).items():
        setattr(document, name, value)


# --- numbering ----------------------------------------------------------------------------


async def next_number(session: AsyncSession, series: str, year: int) -> str:
    """The next number of a series in a year, e.g. INV-2026-000123.

    The counter row is locked FOR UPDATE until the issuing transaction ends: a concurrent
    issue waits, and a rolled-back issue gives its number back (no gap, no duplicate)."""
    await session.execute(
        insert(DocumentCounter)
        .values(series=series, year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["series", "year"])
    )
    counter = await session.scalar(
        select(DocumentCounter)
        .where(col(DocumentCounter.series) == series, col(DocumentCounter.year) == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert counter is not None
    counter.last_number += 1
    await session.flush()
    return f"{series}-{year}-{counter.last_number:06d}"


# --- drafts -------------------------------------------------------------------------------


def open_draft_for(task: Task) -> Invoice:
    """The draft a completed task gets, unpriced: it reads priced as it stands and is stored
    priced when issued (see `drafts`)."""
    return Invoice(customer_id=task.customer_id, task_id=task.id, priced=False)


@dataclass(frozen=True, slots=True)
class ManualInvoice:
    customer_id: int
    lines: Sequence[LineIn]
    task_id: int | None = None
    currency: str | None = None
    """The document's currency when its prices are in another than the price list's (a
    contract priced in its own currency); None: the price list's."""


async def create_invoice(
    session: AsyncSession,
    data: ManualInvoice,
    on: datetime | None = None,
    *,
    book: PriceBook | None = None,
) -> Invoice:
    """A desk-made draft (ad-hoc charges, a sale over the counter): chargeable lines. With
    a task it is that task's invoice (found by `invoices(taskId:)`): the task must be the
    customer's and have no other invoice (one per task; void a draft to replace it).
    `book`: the price list in force, when the caller (a billing run) has it already."""
    if await session.get(Customer, data.customer_id) is None:
        raise NotFound("customer", ["customerId"])
    task = None
    if data.task_id is not None:
        task = await session.get(Task, data.task_id, with_for_update=True)
        if task is None:
            raise NotFound("task", ["taskId"])
        if task.customer_id != data.customer_id:
            raise DomainError("the task is not the customer's", ErrorCode.INVALID, ["taskId"])
        _task_has_ended(task)
        await _no_invoice_yet(session, task)
    book = book or await price_book(session, (on or utcnow()).date())
    priced = await price_lines(session, book, data.lines, task.type.value if task else "REPAIR")
    invoice = Invoice(
        customer_id=data.customer_id,
        task_id=data.task_id,
        currency=data.currency or book.currency,
        priced=True,
    )
    session.add(invoice)
    await session.flush()
    _attach(invoice, to_rows(apply_coverage(CHARGEABLE, priced)), session)
    await session.flush()
    return invoice


ENDED = frozenset({TaskStatus.COMPLETED, TaskStatus.INCOMPLETE, TaskStatus.CANCELLED})


def _task_has_ended(task: Task) -> None:
    """A task still under way gets its invoice drafted when it is completed; a desk invoice
    made before would leave completion two invoices for one task."""
    if task.status not in ENDED:
        raise DomainError(
            f"the task is {task.status.value}: its invoice is drafted when it is completed, "
            "edit that draft then",
            ErrorCode.INVALID_TRANSITION,
            ["taskId"],
        )


async def _no_invoice_yet(session: AsyncSession, task: Task) -> None:
    """A task has one invoice (besides its accessories' and credit notes)."""
    existing = await session.scalar(
        select(Invoice).where(
            col(Invoice.task_id) == task.id,
            col(Invoice.kind) == InvoiceKind.INVOICE,
            col(Invoice.status) != InvoiceStatus.VOID,
            col(Invoice.upsell_id).is_(None),
        )
    )
    if existing is not None:
        shown = existing.number or f"draft {existing.id}"
        raise DomainError(
            f"the task already has an invoice ({shown})", ErrorCode.CONFLICT, ["taskId"]
        )


def _attach(invoice: Invoice, rows: list[BillingLine], session: AsyncSession) -> None:
    for row in rows:
        row.invoice_id = invoice.id
    session.add_all(rows)
    set_totals(invoice, rows)


async def price_draft(session: AsyncSession, invoice: Invoice) -> Invoice:
    """Price a completion draft and store its lines (see `drafts.price_visits`)."""
    if invoice.priced or invoice.status is not InvoiceStatus.DRAFT:
        return invoice
    task = await session.get(Task, invoice.task_id)
    if task is None:
        raise NotFound("task", ["taskId"])
    (price,) = await price_visits(session, [task])
    if price.problem is not None:
        raise price.problem
    assert price.currency is not None
    invoice.currency = price.currency
    invoice.priced = True
    _attach(invoice, price.lines, session)
    await session.flush()
    return invoice


# --- issuing ------------------------------------------------------------------------------


async def issue_invoice(
    session: AsyncSession, principal: Principal, invoice_id: int, now: datetime | None = None
) -> Invoice:
    """Number the draft and freeze it; the customer sees it from now on."""
    invoice = await repository.invoice_for_change(session, principal, invoice_id)
    if invoice.status is not InvoiceStatus.DRAFT:
        raise DomainError(
            f"cannot issue an invoice that is {invoice.status}",
            ErrorCode.INVALID_TRANSITION,
            ["invoiceId"],
        )
    await price_draft(session, invoice)
    return await _issue(session, invoice, now or utcnow())


async def issue(session: AsyncSession, invoice: Invoice, now: datetime) -> Invoice:
    """Number and freeze a priced draft the system made itself (contract billing)."""
    return await _issue(session, invoice, now)


async def _issue(session: AsyncSession, invoice: Invoice, now: datetime) -> Invoice:
    invoice.number = await next_number(session, SERIES[invoice.kind], now.year)
    invoice.issued_at = now
    invoice.status = InvoiceStatus.ISSUED if invoice.total > 0 else InvoiceStatus.PAID
    if invoice.kind is InvoiceKind.CREDIT_NOTE:
        invoice.status = InvoiceStatus.ISSUED
    invoice.due_on = (now + timedelta(days=get_billing_settings().invoice_due_days)).date()
    invoice.touch()
    await session.flush()
    kind = INVOICE_ISSUED if invoice.kind is InvoiceKind.INVOICE else CREDIT_NOTE_ISSUED
    data = {
        "invoice_id": invoice.id,
        "number": invoice.number,
        "customer_id": invoice.customer_id,
        "task_id": invoice.task_id,
        "total": str(invoice.total),
        "currency": invoice.currency,
    }
    queue_event(session, [customer_channel(invoice.customer_id), BILLING], kind, data)
    return invoice


async def void_draft(session: AsyncSession, principal: Principal, invoice_id: int) -> Invoice:
    invoice = await repository.invoice_for_change(session, principal, invoice_id)
    if invoice.status is not InvoiceStatus.DRAFT:
        raise DomainError(
            "only a draft can be voided; correct an issued invoice with a credit note",
            ErrorCode.INVALID_TRANSITION,
            ["invoiceId"],
        )
    invoice.status = InvoiceStatus.VOID
    invoice.touch()
    await session.flush()
    return invoice


def settle(invoice: Invoice) -> None:
    """The status an issued invoice's payments and credits put it in."""
    if invoice.kind is not InvoiceKind.INVOICE or invoice.status not in ISSUED:
        return
    if invoice.amount_paid + invoice.amount_credited >= invoice.total:
        fully_credited = invoice.amount_credited >= invoice.total
        invoice.status = InvoiceStatus.CREDITED if fully_credited else InvoiceStatus.PAID
    elif invoice.amount_paid > 0:
        invoice.status = InvoiceStatus.PARTIALLY_PAID
    else:
        invoice.status = InvoiceStatus.ISSUED


# --- credit notes -------------------------------------------------------------------------


async def create_credit_note(
    session: AsyncSession, principal: Principal, data: CreditNoteCreate, now: datetime | None = None
) -> Invoice:
    """A credit note corrects an issued invoice: it refers to it, is numbered in its own
    series and lowers the invoice's balance. Lines name the invoice lines and the pre-tax
    amount credited on each (tax follows at the line's rate); none credits the balance."""
    invoice = await repository.invoice_for_change(session, principal, data.invoice_id)
    if invoice.kind is not InvoiceKind.INVOICE or invoice.status not in ISSUED:
        raise DomainError(
            "only an issued invoice can be credited", ErrorCode.INVALID_TRANSITION, ["invoiceId"]
        )
    assert invoice.id is not None
    originals = {
        line.position: line for line in await repository.lines_of(session, invoice_id=invoice.id)
    }
    rows = _credit_rows(data, originals, invoice)
    credit = Invoice(
        kind=InvoiceKind.CREDIT_NOTE,
        customer_id=invoice.customer_id,
        task_id=invoice.task_id,
        credited_invoice_id=invoice.id,
        currency=invoice.currency,
        priced=True,
        reason=data.reason,
    )
    session.add(credit)
    await session.flush()
    _attach(credit, rows, session)
    if credit.total > invoice.total - invoice.amount_credited:
        raise DomainError(
            f"the credit ({credit.total}) exceeds what is left to credit on the invoice",
            ErrorCode.INVALID,
            ["lines"],
        )
    await _issue(session, credit, now or utcnow())
    invoice.amount_credited += credit.total
    settle(invoice)
    invoice.touch()
    await session.flush()
    await links.sync(session, invoice)
    return credit


def _credit_rows(
    data: CreditNoteCreate, originals: dict[int, BillingLine], invoice: Invoice
) -> list[BillingLine]:
    wanted = data.lines or [
        CreditNoteLineIn(position=line.position, amount=line.chargeable_amount)
        for line in originals.values()
        if line.chargeable_amount > 0
    ]
    problems: list[FieldProblem] = []
    rows: list[BillingLine] = []
    for i, item in enumerate(wanted):
        original = originals.get(item.position)
        if original is None:
            problems.append(
                FieldProblem(
                    "not a line of this invoice", ErrorCode.NOT_FOUND, ["lines", str(i), "position"]
                )
            )
            continue
        if item.amount > original.chargeable_amount:
            problems.append(
                FieldProblem(
                    f"more than the line charged ({original.chargeable_amount})",
                    ErrorCode.INVALID,
                    ["lines", str(i), "amount"],
                )
            )
            continue
        tax = money(item.amount * original.tax_rate / 100)
        rows.append(
            BillingLine(
                position=i,
                kind=original.kind,
                description=f"Credit: {original.description}"[:300],
                part_id=original.part_id,
                part_category=original.part_category,
                quantity=Decimal(1),
                unit_price=item.amount,
                amount=item.amount,
                covered_amount=Decimal(0),
                chargeable_amount=item.amount,
                tax_category=original.tax_category,
                tax_rate=original.tax_rate,
                tax_amount=tax,
                total=item.amount + tax,
                coverage_note=f"credit of line {original.position + 1} of {invoice.number}",
            )
        )
    if not wanted:
        problems.append(FieldProblem("nothing left to credit", ErrorCode.INVALID, ["lines"]))
    collect(problems)
    return rows
