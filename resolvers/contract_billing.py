"""Contract billing: invoicing terms per contract, income by month, the sales register."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

import strawberry

from app.contract_billing import service
from app.contract_billing.models import TermsSet
from app.contracts.models import Contract, ContractKind
from app.core.auth import Role
from app.core.errors import invalid
from app.core.models import utcnow
from resolvers.base import execute
from schema.common import Money
from schema.context import Info
from schema.contract_billing import (
    ContractInvoicingPayload,
    ContractInvoicingType,
    MonthIncome,
    SalesRegister,
    SalesRegisterTotals,
    SetContractInvoicingInput,
)
from schema.contracts import ContractKind as ContractKindEnum
from schema.ids import decode_id
from schema.inputs import provided
from schema.pagination import page_size
from schema.permissions import allow

FINANCE = (Role.ADMIN, Role.MANAGER)
DESK = (Role.ADMIN, Role.MANAGER, Role.AGENT)
INCOME_ROWS = 60
CURRENCY = re.compile(r"[A-Z]{3}")


async def invoicing_of(info: Info, contract: Contract) -> ContractInvoicingType:
    session = info.context.session
    assert contract.id is not None
    terms = (await service.terms_of(session, [contract]))[contract.id]
    billed = (await service.billed_of(session, [contract.id]))[contract.id]
    return ContractInvoicingType.of(contract, terms, billed)


@strawberry.type
class ContractBillingQuery:
    @strawberry.field(
        extensions=[allow(*DESK)],
        description="How a contract is invoiced, its billing periods and the invoices that "
        "billed them; null if there is no such contract. Admins, managers and agents.",
    )
    async def contract_invoicing(
        self,
        info: Info,
        contract_id: Annotated[strawberry.ID, strawberry.argument(description="The contract.")],
    ) -> ContractInvoicingType | None:
        contract = await info.context.session.get(
            Contract, decode_id(contract_id, "Contract", "contractId")
        )
        if contract is None or contract.archived_at is not None:
            return None
        return await invoicing_of(info, contract)

    @strawberry.field(
        extensions=[allow(*FINANCE)],
        description="Contract income recognised per calendar month (prices spread evenly over "
        "each contract's days), one row per month and currency, from the month of `from` to "
        "the month of `to`, at most five years, days from 1900-01-01 to 9000-12-31. Admins "
        "and managers.",
    )
    async def contract_income(
        self,
        info: Info,
        from_: Annotated[
            date | None,
            strawberry.argument(
                name="from", description="A day of the first month; null: two months before `to`."
            ),
        ] = None,
        to: Annotated[
            date | None,
            strawberry.argument(description="A day of the last month; null: this month (UTC)."),
        ] = None,
        kind: Annotated[
            ContractKindEnum | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only contracts of this kind; null for all."),
        ] = None,
        currency: Annotated[
            str | None,
            strawberry.argument(
                description="Only contracts in this currency (ISO 4217 code); null for all."
            ),
        ] = None,
        first: Annotated[
            int,
            strawberry.argument(
                description="At most this many rows (months times currencies; at most one "
                "page): a range that has more is refused on `first`, never cut."
            ),
        ] = INCOME_ROWS,
    ) -> list[MonthIncome]:
        if currency is not None and not CURRENCY.fullmatch(currency):
            raise invalid("currency is a three-letter ISO 4217 code", "currency")
        rows = page_size(info.context.settings, first)
        first_day, last_day = service.income_range(from_, to, utcnow().date())
        found = await service.income_by_month(
            info.context.session,
            first_day,
            last_day,
            ContractKind(kind) if kind else None,
            currency,
        )
        if len(found) > rows:
            raise invalid(
                f"{len(found)} rows (months times currencies) are more than first ({rows}): "
                "ask for fewer months or one currency",
                "first",
            )
        return [
            MonthIncome(
                month=m.month,
                amount=Money(amount=m.amount, currency=m.currency),
                contracts=m.contracts,
            )
            for m in found
        ]

    @strawberry.field(
        extensions=[allow(*DESK)],
        description="The sales register: invoices and credit notes issued from `from` to `to` "
        "(UTC days, inclusive, at most 366 days, from 1900-01-01 to 9000-12-31), job and "
        "contract invoices alike, with their sums per currency. Admins, managers and agents.",
    )
    async def sales_register(
        self,
        info: Info,
        from_: Annotated[
            date | None,
            strawberry.argument(
                name="from", description="The first day; null: the first day of `to`'s month."
            ),
        ] = None,
        to: Annotated[
            date | None,
            strawberry.argument(description="The last day (inclusive); null: today (UTC)."),
        ] = None,
    ) -> SalesRegister:
        first_day, last_day = service.register_range(from_, to, utcnow().date())
        totals = await service.register_totals(info.context.session, first_day, last_day)
        return SalesRegister(
            count=sum(t.count for t in totals),
            totals=[
                SalesRegisterTotals(
                    currency=t.currency,
                    count=t.count,
                    net=Money(amount=t.net, currency=t.currency),
                    tax=Money(amount=t.tax, currency=t.currency),
                    total=Money(amount=t.total, currency=t.currency),
                )
                for t in totals
            ],
            first_day=first_day,
            last_day=last_day,
        )


@strawberry.type
class ContractBillingMutation:
    @strawberry.mutation(
        extensions=[allow(*FINANCE)],
        description="Set how a contract is invoiced (frequency, timing, first billing day); "
        "periods already invoiced stay, and new periods that overlap them bill only their "
        "days not billed yet. Admins and managers.",
    )
    async def set_contract_invoicing(
        self, info: Info, input: SetContractInvoicingInput
    ) -> ContractInvoicingPayload:
        async def action() -> ContractInvoicingPayload:
            data = TermsSet.model_validate(
                provided(input, exclude=("contract_id", "expected_version"))
            )
            contract, _ = await service.set_terms(
                info.context.session,
                decode_id(input.contract_id, "Contract", "contractId"),
                data,
                input.expected_version,
            )
            return ContractInvoicingPayload(contract_invoicing=await invoicing_of(info, contract))

        return await execute(info, ContractInvoicingPayload, action)
