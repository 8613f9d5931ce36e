"""The demo's money as a going business has it: completion drafts priced by the app's own rules
(`drafts.price_visits`), most of them issued the day after the visit and most of those paid;
the last day's drafts wait to be issued, and some customers still owe.

Numbers and receipts run without gaps in the order they were given, and the document counters
end where the demo's numbering stopped, so the next invoice issued through the API follows on.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.billing.drafts import price_visits
from app.billing.invoices import SERIES, set_totals, settle
from app.billing.models import Invoice, InvoiceKind, InvoiceStatus, Payment, PaymentMethod
from app.billing.settings import get_billing_settings
from app.work_orders.models import Task

CHUNK = 500
ISSUED_AFTER = timedelta(hours=20)
"""The billing desk issues a visit's invoice the morning after."""
PAID_SHARE = 0.82
PART_PAID_SHARE = 0.05
DESK = "demo:billing-desk"
METHODS = (PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.ONLINE, PaymentMethod.ONLINE)
"""Half the customers pay online through their link, the rest to the technician or the desk."""


@dataclass(frozen=True, slots=True)
class Collected:
    issued: int
    paid: int
    partly_paid: int
    drafts: int


async def issue_and_collect(session: AsyncSession, now: datetime) -> Collected:
    """Price every completion draft; issue and collect those the desk would have by `now`."""
    drafts = await _completion_drafts(session)
    for start in range(0, len(drafts), CHUNK):
        await _price(session, drafts[start : start + CHUNK])
    issued = [(invoice, task) for invoice, task in drafts if _issued_at(task) <= now]
    issued.sort(key=lambda pair: (_issued_at(pair[1]), pair[0].id or 0))
    counters: Counter[tuple[str, int]] = Counter()
    for invoice, task in issued:
        _issue(invoice, _issued_at(task), counters)
    await session.flush()
    payments = _payments(issued, now)
    for payment in payments:
        series_year = ("RCT", payment.received_at.year)
        counters[series_year] += 1
        payment.receipt_number = f"RCT-{payment.received_at.year}-{counters[series_year]:06d}"
    session.add_all(payments)
    await session.flush()
    await _store_counters(session, counters)
    statuses = Counter(invoice.status for invoice, _ in drafts)
    return Collected(
        issued=len(issued),
        paid=statuses[InvoiceStatus.PAID],
        partly_paid=statuses[InvoiceStatus.PARTIALLY_PAID],
        drafts=statuses[InvoiceStatus.DRAFT],
    )


async def _completion_drafts(session: AsyncSession) -> list[tuple[Invoice, Task]]:
    statement = (
        select(Invoice, Task)
        .join(Task, col(Task.id) == col(Invoice.task_id))
        .where(col(Invoice.status) == InvoiceStatus.DRAFT, col(Invoice.priced).is_(False))
        .order_by(col(Invoice.id))
    )
    return [(invoice, task) for invoice, task in (await session.execute(statement)).all()]


async def _price(session: AsyncSession, drafts: Sequence[tuple[Invoice, Task]]) -> None:
    prices = await price_visits(session, [task for _, task in drafts])
    for (invoice, _), price in zip(drafts, prices, strict=True):
        if price.problem is not None or price.currency is None:
            continue
        invoice.currency = price.currency
        invoice.priced = True
        for position, line in enumerate(price.lines):
            line.invoice_id = invoice.id
            line.position = position
        session.add_all(price.lines)
        set_totals(invoice, price.lines)
    # lines go in while their invoices are still drafts: issued ones are frozen
    await session.flush()


def _issued_at(task: Task) -> datetime:
    assert task.finished_at is not None
    return task.finished_at + ISSUED_AFTER


def _issue(invoice: Invoice, at: datetime, counters: Counter[tuple[str, int]]) -> None:
    if not invoice.priced:
        return
    series = SERIES[InvoiceKind.INVOICE]
    counters[(series, at.year)] += 1
    invoice.number = f"{series}-{at.year}-{counters[(series, at.year)]:06d}"
    invoice.issued_at = at
    invoice.due_on = (at + timedelta(days=get_billing_settings().invoice_due_days)).date()
    invoice.status = InvoiceStatus.ISSUED if invoice.total > 0 else InvoiceStatus.PAID
    invoice.updated_at = at
    invoice.version += 1


def _payments(issued: Sequence[tuple[Invoice, Task]], now: datetime) -> list[Payment]:
    """Most customers pay within days, some in part; the rest still owe (some overdue).

    Payments are built in bulk here rather than through `payments.record_payment`, which numbers
    one receipt per round trip and publishes an event for each; the status still comes from the
    billing rule (`settle`)."""
    payments = []
    for invoice, _ in issued:
        if invoice.status is not InvoiceStatus.ISSUED or invoice.issued_at is None:
            continue
        draw = _draw(invoice.id or 0, "pay")
        received = invoice.issued_at + timedelta(hours=2 + 96 * _draw(invoice.id or 0, "when"))
        if received > now or draw >= PAID_SHARE + PART_PAID_SHARE:
            continue
        full = draw < PAID_SHARE
        amount = invoice.total if full else (invoice.total / 2).quantize(Decimal("0.01"))
        method = METHODS[int(_draw(invoice.id or 0, "method") * len(METHODS))]
        payment = Payment(
            invoice_id=invoice.id,  # type: ignore[arg-type]
            customer_id=invoice.customer_id,
            method=method,
            amount=amount,
            currency=invoice.currency,
            provider_ref=f"demo-{invoice.id}" if method is PaymentMethod.ONLINE else None,
            receipt_number="",
            received_at=received,
            recorded_by=DESK,
        )
        payments.append(payment)
        invoice.amount_paid = amount
        settle(invoice)
        invoice.updated_at = received
        invoice.version += 1
    payments.sort(key=lambda payment: (payment.received_at, payment.invoice_id))
    return payments


def _draw(key: int, salt: str) -> float:
    """A stable number in [0, 1) per invoice: the same seed gives the same books."""
    digest = hashlib.blake2b(f"{salt}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


async def _store_counters(session: AsyncSession, counters: Counter[tuple[str, int]]) -> None:
    if not counters:
        return
    table = sa.table(
        "document_counters", sa.column("series"), sa.column("year"), sa.column("last_number")
    )
    await session.execute(
        sa.insert(table),
        [
            {"series": series, "year": year, "last_number": last}
            for (series, year), last in counters.items()
        ],
    )
