"""Money: price lists, coverage terms, estimates, invoices and credit notes, payments, links.

Amounts are `Decimal` in NUMERIC(12, 2) columns with a currency, never floats. Rounding is
explicit: every line amount and every line's tax is rounded ROUND_HALF_UP to the paisa (the
Indian GST practice of tax per line); document totals are sums of rounded lines, so a
document always equals the sum of what it shows.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import StringConstraints, model_validator
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field, timestamp, utcnow

CENT = Decimal("0.01")
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Category = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$"
    ),
]


def money(value: Decimal | int | str) -> Decimal:
    """Round to the paisa, half up (the one rounding rule of the billing domain)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def amount_column(*, default: Decimal | None = Decimal(0), nullable: bool = False) -> Any:
    return Field(default=default, sa_type=sa.Numeric(12, 2), nullable=nullable)


# --- price lists --------------------------------------------------------------------------


class PriceListBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    currency: str = Field(default="INR", max_length=3)
    effective_from: date
    effective_to: date | None = None
    call_out_fee: Decimal = amount_column()
    """Travel/call-out fee charged once per visit."""
    call_out_tax_category: str = Field(default="SAC-9987", max_length=40)
    default_labour_tax_category: str = Field(default="SAC-9987", max_length=40)
    default_part_tax_category: str = Field(default="HSN-GOODS", max_length=40)


class PriceList(PriceListBase, Audited, table=True):
    """Policy data: what the organisation charges, from a date (the latest in force wins)."""

    __tablename__ = "price_lists"
    __table_args__ = (
        sa.CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from", name="period_order"
        ),
        sa.CheckConstraint("call_out_fee >= 0", name="fee_not_negative"),
    )

    id: int | None = id_field()


class LabourRate(SQLModel, table=True):
    """Labour by task category (the task type): per hour, with a minimum charge per visit."""

    __tablename__ = "labour_rates"
    __table_args__ = (
        sa.UniqueConstraint("price_list_id", "category"),
        sa.CheckConstraint("hourly_rate >= 0 AND minimum_charge >= 0", name="not_negative"),
    )

    id: int | None = id_field()
    price_list_id: int = fk("price_lists.id", ondelete="CASCADE")
    category: str = Field(max_length=40)
    hourly_rate: Decimal = amount_column()
    minimum_charge: Decimal = amount_column()
    tax_category: str | None = Field(default=None, max_length=40)


class PartPrice(SQLModel, table=True):
    """A part's price in a price list (overrides the catalogue price) and its categories.

    `part_category` is the category a part has under this price list; the part's own
    catalogue category (parts.category) takes precedence when set."""

    __tablename__ = "part_prices"
    __table_args__ = (
        sa.UniqueConstraint("price_list_id", "part_id"),
        sa.CheckConstraint("unit_price >= 0", name="not_negative"),
    )

    id: int | None = id_field()
    price_list_id: int = fk("price_lists.id", ondelete="CASCADE")
    part_id: int = Field(sa_type=sa.BigInteger, index=True, foreign_key="parts.id")
    unit_price: Decimal = amount_column()
    part_category: str | None = Field(default=None, max_length=40)
    """What contracts may exclude (refrigerant gas, consumables, cosmetic parts...)."""
    tax_category: str | None = Field(default=None, max_length=40)


class TaxRate(SQLModel, table=True):
    """A GST slab by HSN/SAC-like category, in percent."""

    __tablename__ = "tax_rates"
    __table_args__ = (
        sa.UniqueConstraint("price_list_id", "category"),
        sa.CheckConstraint("rate_percent BETWEEN 0 AND 100", name="rate_range"),
    )

    id: int | None = id_field()
    price_list_id: int = fk("price_lists.id", ondelete="CASCADE")
    category: str = Field(max_length=40)
    rate_percent: Decimal = Field(sa_type=sa.Numeric(5, 2))


class LabourRateIn(SQLModel):
    category: Category
    hourly_rate: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    minimum_charge: Decimal = Field(default=Decimal(0), ge=0, max_digits=12, decimal_places=2)
    tax_category: Category | None = None


class PartPriceIn(SQLModel):
    part_id: int
    unit_price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    part_category: Category | None = None
    tax_category: Category | None = None


class TaxRateIn(SQLModel):
    category: Category
    rate_percent: Decimal = Field(ge=0, le=100, max_digits=5, decimal_places=2)


