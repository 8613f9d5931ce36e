"""Contract billing terms: caps per visit and per year, excluded part categories."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.models import ContractBillingTerms, ContractTermsSet
from app.contracts.models import Contract
from app.core.errors import NotFound
from app.core.models import utcnow


async def set_terms(session: AsyncSession, data: ContractTermsSet) -> ContractBillingTerms:
    if await session.get(Contract, data.contract_id) is None:
        raise NotFound("contract", ["contractId"])
    row = await session.get(ContractBillingTerms, data.contract_id, with_for_update=True)
    if row is None:
        row = ContractBillingTerms(contract_id=data.contract_id)
        session.add(row)
    row.cap_per_visit = data.cap_per_visit
    row.cap_per_year = data.cap_per_year
    row.excluded_part_categories = sorted(set(data.excluded_part_categories))
    row.updated_at = utcnow()
    await session.flush()
    return row
