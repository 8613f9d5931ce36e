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
    source: CoverageSource  # type: ignore[valid-type]
    covered: Money
    contract_id: strawberry.ID | None
    contract_number: str | None
    cap_applied: bool
    note: str


@strawberry.type(name="BillingLine")
class BillingLineType:
    position: int
    kind: LineKind  # type: ignore[valid-type]
    description: str
    part_id: strawberry.ID | None
    quantity: Decimal
    unit_price: Money
    amount: Money
    coverage: LineCoverage
    chargeable: Money
    tax_category: str
    tax_rate_percent: Decimal
    tax: Money
    total: Money

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


@strawberry.type
class DocumentTotals:
    subtotal: Money
    covered: Money
    net: Money
    tax: Money
    total: Money

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
    kind: InvoiceKind  # type: ignore[valid-type]
    number: str | None
    status: InvoiceStatus  # type: ignore[valid-type]
    amount_paid: Money
    amount_credited: Money
    balance: Money
    issued_at: datetime | None
    due_on: date | None
    reason: str | None
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

    @strawberry.field
    async def customer(self, info: Info) -> CustomerRef | None:
        return await _customer(info, self.customer_id)

    @strawberry.field
    async def currency(self, info: Info) -> str:
        draft = await self._draft(info)
        return draft.currency if draft and draft.currency else self.stored_currency

    @strawberry.field
    async def totals(self, info: Info) -> DocumentTotals:
        draft = await self._draft(info)
        if draft is None:
            return self.stored_totals
        amounts = models.Totals.model_validate(totals_of(draft.lines))
        return DocumentTotals.of(amounts, draft.currency or self.stored_currency)

    @strawberry.field(extensions=[FirstItems(50)])
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

    @strawberry.field(extensions=[FirstItems(50)])
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


@strawberry.type(name="Estimate")
class EstimateType(Node):
    status: EstimateStatus  # type: ignore[valid-type]
    currency: str
    totals: DocumentTotals
    notes: str | None
    requires_acceptance: bool
    sent_at: datetime | None
    decided_at: datetime | None
    decision_reason: str | None
    version: int
    customer_id: strawberry.Private[int]
    task_db_id: strawberry.Private[int]

    @strawberry.field
    def task_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Task", self.task_db_id))

    @strawberry.field
    async def customer(self, info: Info) -> CustomerRef | None:
        return await _customer(info, self.customer_id)

    @strawberry.field(extensions=[FirstItems(50)])
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


@strawberry.type(name="Payment")
class PaymentType(Node):
    method: PaymentMethod  # type: ignore[valid-type]
    amount: Money
    reference: str | None
    receipt_number: str
    received_at: datetime
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


@strawberry.type(name="PaymentLink")
class PaymentLinkType:
    token: str
    url: str
    amount: Money
    status: LinkStatus  # type: ignore[valid-type]
    expires_at: datetime

    @classmethod
    def from_model(cls, row: PaymentLink, token: str, base_url: str) -> PaymentLinkType:
        return cls(
            token=token,
            url=f"{base_url.rstrip('/')}/pay/{token}",
            amount=Money(amount=row.amount, currency=row.currency),
            status=row.status,
            expires_at=row.expires_at,
        )


@strawberry.type(name="PriceList")
class PriceListType(Node):
    name: str
    currency: str
    effective_from: date
    effective_to: date | None
    call_out_fee: Money
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


@strawberry.type(name="UpsellOffer")
class UpsellOfferType(Node):
    status: UpsellStatus  # type: ignore[valid-type]
    quantity: int
    unit_price: Money
    paid_at: datetime | None
    stock_short_at: datetime | None = strawberry.field(
        description="When the van was first found short of the paid part (dispatcher alerted)."
    )
    delivered_at: datetime | None
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
class CustomerCreditType:
    amount: Money
    reason: str
    receipt_number: str
    received_at: datetime
    refunded_at: datetime | None
    refund_reference: str | None
    db_id: strawberry.Private[int]
    customer_db_id: strawberry.Private[int]
    invoice_db_id: strawberry.Private[int | None]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("CustomerCredit", self.db_id))

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


