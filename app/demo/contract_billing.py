"""The demo's contract billing: terms on every priced contract (most annual, business ones
quarterly or monthly, a few in arrears), billed from six weeks before the demo's day, and the
billing run of that day, so recent contract invoices stand in the books."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.contract_billing.models import BillingFrequency, BillingTiming, ContractInvoicingTerms
from app.contract_billing.service import bill_due
from app.contracts.models import Contract

BILLED_SINCE = timedelta(days=45)


def _terms(contract_id: int) -> tuple[BillingFrequency, BillingTiming]:
    frequency = (
        BillingFrequency.MONTHLY
        if contract_id % 5 == 0
        else BillingFrequency.QUARTERLY
        if contract_id % 3 == 0
        else BillingFrequency.ANNUAL
    )
    timing = BillingTiming.IN_ARREARS if contract_id % 7 == 0 else BillingTiming.IN_ADVANCE
    return frequency, timing


async def bill_contracts(session: AsyncSession, now: datetime) -> int:
    """Terms for the priced contracts, then one billing run; the number of invoices made."""
    ids = (await session.scalars(select(Contract.id).where(col(Contract.price).is_not(None)))).all()
    if not ids:
        return 0
    since = now.date() - BILLED_SINCE
    rows = []
    for contract_id in ids:
        assert contract_id is not None
        frequency, timing = _terms(contract_id)
        rows.append(
            {
                "contract_id": contract_id,
                "frequency": frequency.value,
                "timing": timing.value,
                "bill_from": since,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
    await session.execute(sa.insert(ContractInvoicingTerms), rows)
    return (await bill_due(session, now.date(), now)).invoiced
