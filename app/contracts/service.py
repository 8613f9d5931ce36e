"""Contract rules, and the coverage decision: warranty, contract, or chargeable."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.assets.models import Asset
from app.contracts import repository
from app.contracts.models import (
    CONTRACT_NUMBER_SEQUENCE,
    DEFAULT_COVERAGE,
    NOT_NULL_CONTRACT_FIELDS,
    Contract,
    ContractCoverage,
    ContractCreate,
    ContractKind,
    ContractUpdate,
)
from app.core.errors import DomainError, ErrorCode, FieldProblem, NotFound, collect
from app.core.models import utcnow
from app.core.repository import apply_changes, check_version, flush_unique, get_for_update
from app.customers.models import Customer, Site
from app.customers.service import reject_nulls

# -- coverage -----------------------------------------------------------------------------


class CoverageStatus(StrEnum):
    WARRANTY = "WARRANTY"
    """The manufacturer's warranty covers the visit."""
    CONTRACT = "CONTRACT"
    """A service contract covers the visit."""
    CHARGEABLE = "CHARGEABLE"
    """Nothing covers it: the customer pays."""


@dataclass(frozen=True, slots=True)
class Coverage:
    """Who pays for a visit on a given day, and the SLA that applies."""

    status: CoverageStatus
    contract_id: int | None = None
    contract_kind: ContractKind | None = None
    labour_covered: bool = False
    parts_covered: bool = False
    sla_response_hours: int | None = None
    sla_resolution_hours: int | None = None


CHARGEABLE = Coverage(CoverageStatus.CHARGEABLE)


def _rank(contract: Contract) -> tuple[Any, ...]:
    """Most generous first: parts, labour, the fastest response, the longest remaining term."""
    response = contract.sla_response_hours or 10**9
    return (contract.covers_parts, contract.covers_labour, -response, contract.ends_on)


def decide(asset: Asset | None, on: date, contracts: Sequence[Contract]) -> Coverage:
    """The coverage on `on` of an asset (or a site visit without one) given the contracts
    that name it or its site. A manufacturer's warranty comes first (labour and parts);
    an active contract alongside it still sets the SLA."""
    active = [c for c in contracts if c.is_active(on)]
    best = max(active, key=_rank) if active else None
    if asset is not None and asset.under_warranty(on):
        if best is None:
            return Coverage(CoverageStatus.WARRANTY, labour_covered=True, parts_covered=True)
        return Coverage(
            CoverageStatus.WARRANTY,
            contract_id=best.id,
            contract_kind=best.kind,
            labour_covered=True,
            parts_covered=True,
            sla_response_hours=best.sla_response_hours,
            sla_resolution_hours=best.sla_resolution_hours,
        )
    if best is None:
        return CHARGEABLE
    return Coverage(
        CoverageStatus.CONTRACT,
        contract_id=best.id,
        contract_kind=best.kind,
        labour_covered=best.covers_labour,
        parts_covered=best.covers_parts,
        sla_response_hours=best.sla_response_hours,
        sla_resolution_hours=best.sla_resolution_hours,
    )


CoverageKey = tuple[int | None, int | None, date]
"""(asset id, site id, day): the asset may be absent; its own site is always considered."""


