"""GraphQL types for money: price lists, estimates, invoices, payments, links, upsell."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.billing import models
from app.billing.drafts import DraftPrice, shown_drafts
from app.billing.invoices import totals_of
from app.billing.models import (
    BillingLine,
    Estimate,
    Invoice,
    Payment,
    PaymentLink,
    PriceList,
    UpsellOffer,
)
from app.customers.models import Customer
from schema.common import Money
from schema.context import Info
from schema.errors import Payload
from schema.ids import encode_id
from schema.node import Node
from schema.pagination import Connection, FirstItems
from schema.permissions import internal

if TYPE_CHECKING:
    from schema.customers import CustomerType

CustomerRef = Annotated["CustomerType", strawberry.lazy("schema.customers")]

LineKind = strawberry.enum(models.LineKind, name="BillingLineKind")
CoverageSource = strawberry.enum(models.CoverageSource, name="CoverageSource")
EstimateStatus = strawberry.enum(models.EstimateStatus, name="EstimateStatus")
InvoiceKind = strawberry.enum(models.InvoiceKind, name="InvoiceKind")
InvoiceStatus = strawberry.enum(models.InvoiceStatus, name="InvoiceStatus")
PaymentMethod = strawberry.enum(models.PaymentMethod, name="PaymentMethod")
LinkStatus = strawberry.enum(models.LinkStatus, name="PaymentLinkStatus")
UpsellStatus = strawberry.enum(models.UpsellStatus, name="UpsellStatus")


@strawberry.type(name="LineCoverage", description="What coverage pays of a line, and why.")
class LineCoverage:
    source: CoverageSource = strawberry.field(  # type: ignore[valid-type]
        description="What pays the covered amount: warranty, contract or nothing."
    )
    covered: Money = strawberry.field(
        description="The part of the line amount that coverage pays (before tax)."
    )
    contract_id: strawberry.ID | None
    contract_number: str | None = strawberry.field(
        description="Number of the contract that covers (or would cover, when its cap ran out) "
        "the line."
    )
    cap_applied: bool = strawberry.field(
        description="Whether the contract's cap (per visit or per year) cut what it covers."
    )
    note: str = strawberry.field(
        description='Why the line is or is not covered, for display (e.g. "parts covered by AMC '
        'C-12").'
    )


@strawberry.type(
    name="BillingLine",
    description="One line of an estimate or an invoice, priced, with what coverage pays of it "
    "and the tax on the rest.",
)
class BillingLineType:
    position: int = strawberry.field(
        description="Order of the line in its document, from 0 (credit notes refer to it)."
    )
    kind: LineKind = strawberry.field(description="Labour, part or fee.")  # type: ignore[valid-type]
    description: str = strawberry.field(description="Text shown to the customer for the line.")
    part_id: strawberry.ID | None
    quantity: Decimal = strawberry.field(
        description="Hours for labour, units for parts and fees (up to 2 decimals)."
    )
    unit_price: Money = strawberry.field(description="Price per hour or unit, before tax.")
    amount: Money = strawberry.field(
        description="Quantity times unit price, before coverage and tax."
    )
    coverage: LineCoverage = strawberry.field(
        description="What warranty or contract pays of the line."
    )
    chargeable: Money = strawberry.field(
        description="What the customer is charged before tax: amount less covered."
    )
    tax_category: str = strawberry.field(
        description="HSN/SAC-style category that picked the GST rate."
    )
    tax_rate_percent: Decimal = strawberry.field(description="GST rate in percent (18 means 18%).")
    tax: Money = strawberry.field(description="GST on the chargeable amount, rounded to the paisa.")
    total: Money = strawberry.field(description="Chargeable amount plus tax.")

    @classmethod
    def from_model(cls, row: BillingLine, currency: str) -> BillingLineType:
        def m(value: Decimal) -> Money:
            return Money(amount=value, currency=currency)

        return cls(
            position=row.position,
            kind=row.kind,
            description=row.description,
            part_id=strawberry.ID(encode_id("Part", row.part_id)) if row.part_id else None,
            quantity=row.quantity,
            unit_price=m(row.unit_price),
            amount=m(row.amount),
            coverage=LineCoverage(
                source=row.coverage_source,
                covered=m(row.covered_amount),
                contract_id=strawberry.ID(encode_id("Contract", row.contract_id))
                if row.contract_id
                else None,
                contract_number=row.contract_number,
                cap_applied=row.cap_applied,
                note=row.coverage_note,
            ),
            chargeable=m(row.chargeable_amount),
            tax_category=row.tax_category,
            tax_rate_percent=row.tax_rate,
            tax=m(row.tax_amount),
            total=m(row.total),
        )


@strawberry.type(description="Money totals of an estimate or an invoice: the sums of its lines.")
class DocumentTotals:
    subtotal: Money = strawberry.field(description="Sum of line amounts, before coverage and tax.")
    covered: Money = strawberry.field(description="What warranty and contracts pay.")
    net: Money = strawberry.field(
        description="What the customer is charged before tax (the revenue)."
    )
    tax: Money = strawberry.field(description="Total GST.")
    total: Money = strawberry.field(description="What the customer pays: net plus tax.")

    @classmethod
    def of(cls, row: models.Totals, currency: str) -> DocumentTotals:
        return cls(
            subtotal=Money(amount=row.subtotal, currency=currency),
            covered=Money(amount=row.covered_amount, currency=currency),
            net=Money(amount=row.net_amount, currency=currency),
            tax=Money(amount=row.tax_amount, currency=currency),
            total=Money(amount=row.total, currency=currency),
        )


async def _customer(info: Info, customer_id: int) -> CustomerType | None:
    from schema.customers import CustomerType

    row = await info.context.loaders.by_id(Customer).load(customer_id)
    return CustomerType.from_model(row) if row else None


@strawberry.type(
    name="Invoice",
    description=(
        "An invoice or a credit note. A draft opened on a task's completion reads priced as "
        "it stands (lines and totals as issuing would freeze them now); issuing stores them."
    ),
)
class InvoiceType(Node):
    kind: InvoiceKind = strawberry.field(description="Invoice or credit note.")  # type: ignore[valid-type]
    number: str | None = strawberry.field(
        description="Number from its series and year, e.g. INV-2026-000123 or CN-2026-000004; "
        "null while a draft or voided."
    )
    status: InvoiceStatus = strawberry.field(  # type: ignore[valid-type]
        description="Draft, issued, partly paid, paid, credited or void."
    )
    amount_paid: Money = strawberry.field(description="Sum of the payments received.")
    amount_credited: Money = strawberry.field(
        description="Sum of the credit notes issued against it."
    )
    balance: Money = strawberry.field(
        description="What is still due: total less paid and credited; zero for drafts, void "
        "invoices and credit notes."
    )
    issued_at: datetime | None = strawberry.field(
        description="When it was numbered and frozen; null while a draft."
    )
    due_on: date | None = strawberry.field(
        description="Last day to pay (issue date plus the configured days, 15 by default); null "
        "while a draft."
    )
    reason: str | None = strawberry.field(
        description="Why a credit note was issued; null on invoices."
    )
    version: int
    customer_id: strawberry.Private[int]
    task_db_id: strawberry.Private[int | None]
    credited_db_id: strawberry.Private[int | None]
    stored_currency: strawberry.Private[str]
    stored_totals: strawberry.Private[DocumentTotals]
    unpriced_draft: strawberry.Private[bool]

    @strawberry.field
    def task_id(self) -> strawberry.ID | None:
        return strawberry.ID(encode_id("Task", self.task_db_id)) if self.task_db_id else None

    @strawberry.field(description="The invoice a credit note corrects.")
    def credited_invoice_id(self) -> strawberry.ID | None:
        if self.credited_db_id is None:
            return None
        return strawberry.ID(encode_id("Invoice", self.credited_db_id))

    @strawberry.field(description="The customer billed; null if the caller may not read them.")
    async def customer(self, info: Info) -> CustomerRef | None:
        return await _customer(info, self.customer_id)

    @strawberry.field(description="ISO 4217 currency code, e.g. INR.")
    async def currency(self, info: Info) -> str:
        draft = await self._draft(info)
        return draft.currency if draft and draft.currency else self.stored_currency

    @strawberry.field(description="Subtotal, covered, net, tax and total.")
    async def totals(self, info: Info) -> DocumentTotals:
        draft = await self._draft(info)
        if draft is None:
            return self.stored_totals
        amounts = models.Totals.model_validate(totals_of(draft.lines))
        return DocumentTotals.of(amounts, draft.currency or self.stored_currency)

    @strawberry.field(
        description="Its lines in order (up to 50); empty on a draft that cannot be priced yet.",
        extensions=[FirstItems(50)],
    )
    async def lines(self, info: Info) -> list[BillingLineType]:
        draft = await self._draft(info)
        if draft is not None:
            currency = draft.currency or self.stored_currency
            return [BillingLineType.from_model(r, currency) for r in draft.lines]
        loader = info.context.loaders.children(BillingLine, BillingLine.invoice_id)
        rows = await loader.load(self.db_id)
        return [BillingLineType.from_model(r, self.stored_currency) for r in rows]

    @strawberry.field(
        description=(
            "Why a draft cannot be priced yet (no price list in force on the day of the visit, "
            "a part missing from the catalogue): it shows no lines until it can, and issuing "
            "it is refused for the same reason."
        ),
        extensions=[internal()],
    )
    async def pricing_problem(self, info: Info) -> str | None:
        draft = await self._draft(info)
        return str(draft.problem) if draft and draft.problem else None

    @strawberry.field(
        description="Payments received against it (up to 50).", extensions=[FirstItems(50)]
    )
    async def payments(self, info: Info) -> list[PaymentType]:
        loader = info.context.loaders.children(Payment, Payment.invoice_id)
        return [PaymentType.from_model(r) for r in await loader.load(self.db_id)]

    async def _draft(self, info: Info) -> DraftPrice | None:
        """An unpriced draft's price as it stands, one batch for every draft of the operation."""
        if not self.unpriced_draft:
            return None
        session = info.context.session
        loader = info.context.loaders.custom(
            "billing.shown_drafts", lambda ids: shown_drafts(session, ids)
        )
        draft: DraftPrice | None = await loader.load(self.db_id)
        return draft

    @classmethod
    def from_model(cls, row: Invoice) -> InvoiceType:
        assert row.id is not None
        c = row.currency
        return cls(
            db_id=row.id,
            kind=row.kind,
            number=row.number,
            status=row.status,
            amount_paid=Money(amount=row.amount_paid, currency=c),
            amount_credited=Money(amount=row.amount_credited, currency=c),
            balance=Money(amount=row.balance, currency=c),
            issued_at=row.issued_at,
            due_on=row.due_on,
            reason=row.reason,
            version=row.version,
            customer_id=row.customer_id,
            task_db_id=row.task_id,
            credited_db_id=row.credited_invoice_id,
            stored_currency=c,
            stored_totals=DocumentTotals.of(row, c),
            unpriced_draft=row.status is models.InvoiceStatus.DRAFT and not row.priced,
        )