class PriceListCreate(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    currency: Currency = "INR"
    effective_from: date
    effective_to: date | None = None
    call_out_fee: Decimal = Field(default=Decimal(0), ge=0, max_digits=12, decimal_places=2)
    call_out_tax_category: Category = "SAC-9987"
    default_labour_tax_category: Category = "SAC-9987"
    default_part_tax_category: Category = "HSN-GOODS"
    labour_rates: list[LabourRateIn] = Field(default_factory=list, max_length=100)
    part_prices: list[PartPriceIn] = Field(default_factory=list, max_length=5000)
    tax_rates: list[TaxRateIn] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _period(self) -> PriceListCreate:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effectiveTo must not be before effectiveFrom")
        return self


# --- coverage terms -----------------------------------------------------------------------


class ContractBillingTerms(SQLModel, table=True):
    """What a contract's coverage is worth at most, and what it leaves out."""

    __tablename__ = "contract_billing_terms"
    __table_args__ = (
        sa.CheckConstraint(
            "(cap_per_visit IS NULL OR cap_per_visit >= 0)"
            " AND (cap_per_year IS NULL OR cap_per_year >= 0)",
            name="caps_not_negative",
        ),
    )

    contract_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="contracts.id", primary_key=True, ondelete="CASCADE"
    )
    cap_per_visit: Decimal | None = amount_column(default=None, nullable=True)
    cap_per_year: Decimal | None = amount_column(default=None, nullable=True)
    excluded_part_categories: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(ARRAY(sa.String(40)), nullable=False, server_default="{}"),
    )
    updated_at: datetime = timestamp()


class ContractTermsSet(SQLModel):
    contract_id: int
    cap_per_visit: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    cap_per_year: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    excluded_part_categories: list[Category] = Field(default_factory=list, max_length=50)


# --- lines (estimates and invoices) -------------------------------------------------------


class LineKind(StrEnum):
    """What a billing line charges for."""

    LABOUR = "LABOUR"
    """The technician's time."""
    PART = "PART"
    """A spare part used."""
    FEE = "FEE"
    """A fixed fee: call-out, inspection, disposal."""


class CoverageSource(StrEnum):
    """What pays a billing line's covered amount."""

    WARRANTY = "WARRANTY"
    """The manufacturer's warranty on the asset."""
    CONTRACT = "CONTRACT"
    """A service contract (AMC, CMC, extended warranty)."""
    NONE = "NONE"
    """Nothing: the customer pays the line."""


class BillingLine(SQLModel, table=True):
    """One line of an estimate or an invoice, with what coverage pays of it and why."""

    __tablename__ = "billing_lines"
    __table_args__ = (
        sa.CheckConstraint(
            "(estimate_id IS NULL) <> (invoice_id IS NULL)", name="estimate_xor_invoice"
        ),
        sa.CheckConstraint("quantity > 0", name="positive_quantity"),
        sa.CheckConstraint(
            "covered_amount >= 0 AND covered_amount <= abs(amount)", name="covered_within_amount"
        ),
    )

    id: int | None = id_field()
    estimate_id: int | None = fk("estimates.id", nullable=True, ondelete="CASCADE")
    invoice_id: int | None = fk("invoices.id", nullable=True)
    position: int = 0
    kind: LineKind = Field(sa_type=enum_type(LineKind, 16))
    description: str = Field(max_length=300)
    part_id: int | None = Field(default=None, sa_type=sa.BigInteger, foreign_key="parts.id")
    part_category: str | None = Field(default=None, max_length=40)
    quantity: Decimal = Field(sa_type=sa.Numeric(10, 2))
    unit_price: Decimal = amount_column()
    amount: Decimal = amount_column()
    covered_amount: Decimal = amount_column()
    chargeable_amount: Decimal = amount_column()
    tax_category: str = Field(max_length=40)
    tax_rate: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(5, 2))
    tax_amount: Decimal = amount_column()
    total: Decimal = amount_column()
    coverage_source: CoverageSource = Field(
        default=CoverageSource.NONE, sa_type=enum_type(CoverageSource, 16)
    )
    contract_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    contract_number: str | None = Field(default=None, max_length=60)
    cap_applied: bool = False
    coverage_note: str = Field(default="", max_length=300)


