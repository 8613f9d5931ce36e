"""GraphQL types of contract billing: invoicing terms, billed periods, income, the register."""

from __future__ import annotations

from datetime import date

import strawberry
from sqlmodel import col

from app.billing.models import Invoice
from app.contract_billing import models, service
from app.contracts.models import Contract
from schema.billing import InvoiceConnection, InvoiceType
from schema.common import Money
from schema.context import Info
from schema.errors import Payload
from schema.ids import encode_id
from schema.pagination import FirstItems, paginate

BillingFrequency = strawberry.enum(models.BillingFrequency, name="BillingFrequency")
BillingTiming = strawberry.enum(models.BillingTiming, name="BillingTiming")


@strawberry.type(
    description="One billing period of a contract, with its share of the price: one billed "
    "(with its invoice) or one still to bill."
)
class ContractBillingPeriod:
    start: date = strawberry.field(description="The period's first day.")
    end: date = strawberry.field(description="The period's last day (inclusive).")
    billing_day: date = strawberry.field(
        description="The day it is invoiced: its first day in advance, the day after its end "
        "in arrears; for a billed period, the day its invoice was issued."
    )
    amount: Money = strawberry.field(
        description="The period's share of the contract price, by days; a billed period keeps "
        "what it was billed, the periods left share the rest of the price by their days, so "
        "all add up to the price to the cent."
    )
    invoice_db_id: strawberry.Private[int | None]

    @strawberry.field(description="The invoice that billed it; null until it is billed.")
    async def invoice(self, info: Info) -> InvoiceType | None:
        if self.invoice_db_id is None:
            return None
        row = await info.context.loaders.by_id(Invoice).load(self.invoice_db_id)
        return InvoiceType.from_model(row) if row else None


@strawberry.type(
    name="ContractInvoicing",
    description="How a contract's price is invoiced and which of its periods are billed.",
)
class ContractInvoicingType:
    frequency: BillingFrequency = strawberry.field(  # type: ignore[valid-type]
        description="How often it is invoiced."
    )
    timing: BillingTiming = strawberry.field(  # type: ignore[valid-type]
        description="Whether a period is invoiced at its start or after its end."
    )
    bill_from: date = strawberry.field(
        description="Periods whose billing day is before this are not invoiced here."
    )
    version: int | None = strawberry.field(
        description="Bumped by every change; null while the contract has the default terms "
        "(annual, in advance, from the day it was entered). Send it as expectedVersion."
    )
    periods: list[ContractBillingPeriod] = strawberry.field(
        extensions=[FirstItems(60)],
        description="The contract's billing periods, oldest first: those billed as they were "
        "billed, then the periods of the current terms less any days already billed (after a "
        "change of terms or dates a period that overlaps a billed one is shortened to the "
        "days not billed yet), so every day is billed once.",
    )
    contract_db_id: strawberry.Private[int]

    @strawberry.field(description="The contract's global ID.")
    def contract_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Contract", self.contract_db_id))

    @classmethod
    def of(
        cls, contract: Contract, terms: service.Terms, billed: list[service.BilledPeriod]
    ) -> ContractInvoicingType:
        assert contract.id is not None
        return cls(
            frequency=terms.frequency,
            timing=terms.timing,
            bill_from=terms.bill_from,
            version=terms.version,
            periods=[
                ContractBillingPeriod(
                    start=row.period.start,
                    end=row.period.end,
                    billing_day=row.billing_day,
                    amount=Money(amount=row.amount, currency=contract.currency),
                    invoice_db_id=row.invoice_id,
                )
                for row in service.schedule(contract, terms, billed)
            ],
            contract_db_id=contract.id,
        )


@strawberry.input(description="Change how a contract is invoiced; fields left out stay.")
class SetContractInvoicingInput:
    contract_id: strawberry.ID = strawberry.field(description="The contract's global ID.")
    frequency: BillingFrequency | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="How often to invoice it. Periods already invoiced stay as billed; the "
        "new periods count from the contract's first day as always, and one that overlaps a "
        "billed period is billed for its remaining days only (a short period, priced by its "
        "days), so no day is billed twice and none is left out.",
    )
    timing: BillingTiming | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Invoice each period at its start or after its end."
    )
    bill_from: date | None = strawberry.field(
        default=None,
        description="Do not invoice periods whose billing day is before this day (billed "
        "elsewhere before); at most the contract's last day.",
    )
    expected_version: int | None = strawberry.field(
        default=None,
        description="The version read (null while the contract has the default terms); a "
        "change made since is refused with STALE_VERSION.",
    )


@strawberry.type(description="The contract's invoicing terms after the change.")
class ContractInvoicingPayload(Payload):
    contract_invoicing: ContractInvoicingType | None = strawberry.field(
        default=None, description="The terms and periods as they are now; null if refused."
    )


@strawberry.type(description="Contract income recognised in one calendar month, per currency.")
class MonthIncome:
    month: date = strawberry.field(description="The month's first day.")
    amount: Money = strawberry.field(
        description="Contract prices recognised day by day over each contract's period: the "
        "days of this month it covers times its price per day, summed, rounded to the cent."
    )
    contracts: int = strawberry.field(description="Contracts in force on some day of the month.")


@strawberry.type(description="The sales register's sums in one currency.")
class SalesRegisterTotals:
    currency: str = strawberry.field(description="ISO 4217 code of the documents summed.")
    count: int = strawberry.field(description="How many documents in this currency.")
    net: Money = strawberry.field(
        description="Net amount before tax; credit notes count against invoices."
    )
    tax: Money = strawberry.field(description="Tax; credit notes count against invoices.")
    total: Money = strawberry.field(description="Total with tax; credit notes count against.")


@strawberry.type(description="Invoices and credit notes issued in a period, with their sums.")
class SalesRegister:
    count: int = strawberry.field(description="How many documents were issued.")
    totals: list[SalesRegisterTotals] = strawberry.field(
        extensions=[FirstItems(20)],
        description="The sums per currency, by currency code (amounts in different "
        "currencies are never added up); empty when nothing was issued.",
    )
    first_day: strawberry.Private[date]
    last_day: strawberry.Private[date]

    @strawberry.field(description="The documents, in the order they were issued.")
    async def documents(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> InvoiceConnection:
        return await paginate(
            info.context.session,
            service.register_statement(self.first_day, self.last_day),
            col(Invoice.id),
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=InvoiceType.from_model,
        )
