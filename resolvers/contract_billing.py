"""Contract billing: invoicing terms per contract, income by month, the sales register."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from dateutil.relativedelta import relativedelta
from sqlmodel import col, select

from app.contract_billing import service
from app.contract_billing.models import ContractInvoice, TermsSet
from app.contracts.models import Contract, ContractKind
from app.core.auth import Role
from app.core.errors import NotFound
from app.core.models import utcnow
from resolvers.base import execute
from schema.common import Money
from schema.context import Info
from schema.contract_billing import (
    ContractInvoicingPayload,
    ContractInvoicingType,
    MonthIncome,
    SalesRegister,
    SetContractInvoicingInput,
)
from schema.contracts import ContractKind as ContractKindEnum
from schema.ids import decode_id
from schema.inputs import provided
from schema.pagination import FirstItems
from schema.permissions import allow

FINANCE = (Role.ADMIN, Role.MANAGER)
DESK = (Role.ADMIN, Role.MANAGER, Role.AGENT)


async def invoicing_of(info: Info, contract: Contract) -> ContractInvoicingType:
    session = info.context.session
    terms = (await service.terms_of(session, [contract]))[contract.id]  # type: ignore[index]
    rows = await session.scalars(
        select(ContractInvoice).where(col(ContractInvoice.contract_id) == contract.id)
    )
    billed = {row.period_start: row for row in rows.all()}
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
        extensions=[allow(*FINANCE), FirstItems(60)],
        description="Contract income recognised per calendar month (prices spread evenly over "
        "each contract's days), from the month of `from` to the month of `to`, at most five "
        "years. Admins and managers.",
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
    ) -> list[MonthIncome]:
        last = to or utcnow().date()
        first = from_ or (last.replace(day=1) - relativedelta(months=2))
        found = await service.income_by_month(
            info.context.session, first, last, ContractKind(kind) if kind else None
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
        "(UTC days, inclusive), job and contract invoices alike, with their sums. Admins, "
        "managers and agents.",
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
        to = to or utcnow().date()
        from_ = from_ or to.replace(day=1)
        totals = await service.register_totals(info.context.session, from_, to)
        currency = "INR"
        return SalesRegister(
            count=totals.count,
            net=Money(amount=totals.net, currency=currency),
            tax=Money(amount=totals.tax, currency=currency),
            total=Money(amount=totals.total, currency=currency),
            first_day=from_,
            last_day=to,
        )


@strawberry.type
class ContractBillingMutation:
    @strawberry.mutation(
        extensions=[allow(*FINANCE)],
        description="Set how a contract is invoiced (frequency, timing, first billing day); "
        "periods already invoiced stay. Admins and managers.",
    )
    async def set_contract_invoicing(
        self, info: Info, input: SetContractInvoicingInput
    ) -> ContractInvoicingPayload:
        async def action() -> ContractInvoicingPayload:
            contract_id = decode_id(input.contract_id, "Contract", "contractId")
            data = TermsSet.model_validate(
                provided(input, exclude=("contract_id", "expected_version"))
            )
            contract = await info.context.session.get(Contract, contract_id)
            if contract is None:
                raise NotFound("contract", ["contractId"])
            service.refuse_past_terms(data, contract)
            contract, _ = await service.set_terms(
                info.context.session,
                info.context.require_principal(),
                contract_id,
                data,
                input.expected_version,
            )
            return ContractInvoicingPayload(contract_invoicing=await invoicing_of(info, contract))

        return await execute(info, ContractInvoicingPayload, action)