class LineIn(SQLModel):
    """A line a technician or the desk enters: the price comes from the price list unless
    given (a fee without a list price, say)."""

    kind: LineKind
    description: str | None = Field(default=None, max_length=300)
    part_id: int | None = None
    category: Category | None = None
    """The labour category (task type) for a LABOUR line."""
    quantity: Decimal = Field(gt=0, le=10_000, max_digits=10, decimal_places=2)
    unit_price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    tax_category: Category | None = None

    @model_validator(mode="after")
    def _complete(self) -> LineIn:
        if self.kind is LineKind.PART and self.part_id is None:
            raise ValueError("a part line needs partId")
        if self.kind is LineKind.FEE and (self.unit_price is None or not self.description):
            raise ValueError("a fee line needs a description and a unitPrice")
        return self


class Totals(SQLModel):
    subtotal: Decimal = amount_column()
    covered_amount: Decimal = amount_column()
    net_amount: Decimal = amount_column()
    """What the customer is charged before tax (the revenue)."""
    tax_amount: Decimal = amount_column()
    total: Decimal = amount_column()


# --- estimates ----------------------------------------------------------------------------


class EstimateStatus(StrEnum):
    """Where an estimate stands with the customer."""

    DRAFT = "DRAFT"
    """Being written; the customer does not see it yet."""
    SENT = "SENT"
    """Sent to the customer, waiting for their answer."""
    ACCEPTED = "ACCEPTED"
    """The customer accepted it; its lines are billed with the visit."""
    REJECTED = "REJECTED"
    """The customer turned it down."""
    WITHDRAWN = "WITHDRAWN"
    """Taken back before the customer answered."""


class Estimate(Totals, Audited, table=True):
    """Extra charges found on site, quoted to the customer before the work is done."""

    __tablename__ = "estimates"

    id: int | None = id_field()
    task_id: int = fk("tasks.id")
    customer_id: int = fk("customers.id")
    status: EstimateStatus = Field(
        default=EstimateStatus.DRAFT, sa_type=enum_type(EstimateStatus, 16), index=True
    )
    currency: str = Field(default="INR", max_length=3)
    notes: str | None = Field(default=None, max_length=2000)
    requires_acceptance: bool = True
    """Work on the task waits for the customer's answer (policy, per estimate)."""
    created_by: str = Field(max_length=200)
    sent_at: datetime | None = timestamp(nullable=True, default_now=False)
    valid_until: datetime | None = timestamp(nullable=True, default_now=False)
    decided_at: datetime | None = timestamp(nullable=True, default_now=False)
    decided_by: str | None = Field(default=None, max_length=200)
    decision_reason: str | None = Field(default=None, max_length=500)


class EstimateCreate(SQLModel):
    task_id: int
    lines: list[LineIn] = Field(min_length=1, max_length=100)
    notes: str | None = Field(default=None, max_length=2000)
    requires_acceptance: bool = True


# --- invoices -----------------------------------------------------------------------------


class InvoiceKind(StrEnum):
    """An invoice, or a credit note correcting one."""

    INVOICE = "INVOICE"
    """Charges the customer."""
    CREDIT_NOTE = "CREDIT_NOTE"
    """Credits an issued invoice (numbered in its own series)."""


class InvoiceStatus(StrEnum):
    """Where an invoice stands: drafted, issued (numbered and frozen), paid or credited."""

    DRAFT = "DRAFT"
    """Not yet issued: no number, its lines follow what it bills."""
    ISSUED = "ISSUED"
    """Numbered, frozen and sent; nothing paid yet."""
    PARTIALLY_PAID = "PARTIALLY_PAID"
    """Issued, and paid in part."""
    PAID = "PAID"
    """Paid in full (or nothing was due)."""
    CREDITED = "CREDITED"
    """Fully offset by credit notes."""
    VOID = "VOID"
    """A draft that will never be issued (it never had a number)."""


SERIES = {InvoiceKind.INVOICE: "INV", InvoiceKind.CREDIT_NOTE: "CN"}


