"""Money over GraphQL: price lists, estimates, invoices, credit notes, payments, upsell."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from app.billing import estimates, invoices, payments, repository, terms
from app.billing.invoices import ManualInvoice
from app.billing.models import (
    ContractTermsSet,
    CreditNoteCreate,
    Estimate,
    EstimateCreate,
    Invoice,
    InvoiceStatus,
    LineIn,
    PaymentCreate,
    PaymentLink,
    PriceList,
    PriceListCreate,
    UpsellCreate,
    UpsellOffer,
    UpsellStatus,
)
from app.billing.pricing import create_price_list
from app.billing.settings import get_billing_settings
from app.core.auth import Role
from app.core.models import utcnow
from resolvers.base import execute
from schema.billing import (
    CollectionBucket,
    ContractBillingTermsPayload,
    CreateCreditNoteInput,
    CreateEstimateInput,
    CreateInvoiceInput,
    CreatePriceListInput,
    CreditNotePayload,
    CustomerBalance,
    CustomerCreditPayload,
    CustomerCreditType,
    EstimateActionInput,
    EstimateConnection,
    EstimatePayload,
    EstimateType,
    InvoiceActionInput,
    InvoiceConnection,
    InvoicePayload,
    InvoiceType,
    LineInput,
    OfferUpsellInput,
    PaymentLinkPayload,
    PaymentLinkType,
    PaymentPayload,
    PaymentType,
    PriceListConnection,
    PriceListPayload,
    PriceListType,
    RecordPaymentInput,
    RefundCustomerCreditInput,
    SetContractBillingTermsInput,
    UpsellActionInput,
    UpsellOfferConnection,
    UpsellOfferType,
    UpsellPayload,
)
from schema.billing import (
    InvoiceStatus as InvoiceStatusEnum,
)
from schema.billing import (
    UpsellStatus as UpsellStatusEnum,
)
from schema.common import Money
from schema.context import Info
from schema.ids import decode_id, decode_ids, decode_optional_id, encode_id
from schema.inputs import provided
from schema.node import register_node
from schema.pagination import paginate
from schema.permissions import allow, authenticated, staff

register_node(InvoiceType, repository.get_readable_invoice, InvoiceType.from_model)
register_node(EstimateType, repository.get_readable_estimate, EstimateType.from_model)
register_node(PaymentType, repository.get_readable_payment, PaymentType.from_model)
register_node(PriceListType, repository.get_readable_price_list, PriceListType.from_model)
register_node(UpsellOfferType, repository.get_readable_upsell, UpsellOfferType.from_model)
register_node(CustomerCreditType, payments.get_readable_credit, CustomerCreditType.from_model)

FIELD = (Role.TECHNICIAN, *staff().roles)
DESK = (Role.ADMIN, Role.MANAGER, Role.AGENT)
POLICY = (Role.ADMIN, Role.MANAGER)


def _lines(lines: list[LineInput]) -> list[LineIn]:
    return [
        LineIn.model_validate(
            {
                **provided(line, exclude=("part_id",)),
                "part_id": decode_optional_id(line.part_id, "Part", ["lines", str(i), "partId"]),
            }
        )
        for i, line in enumerate(lines)
    ]


def _link(link: PaymentLink, token: str) -> PaymentLinkType:
    return PaymentLinkType.from_model(link, token, get_billing_settings().public_base_url)


@strawberry.type
class BillingQuery:
    @strawberry.field(
        extensions=[authenticated()],
        description="Accessory offers; status PAID_PENDING_STOCK: paid, waiting for the van.",
    )
    async def upsell_offers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        task_id: strawberry.ID | None = None,
        status: Annotated[
            list[UpsellStatusEnum] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only offers in these statuses; null or empty: all."),
        ] = None,
    ) -> UpsellOfferConnection:
        statement = repository.listed_upsells(
            info.context.principal,
            statuses=[UpsellStatus(s) for s in status or []],
            task_id=decode_optional_id(task_id, "Task", "taskId"),
        )
        return await paginate(
            info.context.session,
            statement,
            UpsellOffer.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=UpsellOfferType.from_model,
        )

    @strawberry.field(
        extensions=[authenticated()],
        description="Invoices and credit notes the caller may read: staff all, technicians "
        "those of their tasks, customers their own issued ones (never drafts or voided).",
    )
    async def invoices(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        customer_id: strawberry.ID | None = None,
        task_id: strawberry.ID | None = None,
        status: Annotated[
            list[InvoiceStatusEnum] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only invoices in these statuses; null or empty: all."),
        ] = None,
    ) -> InvoiceConnection:
        statement = repository.listed_invoices(
            info.context.principal,
            customer_id=decode_optional_id(customer_id, "Customer", "customerId"),
            task_id=decode_optional_id(task_id, "Task", "taskId"),
            statuses=[InvoiceStatus(s) for s in status or []],
        )
        return await paginate(
            info.context.session,
            statement,
            Invoice.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=InvoiceType.from_model,
        )

    @strawberry.field(
        extensions=[authenticated()],
        description="One invoice or credit note; null if it does not exist or the caller may "
        "not read it.",
    )
    async def invoice(self, info: Info, id: strawberry.ID) -> InvoiceType | None:
        row = await repository.get_readable_invoice(
            info.context.session, info.context.principal, decode_id(id, "Invoice")
        )
        return InvoiceType.from_model(row) if row else None

    @strawberry.field(
        extensions=[authenticated()],
        description="Estimates the caller may read: staff all, technicians those of their "
        "tasks, customers their own once sent (never drafts).",
    )
    async def estimates(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        task_id: strawberry.ID | None = None,
    ) -> EstimateConnection:
        statement = repository.listed_estimates(
            info.context.principal, task_id=decode_optional_id(task_id, "Task", "taskId")
        )
        return await paginate(
            info.context.session,
            statement,
            Estimate.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=EstimateType.from_model,
        )

    @strawberry.field(
        extensions=[allow(*staff().roles)],
        description="Every price list; on a given day the latest one in force prices the work. "
        "Staff only.",
    )
    async def price_lists(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> PriceListConnection:
        return await paginate(
            info.context.session,
            repository.price_lists(),
            PriceList.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=PriceListType.from_model,
        )

    @strawberry.field(
        extensions=[allow(*staff().roles, Role.CUSTOMER)],
        description="Balance due per customer over issued invoices (customers: their own).",
    )
    async def customer_balances(
        self, info: Info, customer_ids: list[strawberry.ID]
    ) -> list[CustomerBalance]:
        ids = decode_ids([str(c) for c in customer_ids], "Customer", "customerIds")
        found = await payments.outstanding(info.context.session, info.context.principal, ids)
        held = await payments.credits_held(info.context.session, info.context.principal, ids)
        return [
            CustomerBalance(
                customer_id=strawberry.ID(encode_id("Customer", c)),
                outstanding=Money(amount=amount, currency="INR"),
                credit=Money(amount=held[c], currency="INR"),
            )
            for c, amount in found.items()
        ]

    @strawberry.field(
        extensions=[allow(*staff().roles, Role.CUSTOMER)],
        description="Money held as customers' credit (overpayments), newest first; "
        "refunded: false for what is still to refund (customers: their own).",
    )
    async def customer_credits(
        self,
        info: Info,
        customer_ids: list[strawberry.ID] | None = None,
        refunded: Annotated[
            bool | None,
            strawberry.argument(
                description="true: only refunded credits; false: only those still to refund; "
                "null: both."
            ),
        ] = None,
        first: int = 20,
    ) -> list[CustomerCreditType]:
        ids = (
            None
            if customer_ids is None
            else decode_ids([str(c) for c in customer_ids], "Customer", "customerIds")
        )
        rows = await payments.list_credits(
            info.context.session, info.context.principal, ids, refunded, first
        )
        return [CustomerCreditType.from_model(row) for row in rows]

    @strawberry.field(
        extensions=[allow(*staff().roles)],
        description="Overdue invoices with a balance, oldest due first: the follow-up list.",
    )
    async def collections(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> InvoiceConnection:
        return await paginate(
            info.context.session,
            payments.overdue(info.context.principal, utcnow().date()),
            Invoice.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=InvoiceType.from_model,
        )

    @strawberry.field(
        extensions=[allow(*staff().roles)],
        description="Overdue invoices grouped by days past due (0-30, 31-60, 61-90, 90+), with "
        "their count and balance. Staff only.",
    )
    async def collection_buckets(
        self,
        info: Info,
        on: Annotated[
            date | None,
            strawberry.argument(
                description="The day the age is counted from; null: today (UTC date)."
            ),
        ] = None,
    ) -> list[CollectionBucket]:
        rows = await payments.collection_summary(
            info.context.session, info.context.principal, on or utcnow().date()
        )
        return [
            CollectionBucket(bucket=b, invoice_count=n, balance=Money(amount=t, currency="INR"))
            for b, n, t in rows
        ]


@strawberry.type
class BillingMutation:
    @strawberry.mutation(
        extensions=[allow(*POLICY)],
        description="Add a price list with its labour rates, part prices and GST rates; it "
        "prices work from effectiveFrom. Admins and managers only.",
    )
    async def create_price_list(self, info: Info, input: CreatePriceListInput) -> PriceListPayload:
        async def action() -> PriceListPayload:
            values = provided(input, exclude=("part_prices", "labour_rates", "tax_rates"))
            values["labour_rates"] = [provided(r) for r in input.labour_rates]
            values["tax_rates"] = [provided(t) for t in input.tax_rates]
            values["part_prices"] = [
                {
                    **provided(p, exclude=("part_id",)),
                    "part_id": decode_id(p.part_id, "Part", ["partPrices", str(i), "partId"]),
                }
                for i, p in enumerate(input.part_prices)
            ]
            data = PriceListCreate.model_validate(values)
            row = await create_price_list(info.context.session, data)
            return PriceListPayload(price_list=PriceListType.from_model(row))

        return await execute(info, PriceListPayload, action)

    @strawberry.mutation(
        extensions=[allow(*POLICY)],
        description="Set what a contract's coverage pays at most (per visit, per year) and which "
        "part categories it excludes; replaces earlier terms. Admins and managers "
        "only.",
    )
    async def set_contract_billing_terms(
        self, info: Info, input: SetContractBillingTermsInput
    ) -> ContractBillingTermsPayload:
        async def action() -> ContractBillingTermsPayload:
            data = ContractTermsSet.model_validate(
                {
                    **provided(input, exclude=("contract_id",)),
                    "contract_id": decode_id(input.contract_id, "Contract", "contractId"),
                }
            )
            await terms.set_terms(info.context.session, data)
            return ContractBillingTermsPayload(contract_id=input.contract_id)

        return await execute(info, ContractBillingTermsPayload, action)

    @strawberry.mutation(
        extensions=[allow(*FIELD)],
        description="Price extra work found on site as a DRAFT estimate, with each line's "
        "coverage; only while the task is on site. Technicians (their tasks) and "
        "staff.",
    )
    async def create_estimate(self, info: Info, input: CreateEstimateInput) -> EstimatePayload:
        async def action() -> EstimatePayload:
            data = EstimateCreate(
                task_id=decode_id(input.task_id, "Task", "taskId"),
                lines=_lines(input.lines),
                notes=input.notes,
                requires_acceptance=input.requires_acceptance,
            )
            row = await estimates.create_estimate(
                info.context.session, info.context.require_principal(), data
            )
            return EstimatePayload(estimate=EstimateType.from_model(row))

        return await execute(info, EstimatePayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*FIELD)],
        description="Send a DRAFT estimate to the customer (SENT); notifies the customer. "
        "Technicians (their tasks) and staff.",
    )
    async def send_estimate(self, info: Info, input: EstimateActionInput) -> EstimatePayload:
        async def action() -> EstimatePayload:
            row = await estimates.send_estimate(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.estimate_id, "Estimate", "estimateId"),
            )
            return EstimatePayload(estimate=EstimateType.from_model(row))

        return await execute(info, EstimatePayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.CUSTOMER)],
        description="The customer accepts a SENT estimate of theirs (ACCEPTED): its lines are "
        "billed with the visit and work may go on. Customers only.",
    )
    async def accept_estimate(self, info: Info, input: EstimateActionInput) -> EstimatePayload:
        return await _decide(info, input, accept=True)

    @strawberry.mutation(
        extensions=[allow(Role.CUSTOMER)],
        description="The customer turns down a SENT estimate of theirs (REJECTED), optionally "
        "saying why. Customers only.",
    )
    async def reject_estimate(self, info: Info, input: EstimateActionInput) -> EstimatePayload:
        return await _decide(info, input, accept=False)

    @strawberry.mutation(
        extensions=[allow(*FIELD)],
        description="Take back a DRAFT or SENT estimate (WITHDRAWN), which then no longer holds "
        "up the work. Technicians (their tasks) and staff.",
    )
    async def withdraw_estimate(self, info: Info, input: EstimateActionInput) -> EstimatePayload:
        async def action() -> EstimatePayload:
            row = await estimates.withdraw_estimate(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.estimate_id, "Estimate", "estimateId"),
            )
            return EstimatePayload(estimate=EstimateType.from_model(row))

        return await execute(info, EstimatePayload, action)

    @strawberry.mutation(
        extensions=[allow(*DESK)],
        description="Make a DRAFT invoice of ad-hoc charges for a customer; with taskId it is "
        "that task's invoice (one per task, for a task that has ended: one under way gets its "
        "draft when it is completed). Admins, managers and agents.",
    )
    async def create_invoice(self, info: Info, input: CreateInvoiceInput) -> InvoicePayload:
        async def action() -> InvoicePayload:
            data = ManualInvoice(
                customer_id=decode_id(input.customer_id, "Customer", "customerId"),
                lines=_lines(input.lines),
                task_id=decode_optional_id(input.task_id, "Task", "taskId"),
            )
            row = await invoices.create_invoice(info.context.session, data)
            return InvoicePayload(invoice=InvoiceType.from_model(row))

        return await execute(info, InvoicePayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*DESK)],
        description="Number and freeze a DRAFT invoice (ISSUED, or PAID when nothing is due); "
        "due after the configured days (15 by default); the customer is notified and "
        "sees it from now on. Admins, managers and agents.",
    )
    async def issue_invoice(self, info: Info, input: InvoiceActionInput) -> InvoicePayload:
        async def action() -> InvoicePayload:
            row = await invoices.issue_invoice(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.invoice_id, "Invoice", "invoiceId"),
            )
            return InvoicePayload(invoice=InvoiceType.from_model(row))

        return await execute(info, InvoicePayload, action)

    @strawberry.mutation(
        extensions=[allow(*DESK)],
        description="Cancel a DRAFT invoice for good (VOID); an issued one is corrected with a "
        "credit note instead. Admins, managers and agents.",
    )
    async def void_invoice(self, info: Info, input: InvoiceActionInput) -> InvoicePayload:
        async def action() -> InvoicePayload:
            row = await invoices.void_draft(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.invoice_id, "Invoice", "invoiceId"),
            )
            return InvoicePayload(invoice=InvoiceType.from_model(row))

        return await execute(info, InvoicePayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN, Role.MANAGER)],
        description="Issue a numbered credit note against an issued invoice, lowering its "
        "balance; the customer is notified. Admins and managers only.",
    )
    async def create_credit_note(
        self, info: Info, input: CreateCreditNoteInput
    ) -> CreditNotePayload:
        async def action() -> CreditNotePayload:
            data = CreditNoteCreate.model_validate(
                {
                    **provided(input, exclude=("invoice_id", "lines")),
                    "lines": [provided(line) for line in input.lines],
                    "invoice_id": decode_id(input.invoice_id, "Invoice", "invoiceId"),
                }
            )
            principal = info.context.require_principal()
            credit = await invoices.create_credit_note(info.context.session, principal, data)
            original = await info.context.session.get(Invoice, data.invoice_id)
            assert original is not None
            return CreditNotePayload(
                credit_note=InvoiceType.from_model(credit),
                invoice=InvoiceType.from_model(original),
            )

        return await execute(info, CreditNotePayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.TECHNICIAN, *DESK)],
        description="Record cash or card taken against an issued invoice (not more than its "
        "balance), with a numbered receipt. Technicians (their tasks), admins, "
        "managers and agents.",
    )
    async def record_payment(self, info: Info, input: RecordPaymentInput) -> PaymentPayload:
        async def action() -> PaymentPayload:
            data = PaymentCreate.model_validate(
                {
                    **provided(input, exclude=("invoice_id", "idempotency_key")),
                    "invoice_id": decode_id(input.invoice_id, "Invoice", "invoiceId"),
                }
            )
            payment, invoice = await payments.record_payment(
                info.context.session, info.context.require_principal(), data
            )
            return PaymentPayload(
                payment=PaymentType.from_model(payment), invoice=InvoiceType.from_model(invoice)
            )

        return await execute(info, PaymentPayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*DESK)],
        description="Record that money held as a customer's credit was refunded to them.",
    )
    async def refund_customer_credit(
        self, info: Info, input: RefundCustomerCreditInput
    ) -> CustomerCreditPayload:
        async def action() -> CustomerCreditPayload:
            row = await payments.refund_credit(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.credit_id, "CustomerCredit", "creditId"),
                input.reference,
            )
            return CustomerCreditPayload(credit=CustomerCreditType.from_model(row))

        return await execute(
            info, CustomerCreditPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(Role.TECHNICIAN, *DESK, Role.CUSTOMER)],
        description="Make a link to pay an issued invoice's balance online (valid 72 hours by "
        "default); cancels its earlier open links and sends it to the customer. "
        "Technicians (their tasks), admins, managers, agents and the customer.",
    )
    async def create_payment_link(
        self, info: Info, input: InvoiceActionInput
    ) -> PaymentLinkPayload:
        async def action() -> PaymentLinkPayload:
            link, token = await payments.create_payment_link(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.invoice_id, "Invoice", "invoiceId"),
            )
            return PaymentLinkPayload(payment_link=_link(link, token))

        return await execute(info, PaymentLinkPayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.TECHNICIAN)],
        description="Offer the customer an accessory that fits the task's asset, at the current "
        "list price. The technician on the task only.",
    )
    async def offer_upsell(self, info: Info, input: OfferUpsellInput) -> UpsellPayload:
        async def action() -> UpsellPayload:
            data = UpsellCreate(
                task_id=decode_id(input.task_id, "Task", "taskId"),
                part_id=decode_id(input.part_id, "Part", "partId"),
                quantity=input.quantity,
            )
            row = await payments.offer_upsell(
                info.context.session, info.context.require_principal(), data
            )
            return UpsellPayload(upsell=UpsellOfferType.from_model(row))

        return await execute(info, UpsellPayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(Role.CUSTOMER)],
        description="The customer accepts an OFFERED accessory: an invoice is issued and a "
        "payment link returned. Customers only.",
    )
    async def accept_upsell(self, info: Info, input: UpsellActionInput) -> UpsellPayload:
        return await _decide_upsell(info, input, accept=True)

    @strawberry.mutation(
        extensions=[allow(Role.CUSTOMER)],
        description="The customer declines an OFFERED accessory (DECLINED). Customers only.",
    )
    async def decline_upsell(self, info: Info, input: UpsellActionInput) -> UpsellPayload:
        return await _decide_upsell(info, input, accept=False)

    @strawberry.mutation(
        extensions=[allow(Role.TECHNICIAN, Role.DISPATCHER, *DESK)],
        description="Consume a paid accessory from the van once it holds the part again.",
    )
    async def deliver_upsell(self, info: Info, input: UpsellActionInput) -> UpsellPayload:
        async def action() -> UpsellPayload:
            row = await payments.deliver_upsell(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.upsell_id, "UpsellOffer", "upsellId"),
            )
            return UpsellPayload(upsell=UpsellOfferType.from_model(row))

        return await execute(info, UpsellPayload, action)


async def _decide(info: Info, input: EstimateActionInput, *, accept: bool) -> EstimatePayload:
    async def action() -> EstimatePayload:
        row = await estimates.decide_estimate(
            info.context.session,
            info.context.require_principal(),
            decode_id(input.estimate_id, "Estimate", "estimateId"),
            accept,
            input.reason,
        )
        return EstimatePayload(estimate=EstimateType.from_model(row))

    return await execute(info, EstimatePayload, action)


async def _decide_upsell(info: Info, input: UpsellActionInput, *, accept: bool) -> UpsellPayload:
    async def action() -> UpsellPayload:
        offer, stored, token = await payments.decide_upsell(
            info.context.session,
            info.context.require_principal(),
            decode_id(input.upsell_id, "UpsellOffer", "upsellId"),
            accept,
        )
        link = _link(stored, token) if stored is not None and token is not None else None
        return UpsellPayload(upsell=UpsellOfferType.from_model(offer), payment_link=link)

    return await execute(info, UpsellPayload, action)
