"""Payments (cash, card, online by link), receipts, balances and collections; upsell."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, select
from sqlmodel.sql.expression import SelectOfScalar

from app.assets.models import Asset
from app.billing import links, repository
from app.billing.channels import (
    BILLING,
    OVERPAYMENT_HELD,
    PAYMENT_LINK_CREATED,
    PAYMENT_RECEIVED,
    UPSELL_OFFERED,
    UPSELL_STOCK_SHORT,
    customer_channel,
)
from app.billing.coverage import CHARGEABLE, apply_coverage, to_rows
from app.billing.invoices import _attach, _issue, next_number, settle
from app.billing.models import (
    CustomerCredit,
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
from app.billing.settings import get_billing_settings
from app.core.auth import Principal, Role
from app.core.channels import ALERTS
from app.core.errors import DomainError, ErrorCode, Forbidden, NotFound
from app.core.events import queue_event
from app.core.models import utcnow
from app.inventory.models import Part, PartCompatibility, TaskPartLine
from app.inventory.stock import consume_on_task
from app.work_orders import repository as tasks

PAYABLE = links.PAYABLE


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
    await links.sync(session, invoice)
    data = {
        "payment_id": payment.id,
        "invoice_id": invoice.id,
        "receipt_number": payment.receipt_number,
        "amount": str(amount),
        "currency": invoice.currency,
        "balance": str(invoice.balance),
    }
    queue_event(session, [customer_channel(invoice.customer_id), BILLING], PAYMENT_RECEIVED, data)
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
    offer = await _upsell_of(session, invoice)
    _mark_upsell_paid(offer, invoice, payment.received_at)
    if offer is not None:
        # the ledger posts in a savepoint: a short van leaves the payment standing
        await try_deliver(session, offer, principal.subject)
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
    token = links.sign(link)
    base = get_billing_settings().public_base_url.rstrip("/")
    data = {
        "invoice_id": invoice.id,
        "payment_link_id": link.id,
        "invoice_number": invoice.number,
        "customer_id": invoice.customer_id,
        "task_id": invoice.task_id,
        "amount": str(link.amount),
        "currency": link.currency,
        "url": f"{base}/pay/{token}",
    }
    # the customer's own channel only: the link pays, so it is not broadcast to the desk
    queue_event(session, customer_channel(invoice.customer_id), PAYMENT_LINK_CREATED, data)
    return link, token


@dataclass(frozen=True, slots=True)
class LinkView:
    link: PaymentLink
    invoice: Invoice
    status: LinkStatus
    amount: Decimal
    """What the link asks for now (the invoice's balance due while it is open)."""


async def view_link(session: AsyncSession, token: str, now: datetime | None = None) -> LinkView:
    link = await links.open_link(session, token, now or utcnow())
    invoice = await session.get(Invoice, link.invoice_id)
    assert invoice is not None
    status, amount = links.current(link, invoice)
    return LinkView(link, invoice, status, amount)


@dataclass(frozen=True, slots=True)
class LinkPayment:
    """What a provider's success recorded: the part the invoice took (a payment with its
    receipt) and the part nothing was due for (a credit held on the customer's account)."""

    invoice_id: int
    receipt_number: str
    payment: Payment | None
    credit: CustomerCredit | None
    new: bool


async def pay_by_link(
    session: AsyncSession,
    token: str,
    provider_ref: str,
    amount: Decimal,
    now: datetime | None = None,
) -> LinkPayment:
    """The provider says the customer paid `amount` on the link: the money is taken, so it
    is always recorded. The invoice takes what is due on it now; whatever nothing was due
    for (the invoice was paid another way, credited, or the link was replaced) is held as
    the customer's credit and the desk is alerted to refund it. A closed, cancelled or
    expired link still records the money.

    Idempotent on the provider's transaction id: the same one again returns what was
    recorded the first time (new False). Only money is recorded here (an accessory's offer
    becomes PAID_PENDING_STOCK): the caller commits, then calls `deliver_paid_upsell` in a
    transaction of its own, so a van short of the part never loses a payment."""
    now = now or utcnow()
    if amount <= 0:
        raise DomainError("a payment is a positive amount", ErrorCode.INVALID, ["amount"])
    link = await links.find_link(session, token, now)
    # the invoice before its links, the order payments and credit notes lock them in
    invoice = await session.get(Invoice, link.invoice_id, with_for_update=True)
    assert invoice is not None and invoice.id is not None
    await session.refresh(link, with_for_update=True)
    earlier = await _recorded(session, provider_ref)
    if earlier is not None:
        if earlier.invoice_id != link.invoice_id:
            raise DomainError("transaction already used", ErrorCode.CONFLICT, ["providerRef"])
        return earlier
    applied = min(amount, links.due_now(invoice))
    payment = None
    if applied > 0:
        payment = await _receive(
            session,
            invoice,
            PaymentMethod.ONLINE,
            applied,
            "payment-provider",
            provider_ref,
            provider_ref,
            now,
        )
        _mark_upsell_paid(await _upsell_of(session, invoice), invoice, now)
    if link.status in (LinkStatus.OPEN, LinkStatus.CLOSED) and payment is not None:
        link.status = LinkStatus.PAID
        link.amount = payment.amount  # what it took (an open link showed the balance left)
        link.paid_at = now
        link.payment_id = payment.id
    credit = None
    receipt = payment.receipt_number if payment is not None else None
    if amount > applied:
        credit = await _hold_credit(
            session, link, invoice, payment, provider_ref, amount - applied, now
        )
        receipt = credit.receipt_number
    await session.flush()
    assert receipt is not None
    return LinkPayment(invoice.id, receipt, payment, credit, True)


async def _recorded(session: AsyncSession, provider_ref: str) -> LinkPayment | None:
    """What an earlier notice of the same provider transaction recorded, if any."""
    payment = await session.scalar(select(Payment).where(col(Payment.provider_ref) == provider_ref))
    credit = await session.scalar(
        select(CustomerCredit).where(col(CustomerCredit.provider_ref) == provider_ref)
    )
    if payment is not None:
        return LinkPayment(payment.invoice_id, payment.receipt_number, payment, credit, False)
    if credit is not None and credit.invoice_id is not None:
        return LinkPayment(credit.invoice_id, credit.receipt_number, None, credit, False)
    return None


async def _hold_credit(
    session: AsyncSession,
    link: PaymentLink,
    invoice: Invoice,
    payment: Payment | None,
    provider_ref: str,
    amount: Decimal,
    now: datetime,
) -> CustomerCredit:
    """Money taken that no invoice was due for: held on the customer's account, and an
    alert so that the desk refunds it (or applies it, with the customer's agreement)."""
    receipt = (
        payment.receipt_number
        if payment is not None
        else await next_number(session, "RCT", now.year)
    )
    reason = (
        f"paid {amount} {invoice.currency} more than was due on {invoice.number} "
        f"({invoice.status}) through payment link {link.id} ({link.status})"
    )
    credit = CustomerCredit(
        customer_id=invoice.customer_id,
        invoice_id=invoice.id,
        payment_link_id=link.id,
        payment_id=payment.id if payment is not None else None,
        amount=amount,
        currency=invoice.currency,
        provider_ref=provider_ref,
        receipt_number=receipt,
        reason=reason[:300],
        received_at=now,
    )
    session.add(credit)
    await session.flush()
    data = {
        "level": 2,
        "kind": OVERPAYMENT_HELD,
        "message": (
            f"customer {invoice.customer_id} {reason}: the money is held as their credit; refund it"
        ),
        "credit_id": credit.id,
        "customer_id": invoice.customer_id,
        "invoice_id": invoice.id,
        "payment_link_id": link.id,
        "provider_ref": provider_ref,
        "amount": str(amount),
        "currency": invoice.currency,
        "receipt_number": receipt,
    }
    queue_event(session, [ALERTS, BILLING], OVERPAYMENT_HELD, data)
    return credit


def readable_credits(principal: Principal | None) -> SelectOfScalar[CustomerCredit]:
    """Staff see every customer's credits, a customer their own; others none."""
    statement = select(CustomerCredit)
    if principal is not None and principal.is_staff:
        return statement
    if principal is not None and principal.role is Role.CUSTOMER and principal.customer_id:
        return statement.where(col(CustomerCredit.customer_id) == principal.customer_id)
    return statement.where(false())


async def get_readable_credit(
    session: AsyncSession, principal: Principal | None, credit_id: int
) -> CustomerCredit | None:
    return await session.scalar(
        readable_credits(principal).where(col(CustomerCredit.id) == credit_id)
    )


async def list_credits(
    session: AsyncSession,
    principal: Principal | None,
    customer_ids: list[int] | None,
    refunded: bool | None,
    limit: int,
) -> list[CustomerCredit]:
    """Credits the caller may read, newest first (at most 100)."""
    statement = readable_credits(principal)
    if customer_ids is not None:
        statement = statement.where(col(CustomerCredit.customer_id).in_(customer_ids))
    if refunded is not None:
        refunded_at = col(CustomerCredit.refunded_at)
        statement = statement.where(refunded_at.is_not(None) if refunded else refunded_at.is_(None))
    statement = statement.order_by(col(CustomerCredit.id).desc()).limit(max(1, min(limit, 100)))
    return list((await session.scalars(statement)).all())


async def refund_credit(
    session: AsyncSession,
    principal: Principal,
    credit_id: int,
    reference: str | None,
    now: datetime | None = None,
) -> CustomerCredit:
    """The desk refunded money held as a customer's credit: it leaves their balance."""
    reference = _refund_reference(reference)
    credit = await session.scalar(
        readable_credits(principal).where(col(CustomerCredit.id) == credit_id).with_for_update()
    )
    if credit is None:
        raise NotFound("customer credit", ["creditId"])
    if credit.refunded_at is not None:
        raise DomainError(
            "the credit was already refunded", ErrorCode.INVALID_TRANSITION, ["creditId"]
        )
    credit.refunded_at = now or utcnow()
    credit.refund_reference = reference
    credit.refunded_by = principal.subject
    await session.flush()
    return credit


def _refund_reference(reference: str | None) -> str | None:
    if reference is None:
        return None
    reference = reference.strip()
    if not 1 <= len(reference) <= 200:
        raise DomainError(
            "a refund reference has 1 to 200 characters", ErrorCode.INVALID, ["reference"]
        )
    return reference


async def credits_held(
    session: AsyncSession, principal: Principal | None, customer_ids: list[int]
) -> dict[int, Decimal]:
    """Money held on each customer's account (overpayments not refunded yet); staff see
    every customer's, a customer their own."""
    statement = (
        readable_credits(principal)
        .with_only_columns(col(CustomerCredit.customer_id), func.sum(col(CustomerCredit.amount)))
        .where(
            col(CustomerCredit.customer_id).in_(customer_ids),
            col(CustomerCredit.refunded_at).is_(None),
        )
        .group_by(col(CustomerCredit.customer_id))
    )
    found = {c: Decimal(total or 0) for c, total in (await session.execute(statement)).all()}
    return {c: found.get(c, Decimal("0.00")) for c in customer_ids}


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


def _mark_upsell_paid(offer: UpsellOffer | None, invoice: Invoice, now: datetime) -> None:
    """The accessory's invoice is paid: the offer waits for its part to leave the van."""
    if offer is None or offer.status is not UpsellStatus.CONFIRMED:
        return
    if invoice.status is not InvoiceStatus.PAID:
        return
    offer.status = UpsellStatus.PAID_PENDING_STOCK
    offer.paid_at = now
    offer.touch()


async def _upsell_of(session: AsyncSession, invoice: Invoice) -> UpsellOffer | None:
    if invoice.upsell_id is None:
        return None
    return await session.get(UpsellOffer, invoice.upsell_id, with_for_update=True)


async def _consume_upsell(session: AsyncSession, offer: UpsellOffer, actor: str) -> None:
    """The paid accessory leaves the technician's van, consumed on the task (the ledger's
    operation key makes a second attempt a no-op). INSUFFICIENT_STOCK writes nothing."""
    invoice = await session.get(Invoice, offer.invoice_id) if offer.invoice_id else None
    await consume_on_task(
        session,
        offer.technician_id,
        offer.task_id,
        [TaskPartLine(part_id=offer.part_id, quantity=offer.quantity)],
        actor,
        operation_key=f"upsell:{offer.id}",
        reason=f"accessory sold on invoice {invoice.number if invoice else offer.invoice_id}",
    )
    offer.status = UpsellStatus.PAID
    offer.delivered_at = utcnow()
    offer.touch()
    await session.flush()


def _short(error: DomainError) -> bool:
    return any(p.code is ErrorCode.INSUFFICIENT_STOCK for p in error.problems)


def _alert_short(session: AsyncSession, offer: UpsellOffer) -> None:
    data = {
        "level": 2,
        "kind": UPSELL_STOCK_SHORT,
        "message": (
            f"accessory sold on task {offer.task_id} is paid but technician "
            f"{offer.technician_id}'s van is short of part {offer.part_id} "
            f"(x{offer.quantity}): restock the van, then deliver the upsell"
        ),
        "upsell_id": offer.id,
        "task_id": offer.task_id,
        "technician_id": offer.technician_id,
        "part_id": offer.part_id,
        "quantity": offer.quantity,
        "invoice_id": offer.invoice_id,
    }
    queue_event(session, [ALERTS, BILLING], UPSELL_STOCK_SHORT, data)


async def try_deliver(
    session: AsyncSession, offer: UpsellOffer, actor: str, now: datetime | None = None
) -> bool:
    """Consume a paid offer's part if the van holds it. When it does not, the offer stays
    PAID_PENDING_STOCK and the dispatcher is alerted (once, on the first shortage)."""
    if offer.status is not UpsellStatus.PAID_PENDING_STOCK:
        return offer.status is UpsellStatus.PAID
    try:
        await _consume_upsell(session, offer, actor)
    except DomainError as error:
        if not _short(error):
            raise
        if offer.stock_short_at is None:
            offer.stock_short_at = now or utcnow()
            offer.touch()
            _alert_short(session, offer)
            await session.flush()
        return False
    return True


async def deliver_paid_upsell(
    session: AsyncSession, invoice_id: int, now: datetime | None = None
) -> UpsellOffer | None:
    """After a payment of an accessory's invoice committed: consume its part or flag the
    shortage. Safe to call again (a replayed provider callback)."""
    invoice = await session.get(Invoice, invoice_id)
    if invoice is None:
        return None
    offer = await _upsell_of(session, invoice)
    if offer is None:
        return None
    _mark_upsell_paid(offer, invoice, now or utcnow())
    await try_deliver(session, offer, "payment-provider", now)
    return offer


async def deliver_upsell(
    session: AsyncSession, principal: Principal, upsell_id: int
) -> UpsellOffer:
    """Consume a paid accessory whose van was short (after a restock). The technician of the
    offer or the desk; still short is INSUFFICIENT_STOCK and writes nothing."""
    offer = await session.scalar(
        repository.readable_upsells(principal)
        .where(col(UpsellOffer.id) == upsell_id)
        .with_for_update(of=UpsellOffer)
    )
    if offer is None:
        raise NotFound("upsell offer", ["upsellId"])
    if principal.role is Role.TECHNICIAN and principal.technician_id != offer.technician_id:
        raise Forbidden("only the technician who sold it delivers it", ["upsellId"])
    if offer.status is not UpsellStatus.PAID_PENDING_STOCK:
        raise DomainError(
            f"the offer is {offer.status}", ErrorCode.INVALID_TRANSITION, ["upsellId"]
        )
    try:
        await _consume_upsell(session, offer, principal.subject)
    except DomainError as error:
        if not _short(error):
            raise
        raise DomainError(
            "the van still does not hold the part", ErrorCode.INSUFFICIENT_STOCK, ["upsellId"]
        ) from error
    return offer


RETRY_BATCH = 50


async def retry_pending_upsells(
    session: AsyncSession, now: datetime | None = None, limit: int = RETRY_BATCH
) -> list[int]:
    """Deliver paid accessories whose van now holds the part; offers another process is
    handling are skipped (SKIP LOCKED). The ids delivered."""
    offers = (
        await session.scalars(
            select(UpsellOffer)
            .where(col(UpsellOffer.status) == UpsellStatus.PAID_PENDING_STOCK)
            .order_by(col(UpsellOffer.paid_at), col(UpsellOffer.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    delivered: list[int] = []
    for offer in offers:
        if await try_deliver(session, offer, "upsell-retry", now):
            assert offer.id is not None
            delivered.append(offer.id)
    return delivered