InvoiceConnection = Connection[InvoiceType]


@strawberry.type(
    name="Estimate",
    description="Extra work found on site, priced and quoted to the customer before it is done.",
)
class EstimateType(Node):
    status: EstimateStatus = strawberry.field(  # type: ignore[valid-type]
        description="Draft, sent, accepted, rejected or withdrawn."
    )
    currency: str = strawberry.field(description="ISO 4217 currency code, e.g. INR.")
    totals: DocumentTotals = strawberry.field(description="Subtotal, covered, net, tax and total.")
    notes: str | None = strawberry.field(description="Free text for the customer; null if none.")
    requires_acceptance: bool = strawberry.field(
        description="Whether work on the task waits for the customer's answer while the estimate "
        "is a draft or sent."
    )
    sent_at: datetime | None = strawberry.field(
        description="When it was sent to the customer; null while a draft."
    )
    decided_at: datetime | None = strawberry.field(
        description="When the customer accepted or rejected it; null until then."
    )
    decision_reason: str | None = strawberry.field(
        description="Why the customer accepted or rejected it, as they wrote; null if not given."
    )
    version: int
    customer_id: strawberry.Private[int]
    task_db_id: strawberry.Private[int]

    @strawberry.field
    def task_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Task", self.task_db_id))

    @strawberry.field(
        description="The customer it is quoted to; null if the caller may not read them."
    )
    async def customer(self, info: Info) -> CustomerRef | None:
        return await _customer(info, self.customer_id)

    @strawberry.field(description="Its lines in order (up to 50).", extensions=[FirstItems(50)])
    async def lines(self, info: Info) -> list[BillingLineType]:
        loader = info.context.loaders.children(BillingLine, BillingLine.estimate_id)
        rows = await loader.load(self.db_id)
        return [BillingLineType.from_model(r, self.currency) for r in rows]

    @classmethod
    def from_model(cls, row: Estimate) -> EstimateType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            status=row.status,
            currency=row.currency,
            totals=DocumentTotals.of(row, row.currency),
            notes=row.notes,
            requires_acceptance=row.requires_acceptance,
            sent_at=row.sent_at,
            decided_at=row.decided_at,
            decision_reason=row.decision_reason,
            version=row.version,
            customer_id=row.customer_id,
            task_db_id=row.task_id,
        )