@strawberry.type
class CustomerBalance:
    customer_id: strawberry.ID
    outstanding: Money
    credit: Money = strawberry.field(
        description="Money the customer paid that no invoice was due for (a payment link paid "
        "after its invoice was paid or credited), held until it is refunded."
    )


@strawberry.type
class CollectionBucket:
    bucket: str
    invoice_count: int
    balance: Money


# --- inputs -------------------------------------------------------------------------------


@strawberry.input
class LineInput:
    kind: LineKind  # type: ignore[valid-type]
    quantity: Decimal
    description: str | None = None
    part_id: strawberry.ID | None = None
    category: str | None = None
    unit_price: Decimal | None = None
    tax_category: str | None = None


@strawberry.input
class LabourRateInput:
    category: str
    hourly_rate: Decimal
    minimum_charge: Decimal = Decimal(0)
    tax_category: str | None = None


@strawberry.input
class PartPriceInput:
    part_id: strawberry.ID
    unit_price: Decimal
    part_category: str | None = None
    tax_category: str | None = None


@strawberry.input
class TaxRateInput:
    category: str
    rate_percent: Decimal


@strawberry.input
class CreatePriceListInput:
    name: str
    effective_from: date
    currency: str = "INR"
    effective_to: date | None = None
    call_out_fee: Decimal = Decimal(0)
    labour_rates: list[LabourRateInput] = strawberry.field(default_factory=list)
    part_prices: list[PartPriceInput] = strawberry.field(default_factory=list)
    tax_rates: list[TaxRateInput] = strawberry.field(default_factory=list)


@strawberry.input
class SetContractBillingTermsInput:
    contract_id: strawberry.ID
    cap_per_visit: Decimal | None = None
    cap_per_year: Decimal | None = None
    excluded_part_categories: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class CreateEstimateInput:
    task_id: strawberry.ID
    lines: list[LineInput]
    notes: str | None = None
    requires_acceptance: bool = True
    idempotency_key: str | None = None


@strawberry.input
class EstimateActionInput:
    estimate_id: strawberry.ID
    reason: str | None = None


@strawberry.input
class CreateInvoiceInput:
    customer_id: strawberry.ID
    lines: list[LineInput]
    task_id: strawberry.ID | None = None
    idempotency_key: str | None = None


@strawberry.input
class InvoiceActionInput:
    invoice_id: strawberry.ID


@strawberry.input
class CreditLineInput:
    position: int
    amount: Decimal


@strawberry.input
class CreateCreditNoteInput:
    invoice_id: strawberry.ID
    reason: str
    lines: list[CreditLineInput] = strawberry.field(default_factory=list)


@strawberry.input
class RefundCustomerCreditInput:
    credit_id: strawberry.ID
    reference: str | None = strawberry.field(
        default=None, description="The bank or provider reference of the refund."
    )


@strawberry.input
class RecordPaymentInput:
    invoice_id: strawberry.ID
    method: PaymentMethod  # type: ignore[valid-type]
    amount: Decimal
    reference: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class OfferUpsellInput:
    task_id: strawberry.ID
    part_id: strawberry.ID
    quantity: int = 1
    idempotency_key: str | None = None


@strawberry.input
class UpsellActionInput:
    upsell_id: strawberry.ID


# --- payloads -----------------------------------------------------------------------------


@strawberry.type
class PriceListPayload(Payload):
    price_list: PriceListType | None = None


@strawberry.type
class ContractBillingTermsPayload(Payload):
    contract_id: strawberry.ID | None = None


@strawberry.type
class EstimatePayload(Payload):
    estimate: EstimateType | None = None


@strawberry.type
class InvoicePayload(Payload):
    invoice: InvoiceType | None = None


@strawberry.type
class CreditNotePayload(Payload):
    credit_note: InvoiceType | None = None
    invoice: InvoiceType | None = None


@strawberry.type
class PaymentPayload(Payload):
    payment: PaymentType | None = None
    invoice: InvoiceType | None = None


@strawberry.type
class PaymentLinkPayload(Payload):
    payment_link: PaymentLinkType | None = None


@strawberry.type
class UpsellPayload(Payload):
    upsell: UpsellOfferType | None = None
    payment_link: PaymentLinkType | None = None


@strawberry.type
class CustomerCreditPayload(Payload):
    credit: CustomerCreditType | None = None
