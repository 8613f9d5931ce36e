"""Contracts with invoicing terms, and the invoices that billed them."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.billing.models import Invoice
from app.contract_billing.models import (
    BillingFrequency,
    BillingTiming,
    ContractInvoice,
    ContractInvoicingTerms,
)
from app.contracts.models import Contract, ContractKind
from tests.work_orders import factories


async def contract(
    session: AsyncSession,
    price: str = "12000.00",
    starts_on: date = date(2027, 1, 1),
    ends_on: date = date(2027, 12, 31),
    frequency: BillingFrequency = BillingFrequency.QUARTERLY,
    timing: BillingTiming = BillingTiming.IN_ARREARS,
    currency: str = "INR",
) -> Contract:
    customer = await factories.customer(session)
    row = Contract(
        number=f"AMC-T-{customer.id}",
        kind=ContractKind.AMC,
        customer_id=customer.id,  # type: ignore[arg-type]
        starts_on=starts_on,
        ends_on=ends_on,
        price=Decimal(price),
        currency=currency,
    )
    session.add(row)
    await session.flush()
    session.add(
        ContractInvoicingTerms(
            contract_id=row.id,  # type: ignore[arg-type]
            frequency=frequency,
            timing=timing,
            bill_from=starts_on,
        )
    )
    await session.flush()
    return row


async def invoices_of(session: AsyncSession, of: Contract) -> list[tuple[ContractInvoice, Invoice]]:
    rows = await session.execute(
        select(ContractInvoice, Invoice)
        .join(Invoice, col(Invoice.id) == col(ContractInvoice.invoice_id))
        .where(col(ContractInvoice.contract_id) == of.id)
        .order_by(col(ContractInvoice.period_start))
    )
    return [(link, invoice) for link, invoice in rows.all()]


def days_billed(links: list[ContractInvoice]) -> Counter[date]:
    """How many times each day was billed."""
    counted: Counter[date] = Counter()
    for link in links:
        day = link.period_start
        while day <= link.period_end:
            counted[day] += 1
            day += timedelta(days=1)
    return counted