EstimateConnection = Connection[EstimateType]


@strawberry.type(
    name="Payment", description="Money received against an invoice, with its numbered receipt."
)
class PaymentType(Node):
    method: PaymentMethod = strawberry.field(description="Cash, card or online.")  # type: ignore[valid-type]
    amount: Money = strawberry.field(description="Money received.")
    reference: str | None = strawberry.field(
        description="Card slip number or the provider's transaction ID; null if none."
    )
    receipt_number: str = strawberry.field(
        description="Receipt number, e.g. RCT-2026-000042 (no gaps)."
    )
    received_at: datetime = strawberry.field(description="When the money was received.")
    invoice_db_id: strawberry.Private[int]

    @strawberry.field
    def invoice_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Invoice", self.invoice_db_id))

    @classmethod
    def from_model(cls, row: Payment) -> PaymentType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            method=row.method,
            amount=Money(amount=row.amount, currency=row.currency),
            reference=row.reference,
            receipt_number=row.receipt_number,
            received_at=row.received_at,
            invoice_db_id=row.invoice_id,
        )


@strawberry.type(
    name="PaymentLink",
    description="A signed, expiring link the customer opens to pay an invoice online.",
)
class PaymentLinkType:
    token: str = strawberry.field(
        description="The signed token in the URL; it proves the link and needs no login."
    )
    url: str = strawberry.field(description="Public page where the customer pays.")
    amount: Money = strawberry.field(
        description="The invoice's balance due; while the link is open it follows payments "
        "and credit notes."
    )
    status: LinkStatus = strawberry.field(  # type: ignore[valid-type]
        description="Open, paid, cancelled (replaced) or closed (nothing due)."
    )
    expires_at: datetime = strawberry.field(
        description="After this the link cannot be paid (72 hours after creation by default)."
    )

    @classmethod
    def from_model(cls, row: PaymentLink, token: str, base_url: str) -> PaymentLinkType:
        return cls(
            token=token,
            url=f"{base_url.rstrip('/')}/pay/{token}",
            amount=Money(amount=row.amount, currency=row.currency),
            status=row.status,
            expires_at=row.expires_at,
        )