class Invoice(Totals, Audited, table=True):
    """An invoice (or a credit note correcting one). Drafts have no number; issuing assigns
    the next number of its series and year, and from then on its money is frozen (a trigger
    refuses changes to its amounts and lines)."""

    __tablename__ = "invoices"
    __table_args__ = (
        sa.Index(
            "uq_invoices_task",
            "task_id",
            unique=True,
            postgresql_where=sa.text("kind = 'INVOICE' AND status <> 'VOID' AND upsell_id IS NULL"),
        ),
        sa.CheckConstraint(
            "(kind = 'CREDIT_NOTE') = (credited_invoice_id IS NOT NULL)", name="credit_note_refers"
        ),
        sa.CheckConstraint(
            "(status = 'DRAFT' OR status = 'VOID') = (number IS NULL)", name="numbered_when_issued"
        ),
        sa.CheckConstraint("amount_paid >= 0", name="paid_not_negative"),
    )

    id: int | None = id_field()
    kind: InvoiceKind = Field(default=InvoiceKind.INVOICE, sa_type=enum_type(InvoiceKind, 16))
    number: str | None = Field(default=None, max_length=40, unique=True)
    status: InvoiceStatus = Field(
        default=InvoiceStatus.DRAFT, sa_type=enum_type(InvoiceStatus, 16), index=True
    )
    customer_id: int = fk("customers.id")
    task_id: int | None = fk("tasks.id", nullable=True)
    upsell_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    credited_invoice_id: int | None = fk("invoices.id", nullable=True)
    currency: str = Field(default="INR", max_length=3)
    priced: bool = False
    """Whether its lines are stored. A completion draft is opened unpriced: it reads priced as
    it stands (`drafts.shown_drafts`) and is stored priced when issued."""
    amount_paid: Decimal = amount_column()
    amount_credited: Decimal = amount_column()
    issued_at: datetime | None = timestamp(nullable=True, default_now=False)
    due_on: date | None = None
    reason: str | None = Field(default=None, max_length=500)
    """Why a credit note was issued."""

    @property
    def balance(self) -> Decimal:
        if self.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
            return Decimal(0)
        if self.kind is InvoiceKind.CREDIT_NOTE:
            return Decimal(0)
        return self.total - self.amount_paid - self.amount_credited


class DocumentCounter(SQLModel, table=True):
    """The last number of a series in a year. Locked FOR UPDATE by the issuing transaction,
    so a rolled-back issue leaves no gap (a sequence would)."""

    __tablename__ = "document_counters"

    series: str = Field(primary_key=True, max_length=8)
    year: int = Field(primary_key=True)
    last_number: int = 0


class CreditNoteLineIn(SQLModel):
    position: int = Field(ge=0)
    """The invoice line's position (from 0)."""
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    """Pre-tax amount credited on that line."""


class CreditNoteCreate(SQLModel):
    invoice_id: int
    reason: str = Field(min_length=1, max_length=500)
    lines: list[CreditNoteLineIn] = Field(default_factory=list, max_length=100)
    """Empty: credit the whole balance of every line."""


# --- payments -----------------------------------------------------------------------------


class PaymentMethod(StrEnum):
    """How money was received."""

    CASH = "CASH"
    """Cash taken by the technician or the desk."""
    CARD = "CARD"
    """A card payment on a terminal."""
    ONLINE = "ONLINE"
    """Paid online through a payment link."""


class Payment(SQLModel, table=True):
    """Money received against an invoice; each has a numbered receipt."""

    __tablename__ = "payments"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="positive_amount"),)

    id: int | None = id_field()
    invoice_id: int = fk("invoices.id")
    customer_id: int = fk("customers.id")
    method: PaymentMethod = Field(sa_type=enum_type(PaymentMethod, 16))
    amount: Decimal = amount_column()
    currency: str = Field(default="INR", max_length=3)
    reference: str | None = Field(default=None, max_length=200)
    """Card slip number, or the provider's transaction id (unique per provider)."""
    provider_ref: str | None = Field(default=None, max_length=200, unique=True)
    receipt_number: str = Field(max_length=40, unique=True)
    received_at: datetime = timestamp()
    recorded_by: str = Field(max_length=200)


class PaymentCreate(SQLModel):
    invoice_id: int
    method: PaymentMethod
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    reference: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _offline(self) -> PaymentCreate:
        if self.method is PaymentMethod.ONLINE:
            raise ValueError("online payments arrive through a payment link")
        return self


class LinkStatus(StrEnum):
    """Whether a payment link can still be paid."""

    OPEN = "OPEN"
    """Can be paid, until it expires."""
    PAID = "PAID"
    """Paid through the provider."""
    CANCELLED = "CANCELLED"
    """Replaced by a newer link of the invoice."""
    CLOSED = "CLOSED"
    """Nothing is due on the invoice any more (paid another way, or credited)."""