async def coverages(session: AsyncSession, keys: Sequence[CoverageKey]) -> list[Coverage]:
    """Coverage for many (asset, site, day) keys in two queries."""
    asset_ids = {asset_id for asset_id, _, _ in keys if asset_id is not None}
    assets: dict[int, Asset] = {}
    if asset_ids:
        rows = await session.scalars(select(Asset).where(col(Asset.id).in_(asset_ids)))
        assets = {a.id: a for a in rows.all() if a.id is not None}
    missing = asset_ids - assets.keys()
    if missing:
        raise NotFound("asset", ["assetId"])
    sites = {s for _, s, _ in keys if s is not None} | {a.site_id for a in assets.values()}
    by_asset: dict[int, list[Contract]] = defaultdict(list)
    by_site: dict[int, list[Contract]] = defaultdict(list)
    if asset_ids or sites:
        for contract, asset_id, site_id in await repository.candidates(session, asset_ids, sites):
            if asset_id is not None:
                by_asset[asset_id].append(contract)
            if site_id is not None:
                by_site[site_id].append(contract)
    results = []
    for asset_id, site_id, on in keys:
        asset = assets.get(asset_id) if asset_id is not None else None
        named = list(by_asset.get(asset_id, [])) if asset_id is not None else []
        for site in {site_id, asset.site_id if asset else None} - {None}:
            named.extend(by_site.get(site, []))  # type: ignore[arg-type]
        results.append(decide(asset, on, list({c.id: c for c in named}.values())))
    return results


async def coverage_for(
    session: AsyncSession, asset_id: int | None, site_id: int | None, on: date
) -> Coverage:
    """Whether a visit on `on` for this asset (or at this site) is under warranty, under a
    contract, or chargeable; NOT_FOUND on assetId for an unknown asset."""
    (coverage,) = await coverages(session, [(asset_id, site_id, on)])
    return coverage


# -- contracts ----------------------------------------------------------------------------

NUMBER_PREFIX = {
    ContractKind.AMC: "AMC",
    ContractKind.CMC: "CMC",
    ContractKind.EXTENDED_WARRANTY: "EW",
}


async def _next_number(session: AsyncSession, kind: ContractKind, starts_on: date) -> str:
    serial = await session.scalar(select(func.nextval(CONTRACT_NUMBER_SEQUENCE)))
    return f"{NUMBER_PREFIX[kind]}-{starts_on.year}-{serial:06d}"


def _terms_problems(contract: Contract) -> list[FieldProblem]:
    problems = []
    if contract.ends_on < contract.starts_on:
        problems.append(
            FieldProblem("the contract ends before it starts", ErrorCode.INVALID, ["endsOn"])
        )
    response, resolution = contract.sla_response_hours, contract.sla_resolution_hours
    if response is not None and resolution is not None and resolution < response:
        problems.append(
            FieldProblem(
                "resolution cannot be due before the response",
                ErrorCode.INVALID,
                ["slaResolutionHours"],
            )
        )
    return problems


async def _covered_problems(
    session: AsyncSession, contract: Contract, asset_ids: list[int], site_ids: list[int]
) -> list[FieldProblem]:
    """Covered assets and sites must exist, be active and belong to the contract's customer."""
    problems = []
    if not asset_ids and not site_ids:
        problems.append(
            FieldProblem("cover at least one asset or site", ErrorCode.INVALID, ["coveredAssetIds"])
        )
    if contract.kind is ContractKind.EXTENDED_WARRANTY and site_ids:
        problems.append(
            FieldProblem(
                "an extended warranty covers named assets, not sites",
                ErrorCode.INVALID,
                ["coveredSiteIds"],
            )
        )
    assets = await session.scalars(select(Asset).where(col(Asset.id).in_(asset_ids)))
    sites = await session.scalars(select(Site).where(col(Site.id).in_(site_ids)))
    found: dict[str, dict[int | None, Asset | Site]] = {
        "coveredAssetIds": {a.id: a for a in assets.all()},
        "coveredSiteIds": {s.id: s for s in sites.all()},
    }
    for field, ids in (("coveredAssetIds", asset_ids), ("coveredSiteIds", site_ids)):
        for index, db_id in enumerate(ids):
            row = found[field].get(db_id)
            path = [field, str(index)]
            if row is None:
                problems.append(FieldProblem("not found", ErrorCode.NOT_FOUND, path))
            elif row.customer_id != contract.customer_id:
                problems.append(
                    FieldProblem("belongs to another customer", ErrorCode.INVALID, path)
                )
            elif row.archived_at is not None:
                problems.append(FieldProblem("is archived", ErrorCode.INVALID, path))
    return problems


