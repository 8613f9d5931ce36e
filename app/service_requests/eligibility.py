"""What a request is entitled to, as the contracts domain decides it, in the request's terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.assets.models import Asset
from app.contracts.models import Contract
from app.contracts.service import Coverage, CoverageStatus, coverage_for
from app.service_requests.models import CoverageKind, EligibilityStatus


@dataclass(frozen=True, slots=True)
class Eligibility:
    status: EligibilityStatus
    coverage: CoverageKind
    labour: bool = False
    parts: bool = False
    contract_id: int | None = None
    valid_until: date | None = None
    sla_response_hours: int | None = None
    sla_resolution_hours: int | None = None


async def eligibility_for(
    session: AsyncSession, asset: Asset | None, site_id: int, on: date
) -> Eligibility:
    """Warranty (labour and parts), a covering contract (AMC: labour; CMC and extended
    warranty: labour and parts), or chargeable; a contract's SLA applies under warranty too."""
    coverage = await coverage_for(session, asset.id if asset else None, site_id, on)
    contract = await session.get(Contract, coverage.contract_id) if coverage.contract_id else None
    return eligibility_of(coverage, asset, contract)


def eligibility_of(
    coverage: Coverage, asset: Asset | None, contract: Contract | None
) -> Eligibility:
    """The request's terms of a coverage already decided (`contract` is its contract, if any)."""
    return Eligibility(
        EligibilityStatus(coverage.status.value),
        _kind(coverage),
        labour=coverage.labour_covered,
        parts=coverage.parts_covered,
        contract_id=coverage.contract_id,
        valid_until=_valid_until(coverage, asset, contract),
        sla_response_hours=coverage.sla_response_hours,
        sla_resolution_hours=coverage.sla_resolution_hours,
    )


def _kind(coverage: Coverage) -> CoverageKind:
    if coverage.status is CoverageStatus.WARRANTY:
        return CoverageKind.WARRANTY
    if coverage.status is CoverageStatus.CONTRACT and coverage.contract_kind is not None:
        return CoverageKind(coverage.contract_kind.value)
    return CoverageKind.NONE


def _valid_until(coverage: Coverage, asset: Asset | None, contract: Contract | None) -> date | None:
    if coverage.status is CoverageStatus.WARRANTY and asset is not None:
        return asset.warranty_expires_on
    return contract.ends_on if contract is not None else None