@strawberry.type(
    name="PriceList",
    description="What the organisation charges from a date: labour rates, part prices, call-out "
    "fee and GST rates.",
)
class PriceListType(Node):
    name: str = strawberry.field(description="Name shown to staff.")
    currency: str = strawberry.field(description="ISO 4217 currency code of its prices, e.g. INR.")
    effective_from: date = strawberry.field(description="First day it is in force.")
    effective_to: date | None = strawberry.field(
        description="Last day it is in force; null: open-ended."
    )
    call_out_fee: Money = strawberry.field(
        description="Travel/call-out fee charged once per visit, before tax."
    )
    version: int

    @classmethod
    def from_model(cls, row: PriceList) -> PriceListType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            name=row.name,
            currency=row.currency,
            effective_from=row.effective_from,
            effective_to=row.effective_to,
            call_out_fee=Money(amount=row.call_out_fee, currency=row.currency),
            version=row.version,
        )


PriceListConnection = Connection[PriceListType]


@strawberry.type(
    name="UpsellOffer",
    description="An accessory the technician offers the customer on a visit, paid through its "
    "own invoice.",
)
class UpsellOfferType(Node):
    status: UpsellStatus = strawberry.field(  # type: ignore[valid-type]
        description="Offered, confirmed, paid pending stock, paid or declined."
    )
    quantity: int = strawberry.field(description="Units of the accessory offered.")
    unit_price: Money = strawberry.field(
        description="Price per unit before tax, from the price list when offered."
    )
    paid_at: datetime | None = strawberry.field(
        description="When its invoice was paid in full; null until then."
    )
    stock_short_at: datetime | None = strawberry.field(
        description="When the van was first found short of the paid part (dispatcher alerted)."
    )
    delivered_at: datetime | None = strawberry.field(
        description="When the part left the van for the customer; null until then."
    )
    part_db_id: strawberry.Private[int]
    task_db_id: strawberry.Private[int]
    invoice_db_id: strawberry.Private[int | None]

    @strawberry.field
    def part_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Part", self.part_db_id))

    @strawberry.field
    def task_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Task", self.task_db_id))

    @strawberry.field
    def invoice_id(self) -> strawberry.ID | None:
        if self.invoice_db_id is None:
            return None
        return strawberry.ID(encode_id("Invoice", self.invoice_db_id))

    @classmethod
    def from_model(cls, row: UpsellOffer) -> UpsellOfferType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            status=row.status,
            quantity=row.quantity,
            unit_price=Money(amount=row.unit_price, currency=row.currency),
            paid_at=row.paid_at,
            stock_short_at=row.stock_short_at,
            delivered_at=row.delivered_at,
            part_db_id=row.part_id,
            task_db_id=row.task_id,
            invoice_db_id=row.invoice_id,
        )