async def _replace_coverage(
    session: AsyncSession, contract_id: int, asset_ids: list[int], site_ids: list[int]
) -> None:
    await session.execute(
        delete(ContractCoverage).where(col(ContractCoverage.contract_id) == contract_id)
    )
    session.add_all(
        [ContractCoverage(contract_id=contract_id, asset_id=a) for a in asset_ids]
        + [ContractCoverage(contract_id=contract_id, site_id=s) for s in site_ids]
    )


def _unique(ids: list[int]) -> list[int]:
    return list(dict.fromkeys(ids))


async def check_contract(session: AsyncSession, data: ContractCreate) -> Contract:
    """The contract `data` would create, unsaved, once its customer, terms and coverage pass
    the rules create_contract applies (an offer checks its terms with it before it is sent)."""
    customer = await session.get(Customer, data.customer_id)
    if customer is None:
        raise NotFound("customer", ["customerId"])
    if customer.archived_at is not None:
        raise DomainError("the customer is archived", ErrorCode.INVALID, ["customerId"])
    labour, parts = DEFAULT_COVERAGE[data.kind]
    values = data.model_dump(exclude={"covered_asset_ids", "covered_site_ids", "number"})
    contract = Contract.model_validate(
        values
        | {
            "number": data.number or "pending",
            "covers_labour": labour if data.covers_labour is None else data.covers_labour,
            "covers_parts": parts if data.covers_parts is None else data.covers_parts,
        }
    )
    asset_ids, site_ids = _unique(data.covered_asset_ids), _unique(data.covered_site_ids)
    collect(
        _terms_problems(contract) + await _covered_problems(session, contract, asset_ids, site_ids)
    )
    return contract


async def create_contract(session: AsyncSession, data: ContractCreate) -> Contract:
    contract = await check_contract(session, data)
    asset_ids, site_ids = _unique(data.covered_asset_ids), _unique(data.covered_site_ids)
    if data.number is None:
        contract.number = await _next_number(session, data.kind, data.starts_on)
    session.add(contract)
    await flush_unique(session, "number", f"contract number {contract.number} exists")
    assert contract.id is not None
    await _replace_coverage(session, contract.id, asset_ids, site_ids)
    await session.flush()
    return contract


async def update_contract(
    session: AsyncSession, contract_id: int, changes: ContractUpdate, expected_version: int | None
) -> Contract:
    """Change terms or coverage; a new kind brings its default labour/parts unless given."""
    contract = await get_for_update(session, Contract, contract_id, what="contract")
    check_version(contract, expected_version)
    values = changes.model_dump(exclude_unset=True)
    reject_nulls(values, NOT_NULL_CONTRACT_FIELDS)
    asset_ids = values.pop("covered_asset_ids", None)
    site_ids = values.pop("covered_site_ids", None)
    if "kind" in values and values["kind"] != contract.kind:
        labour, parts = DEFAULT_COVERAGE[values["kind"]]
        values.setdefault("covers_labour", labour)
        values.setdefault("covers_parts", parts)
    apply_changes(contract, values)
    current = await repository.coverages_of(session, contract_id)
    assets = (
        _unique(asset_ids) if asset_ids is not None else [c.asset_id for c in current if c.asset_id]
    )
    sites = _unique(site_ids) if site_ids is not None else [c.site_id for c in current if c.site_id]
    collect(_terms_problems(contract) + await _covered_problems(session, contract, assets, sites))
    if asset_ids is not None or site_ids is not None:
        await _replace_coverage(session, contract_id, assets, sites)
    contract.touch()
    await session.flush()
    return contract


async def archive_contract(
    session: AsyncSession, contract_id: int, expected_version: int | None
) -> Contract:
    """An archived contract no longer covers anything; its history stays."""
    contract = await get_for_update(session, Contract, contract_id, what="contract")
    check_version(contract, expected_version)
    if contract.archived_at is None:
        contract.archived_at = utcnow()
        contract.touch()
        await session.flush()
    return contract