class PaymentLink(SQLModel, table=True):
    """A signed, expiring link the customer opens to pay an invoice online. While OPEN its
    amount is the invoice's balance due now: every payment and credit note updates it, and
    closes it when nothing is left to pay."""

    __tablename__ = "payment_links"

    id: int | None = id_field()
    invoice_id: int = fk("invoices.id")
    amount: Decimal = amount_column()
    currency: str = Field(default="INR", max_length=3)
    nonce: str = Field(max_length=64, unique=True)
    status: LinkStatus = Field(default=LinkStatus.OPEN, sa_type=enum_type(LinkStatus, 16))
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    expires_at: datetime = timestamp(default_now=False)
    created_by: str = Field(max_length=200)
    paid_at: datetime | None = timestamp(nullable=True, default_now=False)
    payment_id: int | None = fk("payments.id", nullable=True)


class CustomerCredit(SQLModel, table=True):
    """Money the customer paid that no invoice was due to take: a provider's success for a
    link whose invoice was meanwhile paid, credited or paid in part. It is held on the
    customer's account (their credit balance) and the desk is alerted to refund it."""

    __tablename__ = "customer_credits"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="positive_amount"),)

    id: int | None = id_field()
    customer_id: int = fk("customers.id")
    invoice_id: int | None = fk("invoices.id", nullable=True)
    payment_link_id: int | None = fk("payment_links.id", nullable=True)
    payment_id: int | None = fk("payments.id", nullable=True)
    """The part of the same provider transaction that did pay the invoice, if any."""
    amount: Decimal = amount_column()
    currency: str = Field(default="INR", max_length=3)
    provider_ref: str | None = Field(default=None, max_length=200, unique=True)
    receipt_number: str = Field(max_length=40)
    """The receipt of the provider transaction (shared with its payment, if any)."""
    reason: str = Field(max_length=300)
    received_at: datetime = timestamp()
    refunded_at: datetime | None = timestamp(nullable=True, default_now=False)
    refund_reference: str | None = Field(default=None, max_length=200)
    """The bank or provider reference of the refund."""
    refunded_by: str | None = Field(default=None, max_length=200)


# --- upsell -------------------------------------------------------------------------------


class UpsellStatus(StrEnum):
    """Where an accessory offered on a visit stands."""

    OFFERED = "OFFERED"
    """Offered to the customer, waiting for their answer."""
    CONFIRMED = "CONFIRMED"
    """The customer said yes; an invoice and a payment link wait for payment."""
    PAID_PENDING_STOCK = "PAID_PENDING_STOCK"
    """Paid (the payment and its receipt are recorded) but the part has not left the van
    yet: it is being consumed, or the van was short and the dispatcher was alerted. It is
    delivered by `deliverUpsell` or by the retry job once the van holds the part."""
    PAID = "PAID"
    """Paid and the part left the van."""
    DECLINED = "DECLINED"
    """The customer said no."""


class UpsellOffer(Audited, table=True):
    """An accessory a technician offers on site."""

    __tablename__ = "upsell_offers"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="positive_quantity"),
        sa.Index(
            "ix_upsell_offers_pending_stock",
            "paid_at",
            postgresql_where=sa.text("status = 'PAID_PENDING_STOCK'"),
        ),
    )

    id: int | None = id_field()
    task_id: int = fk("tasks.id")
    customer_id: int = fk("customers.id")
    technician_id: int = fk("technicians.id")
    part_id: int = Field(sa_type=sa.BigInteger, index=True, foreign_key="parts.id")
    quantity: int = 1
    unit_price: Decimal = amount_column()
    currency: str = Field(default="INR", max_length=3)
    status: UpsellStatus = Field(default=UpsellStatus.OFFERED, sa_type=enum_type(UpsellStatus, 24))
    invoice_id: int | None = fk("invoices.id", nullable=True)
    offered_by: str = Field(max_length=200)
    decided_at: datetime | None = timestamp(nullable=True, default_now=False)
    paid_at: datetime | None = timestamp(nullable=True, default_now=False)
    stock_short_at: datetime | None = timestamp(nullable=True, default_now=False)
    """When the van was first found short of the paid part (the dispatcher was alerted)."""
    delivered_at: datetime | None = timestamp(nullable=True, default_now=False)


class UpsellCreate(SQLModel):
    task_id: int
    part_id: int
    quantity: int = Field(default=1, gt=0, le=100)