UpsellOfferConnection = Connection[UpsellOfferType]


@strawberry.type(
    name="CustomerCredit",
    description="Money a customer paid that no invoice was due for, held until refunded.",
)
class CustomerCreditType(Node):
    amount: Money = strawberry.field(description="Money held for the customer.")
    reason: str = strawberry.field(
        description="Why no invoice took the money (e.g. the invoice was already paid)."
    )
    receipt_number: str = strawberry.field(
        description="Receipt of the provider transaction that brought the money."
    )
    received_at: datetime = strawberry.field(description="When the money was received.")
    refunded_at: datetime | None = strawberry.field(
        description="When it was refunded; null while still held."
    )
    refund_reference: str | None = strawberry.field(
        description="Bank or provider reference of the refund; null if none or not refunded."
    )
    customer_db_id: strawberry.Private[int]
    invoice_db_id: strawberry.Private[int | None]

    @strawberry.field
    def customer_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Customer", self.customer_db_id))

    @strawberry.field(description="The invoice whose payment link took the money.")
    def invoice_id(self) -> strawberry.ID | None:
        if self.invoice_db_id is None:
            return None
        return strawberry.ID(encode_id("Invoice", self.invoice_db_id))

    @classmethod
    def from_model(cls, row: models.CustomerCredit) -> CustomerCreditType:
        assert row.id is not None
        return cls(
            amount=Money(amount=row.amount, currency=row.currency),
            reason=row.reason,
            receipt_number=row.receipt_number,
            received_at=row.received_at,
            refunded_at=row.refunded_at,
            refund_reference=row.refund_reference,
            db_id=row.id,
            customer_db_id=row.customer_id,
            invoice_db_id=row.invoice_id,
        )


@strawberry.type(
    description="What a customer owes over their issued invoices, and the credit held for them."
)
class CustomerBalance:
    customer_id: strawberry.ID
    outstanding: Money = strawberry.field(
        description="Sum of the balances of their issued, unpaid invoices."
    )
    credit: Money = strawberry.field(
        description="Money the customer paid that no invoice was due for (a payment link paid "
        "after its invoice was paid or credited), held until it is refunded."
    )


@strawberry.type(description="Overdue invoices of one age band (days past due).")
class CollectionBucket:
    bucket: str = strawberry.field(description='Days past due: "0-30", "31-60", "61-90" or "90+".')
    invoice_count: int = strawberry.field(description="Overdue invoices in the band.")
    balance: Money = strawberry.field(description="Their balance due in total.")


# --- inputs -------------------------------------------------------------------------------


@strawberry.input(
    description="A line to price: the price list gives the price unless unitPrice is set."
)
class LineInput:
    kind: LineKind = strawberry.field(description="Labour, part or fee.")  # type: ignore[valid-type]
    quantity: Decimal = strawberry.field(
        description="Hours for labour, units for parts and fees: above 0, at most 10000, 2 "
        "decimals."
    )
    description: str | None = strawberry.field(
        default=None,
        description="Text for the customer; required for a fee, null: from the price list or part.",
    )
    part_id: strawberry.ID | None = None
    category: str | None = strawberry.field(
        default=None,
        description="Labour category (task type) of a LABOUR line; null: the task's type (REPAIR "
        "without a task).",
    )
    unit_price: Decimal | None = strawberry.field(
        default=None,
        description="Price per hour or unit before tax, in rupees; required for a fee, null: the "
        "price list price.",
    )
    tax_category: str | None = strawberry.field(
        default=None,
        description="HSN/SAC-style tax category; null: the price list's default for the kind.",
    )


