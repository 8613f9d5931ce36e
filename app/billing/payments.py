"""Payments (cash, card, online by link), receipts, balances and collections; upsell."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.assets.models import Asset
from app.billing import links, repository
from app.billing.channels import BILLING, PAYMENT_RECEIVED, UPSELL_OFFERED, customer_channel
from app.billing.coverage import CHARGEABLE, apply_coverage, to_rows
from app.billing.invoices import _attach, _issue, next_number, settle
from app.billing.models import (
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    LinkStatus,
    Payment,
    PaymentCreate,
    PaymentLink,
    PaymentMethod,
    UpsellCreate,
    UpsellOffer,
    UpsellStatus,
)
from app.billing.pricing import part_line, price_book
from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, Forbidden, NotFound
from app.core.events import queue_event
from app.core.models import utcnow
from app.inventory.models import Part, PartCompatibility, TaskPartLine
from app.inventory.stock import consume_on_task
from app.work_orders import repository as tasks

PAYABLE = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


def _payable(invoice: Invoice, amount: Decimal) -> None:
    if invoice.kind is not InvoiceKind.INVOICE or invoice.status not in PAYABLE:
        raise DomainError(
            f"an invoice that is {invoice.status} takes no payment",
            ErrorCode.INVALID_TRANSITION,
            ["invoiceId"],
        )
    if amount > invoice.balance:
        raise DomainError(
            f"more than the balance due ({invoice.balance} {invoice.currency})",
            ErrorCode.INVALID,
            ["amount"],
        )


async def _receive(
    session: AsyncSession,
    invoice: Invoice,
    method: PaymentMethod,
    amount: Decimal,
    actor: str,
    reference: str | None = None,
    provider_ref: str | None = None,
    now: datetime | None = None,
) -> Payment:
    now = now or utcnow()
    payment = Payment(
        invoice_id=invoice.id,  # type: ignore[arg-type]
        customer_id=invoice.customer_id,
        method=method,
        amount=amount,
        currency=invoice.currency,
        reference=reference,
        provider_ref=provider_ref,
        receipt_number=await next_number(session, "RCT", now.year),
        received_at=now,
        recorded_by=actor,
    )
    session.add(payment)
    invoice.amount_paid += amount
    settle(invoice)
    invoice.touch()
    await session.flush()
    data = {
        "payment_id": payment.id,
        "invoice_id": invoice.id,
        "receipt_number": payment.receipt_number,
        "amount": str(amount),
        "currency": invoice.currency,
        "balance": str(invoice.balance),
    }
    for channel in (customer_channel(invoice.customer_id), BILLING):
        queue_event(session, channel, PAYMENT_RECEIVED, data)
    return payment


async def record_payment(
    session: AsyncSession, principal: Principal, data: PaymentCreate
) -> tuple[Payment, Invoice]:
    """Cash or card taken by the technician (their tasks' invoices) or the desk; a receipt
    numbered without gaps (RCT-<year>-<n>)."""
    invoice = await repository.invoice_for_change(session, principal, data.invoice_id)
    _payable(invoice, data.amount)
    payment = await _receive(
        session, invoice, data.method, data.amount, principal.subject, data.reference
    )
    return payment, invoice


async def create_payment_link(
    session: AsyncSession, principal: Principal, invoice_id: int, now: datetime | None = None
) -> tuple[PaymentLink, str]:
    """A link for the balance due; earlier open links of the invoice are cancelled."""
    now = now or utcnow()
    invoice = await repository.invoice_for_change(session, principal, invoice_id)
    _payable(invoice, Decimal(0))
    for old in (
        await session.scalars(
            select(PaymentLink).where(
                col(PaymentLink.invoice_id) == invoice_id,
                col(PaymentLink.status) == LinkStatus.OPEN,
            )
        )
    ).all():
        old.status = LinkStatus.CANCELLED
    link = links.new_link(invoice_id, invoice.balance, invoice.currency, principal.subject, now)
    session.add(link)
    await session.flush()
    return link, links.sign(link)


@dataclass(frozen=True, slots=True)
class LinkView:
    link: PaymentLink
    invoice: Invoice


async def view_link(session: AsyncSession, token: str, now: datetime | None = None) -> LinkView:
    link = await links.open_link(session, token, now or utcnow())
    invoice = await session.get(Invoice, link.invoice_id)
    assert invoice is not None
    return LinkView(link, invoice)


async def pay_by_link(
    session: AsyncSession,
    token: str,
    provider_ref: str,
    amount: Decimal,
    now: datetime | None = None,
) -> tuple[Payment, bool]:
    """The provider says the customer paid. Idempotent: the same provider transaction again
    returns the first payment (False: nothing new); another one on a paid link is CONFLICT."""
    now = now or utcnow()
    link = await links.open_link(session, token, now, lock=True)
    earlier = await session.scalar(select(Payment).where(col(Payment.provider_ref) == provider_ref))
    if earlier is not None:
        if earlier.invoice_id != link.invoice_id:
            raise DomainError("transaction already used", ErrorCode.CONFLICT, ["providerRef"])
        return earlier, False
    if link.status is LinkStatus.PAID:
        raise DomainError("the link is already paid", ErrorCode.CONFLICT, ["token"])
    if amount != link.amount:
        raise DomainError(
            f"the link is for {link.amount} {link.currency}", ErrorCode.INVALID, ["amount"]
        )
    invoice = await session.get(Invoice, link.invoice_id, with_for_update=True)
    assert invoice is not None
    _payable(invoice, amount)
    payment = await _receive(
        session,
        invoice,
        PaymentMethod.ONLINE,
        amount,
        "payment-provider",
        provider_ref,
        provider_ref,
        now,
    )
    link.status = LinkStatus.PAID
    link.paid_at = now
    link.payment_id = payment.id
    await _upsell_paid(session, invoice)
    await session.flush()
    return payment, True


# --- balances and collections --------------------------------------------------------------


def _balance_expr() -> Any:
    return col(Invoice.total) - col(Invoice.amount_paid) - col(Invoice.amount_credited)


async def outstanding(
    session: AsyncSession, principal: Principal | None, customer_ids: list[int]
) -> dict[int, Decimal]:
    """Balance due per customer over their issued invoices (one query for many)."""
    statement = (
        repository.readable_invoices(principal)
        .with_only_columns(col(Invoice.customer_id), func.sum(_balance_expr()))
        .where(
            col(Invoice.customer_id).in_(customer_ids),
            col(Invoice.kind) == InvoiceKind.INVOICE,
            col(Invoice.status).in_(PAYABLE),
        )
        .group_by(col(Invoice.customer_id))
    )
    rows = (await session.execute(statement)).all()
    found = {customer: Decimal(total or 0) for customer, total in rows}
    return {c: found.get(c, Decimal("0.00")) for c in customer_ids}


BUCKETS = ((0, 30, "0-30"), (31, 60, "31-60"), (61, 90, "61-90"), (91, None, "90+"))


def bucket_of(days_overdue: int) -> str:
    for low, high, name in BUCKETS:
        if days_overdue >= low and (high is None or days_overdue <= high):
            return name
    return "0-30"


def overdue(principal: Principal | None, today: date) -> SelectOfScalar[Invoice]:
    """Issued invoices past their due date with a balance, oldest first (the follow-up list
    agents work through)."""
    return repository.readable_invoices(principal).where(
        col(Invoice.kind) == InvoiceKind.INVOICE,
        col(Invoice.status).in_(PAYABLE),
        col(Invoice.due_on) < today,
    )


async def collection_summary(
    session: AsyncSession, principal: Principal | None, today: date
) -> list[tuple[str, int, Decimal]]:
    """(bucket, invoices, balance) per age bucket of days past due."""
    days = today - col(Invoice.due_on)
    bucket = case((days <= 30, "0-30"), (days <= 60, "31-60"), (days <= 90, "61-90"), else_="90+")
    statement = (
        overdue(principal, today)
        .with_only_columns(bucket.label("bucket"), func.count(), func.sum(_balance_expr()))
        .group_by(bucket)
    )
    rows = {
        name: (n, Decimal(total or 0))
        for name, n, total in (await session.execute(statement)).all()
    }
    return [(name, *rows.get(name, (0, Decimal("0.00")))) for _, _, name in BUCKETS]


# --- upsell -------------------------------------------------------------------------------


async def offer_upsell(
    session: AsyncSession, principal: Principal, data: UpsellCreate
) -> UpsellOffer:
    """The technician on site offers an accessory that fits the asset's product model."""
    if principal.role is not Role.TECHNICIAN or principal.technician_id is None:
        raise Forbidden("only the technician on site offers accessories")
    task = await tasks.get_for_change(session, principal, data.task_id)
    part = await session.get(Part, data.part_id)
    if part is None or part.archived_at is not None:
        raise NotFound("part", ["partId"])
    if not part.is_accessory:
        raise DomainError("the part is not an accessory", ErrorCode.INVALID, ["partId"])
    await _check_fits(session, task.asset_id, part)
    book = await price_book(session, utcnow().date())
    line = part_line(book, part, Decimal(data.quantity), ["partId"])
    offer = UpsellOffer(
        task_id=task.id,  # type: ignore[arg-type]
        customer_id=task.customer_id,
        technician_id=principal.technician_id,
        part_id=data.part_id,
        quantity=data.quantity,
        unit_price=line.unit_price,
        currency=book.currency,
        offered_by=principal.subject,
    )
    session.add(offer)
    await session.flush()
    queue_event(
        session,
        customer_channel(task.customer_id),
        UPSELL_OFFERED,
        {"upsell_id": offer.id, "task_id": task.id, "part": part.name, "price": str(line.amount)},
    )
    return offer


async def _check_fits(session: AsyncSession, asset_id: int | None, part: Part) -> None:
    if asset_id is None:
        raise DomainError(
            "the task has no asset to fit an accessory to", ErrorCode.INVALID, ["taskId"]
        )
    model_id = await session.scalar(select(Asset.product_model_id).where(col(Asset.id) == asset_id))
    fits = await session.scalar(
        select(PartCompatibility.part_id).where(
            col(PartCompatibility.part_id) == part.id,
            col(PartCompatibility.product_model_id) == model_id,
        )
    )
    if fits is None:
        raise DomainError(
            "the accessory does not fit the asset's model", ErrorCode.INVALID, ["partId"]
        )


async def decide_upsell(
    session: AsyncSession, principal: Principal, upsell_id: int, accept: bool
) -> tuple[UpsellOffer, PaymentLink | None, str | None]:
    """The customer says yes (an invoice is issued and a payment link returned) or no."""
    offer = await session.scalar(
        repository.readable_upsells(principal)
        .where(col(UpsellOffer.id) == upsell_id)
        .with_for_update(of=UpsellOffer)
    )
    if offer is None:
        raise NotFound("upsell offer", ["upsellId"])
    if offer.status is not UpsellStatus.OFFERED:
        raise DomainError(
            f"the offer is {offer.status}", ErrorCode.INVALID_TRANSITION, ["upsellId"]
        )
    offer.decided_at = utcnow()
    offer.touch()
    if not accept:
        offer.status = UpsellStatus.DECLINED
        await session.flush()
        return offer, None, None
    part = await session.get(Part, offer.part_id)
    assert part is not None
    book = await price_book(session, utcnow().date())
    line = part_line(book, part, Decimal(offer.quantity), ["upsellId"], offer.unit_price)
    invoice = Invoice(
        customer_id=offer.customer_id,
        task_id=offer.task_id,
        upsell_id=offer.id,
        currency=offer.currency,
        priced=True,
    )
    session.add(invoice)
    await session.flush()
    _attach(invoice, to_rows(apply_coverage(CHARGEABLE, [line])), session)
    await session.flush()
    await _issue(session, invoice, utcnow())
    offer.status = UpsellStatus.CONFIRMED
    offer.invoice_id = invoice.id
    assert invoice.id is not None
    link = links.new_link(
        invoice.id, invoice.balance, invoice.currency, principal.subject, utcnow()
    )
    session.add(link)
    await session.flush()
    return offer, link, links.sign(link)


async def _upsell_paid(session: AsyncSession, invoice: Invoice) -> None:
    """A paid accessory leaves the technician's van, consumed on the task."""
    if invoice.upsell_id is None or invoice.status is not InvoiceStatus.PAID:
        return
    offer = await session.get(UpsellOffer, invoice.upsell_id, with_for_update=True)
    if offer is None or offer.status is not UpsellStatus.CONFIRMED:
        return
    await consume_on_task(
        session,
        offer.technician_id,
        offer.task_id,
        [TaskPartLine(part_id=offer.part_id, quantity=offer.quantity)],
        "payment-provider",
        operation_key=f"upsell:{offer.id}",
        reason=f"accessory sold on invoice {invoice.number}",
    )
    offer.status = UpsellStatus.PAID
    offer.touch()