@strawberry.input(description="A labour rate of a price list, per task category.")
class LabourRateInput:
    category: str = strawberry.field(description="Task category (task type) the rate applies to.")
    hourly_rate: Decimal = strawberry.field(
        description="Price per hour before tax, in the list currency (rupees for INR)."
    )
    minimum_charge: Decimal = strawberry.field(
        default=Decimal(0), description="Least labour charged per visit, before tax; 0: none."
    )
    tax_category: str | None = strawberry.field(
        default=None, description="Tax category; null: the price list's default labour category."
    )


@strawberry.input(description="A part's price in a price list, overriding its catalogue price.")
class PartPriceInput:
    part_id: strawberry.ID
    unit_price: Decimal = strawberry.field(
        description="Price per unit before tax, in the list currency (rupees for INR)."
    )
    part_category: str | None = strawberry.field(
        default=None,
        description="Category contracts may exclude (e.g. refrigerant gas); the part's own "
        "catalogue category wins when set.",
    )
    tax_category: str | None = strawberry.field(
        default=None, description="Tax category; null: the price list's default part category."
    )


@strawberry.input(description="A GST rate of a price list for one tax category.")
class TaxRateInput:
    category: str = strawberry.field(description="HSN/SAC-style tax category, e.g. SAC-9987.")
    rate_percent: Decimal = strawberry.field(
        description="GST rate in percent, 0 to 100 (18 means 18%)."
    )


@strawberry.input(description="A new price list.")
class CreatePriceListInput:
    name: str = strawberry.field(description="Name shown to staff.")
    effective_from: date = strawberry.field(
        description="First day it is in force; the latest list in force on a day prices it."
    )
    currency: str = strawberry.field(
        default="INR", description="ISO 4217 currency code of its prices; INR by default."
    )
    effective_to: date | None = strawberry.field(
        default=None, description="Last day in force, not before effectiveFrom; null: open-ended."
    )
    call_out_fee: Decimal = strawberry.field(
        default=Decimal(0),
        description="Travel/call-out fee per visit before tax, in the list currency (rupees for "
        "INR); 0 by default.",
    )
    labour_rates: list[LabourRateInput] = strawberry.field(
        default_factory=list, description="Labour rates, one per task category (at most 100)."
    )
    part_prices: list[PartPriceInput] = strawberry.field(
        default_factory=list, description="Part prices, one per part (at most 5000)."
    )
    tax_rates: list[TaxRateInput] = strawberry.field(
        default_factory=list, description="GST rates, one per tax category (at most 100)."
    )


@strawberry.input(
    description="What a contract's coverage pays at most and leaves out; replaces its earlier "
    "terms."
)
class SetContractBillingTermsInput:
    contract_id: strawberry.ID
    cap_per_visit: Decimal | None = strawberry.field(
        default=None, description="Most the contract pays per visit, in rupees; null: no cap."
    )
    cap_per_year: Decimal | None = strawberry.field(
        default=None, description="Most the contract pays per year, in rupees; null: no cap."
    )
    excluded_part_categories: list[str] = strawberry.field(
        default_factory=list,
        description="Part categories the contract does not cover; empty: none excluded.",
    )


@strawberry.input(description="A new estimate for a task on site.")
class CreateEstimateInput:
    task_id: strawberry.ID
    lines: list[LineInput] = strawberry.field(description="The lines to price (1 to 100).")
    notes: str | None = strawberry.field(
        default=None, description="Free text for the customer (up to 2000 characters)."
    )
    requires_acceptance: bool = strawberry.field(
        default=True,
        description="Whether work on the task waits for the customer's answer; true by default.",
    )
    idempotency_key: str | None = None


@strawberry.input(description="The estimate to send, accept, reject or withdraw.")
class EstimateActionInput:
    estimate_id: strawberry.ID
    reason: str | None = strawberry.field(
        default=None,
        description="The customer's reason, kept when accepting or rejecting; ignored otherwise.",
    )


@strawberry.input(description="A new draft invoice made at the desk.")
class CreateInvoiceInput:
    customer_id: strawberry.ID
    lines: list[LineInput] = strawberry.field(description="The charges (chargeable, no coverage).")
    task_id: strawberry.ID | None = None
    idempotency_key: str | None = None


@strawberry.input(description="The invoice to issue, void or make a payment link for.")
class InvoiceActionInput:
    invoice_id: strawberry.ID


@strawberry.input(description="How much of one invoice line to credit.")
class CreditLineInput:
    position: int = strawberry.field(description="The invoice line's position (from 0).")
    amount: Decimal = strawberry.field(
        description="Pre-tax amount credited on that line, in rupees; tax follows at the line rate."
    )


@strawberry.input(description="A credit note correcting an issued invoice.")
class CreateCreditNoteInput:
    invoice_id: strawberry.ID
    reason: str = strawberry.field(
        description="Why the invoice is corrected (shown on the credit note)."
    )
    lines: list[CreditLineInput] = strawberry.field(
        default_factory=list,
        description="The lines to credit; empty: credit the whole balance of every line.",
    )


@strawberry.input(description="A held customer credit that was refunded, and how.")
class RefundCustomerCreditInput:
    credit_id: strawberry.ID
    reference: str | None = strawberry.field(
        default=None,
        description="The bank or provider reference of the refund, 1 to 200 characters.",
    )
    idempotency_key: str | None = None


@strawberry.input(description="Cash or card taken against an issued invoice.")
class RecordPaymentInput:
    invoice_id: strawberry.ID
    method: PaymentMethod = strawberry.field(  # type: ignore[valid-type]
        description="CASH or CARD (online payments arrive through a payment link)."
    )
    amount: Decimal = strawberry.field(
        description="Money received in rupees, above 0 and not more than the balance due."
    )
    reference: str | None = strawberry.field(
        default=None, description="Card slip number or other reference; null if none."
    )
    idempotency_key: str | None = None


@strawberry.input(description="An accessory to offer the customer on a task.")
class OfferUpsellInput:
    task_id: strawberry.ID
    part_id: strawberry.ID
    quantity: int = strawberry.field(
        default=1, description="Units offered, 1 to 100; 1 by default."
    )
    idempotency_key: str | None = None


@strawberry.input(description="The accessory offer to accept, decline or deliver.")
class UpsellActionInput:
    upsell_id: strawberry.ID


# --- payloads -----------------------------------------------------------------------------


@strawberry.type
class PriceListPayload(Payload):
    price_list: PriceListType | None = strawberry.field(
        default=None, description="The created price list; null on error."
    )


@strawberry.type
class ContractBillingTermsPayload(Payload):
    contract_id: strawberry.ID | None = None


@strawberry.type
class EstimatePayload(Payload):
    estimate: EstimateType | None = strawberry.field(
        default=None, description="The estimate as it now stands; null on error."
    )


@strawberry.type
class InvoicePayload(Payload):
    invoice: InvoiceType | None = strawberry.field(
        default=None, description="The invoice as it now stands; null on error."
    )


@strawberry.type
class CreditNotePayload(Payload):
    credit_note: InvoiceType | None = strawberry.field(
        default=None, description="The issued credit note; null on error."
    )
    invoice: InvoiceType | None = strawberry.field(
        default=None, description="The credited invoice with its lowered balance; null on error."
    )


@strawberry.type
class PaymentPayload(Payload):
    payment: PaymentType | None = strawberry.field(
        default=None, description="The recorded payment; null on error."
    )
    invoice: InvoiceType | None = strawberry.field(
        default=None, description="The invoice with its new balance and status; null on error."
    )


@strawberry.type
class PaymentLinkPayload(Payload):
    payment_link: PaymentLinkType | None = strawberry.field(
        default=None, description="The new link; null on error."
    )


@strawberry.type
class UpsellPayload(Payload):
    upsell: UpsellOfferType | None = strawberry.field(
        default=None, description="The offer as it now stands; null on error."
    )
    payment_link: PaymentLinkType | None = strawberry.field(
        default=None,
        description="The link to pay the accessory, on acceptance only; null otherwise.",
    )


@strawberry.type
class CustomerCreditPayload(Payload):
    credit: CustomerCreditType | None = strawberry.field(
        default=None, description="The credit, now refunded; null on error."
    )
