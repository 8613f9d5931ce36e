"""The coverage decision: who pays for a visit to an asset or a site on a given day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.assets.models import Asset, ProductCategory, ProductModel
from app.contracts.models import Contract, ContractCoverage, ContractKind
from app.contracts.service import Coverage, CoverageStatus, coverage_for, coverages
from app.core.errors import DomainError
from app.core.geo import point_value
from app.core.models import utcnow
from app.customers.models import Customer, Site

ON = date(2026, 6, 1)


@dataclass
class World:
    customer: Customer
    site: Site
    other_site: Site
    asset: Asset
    contracts: list[Contract] = field(default_factory=list)


async def world(session: AsyncSession, warranty_expires_on: date | None) -> World:
    customer = Customer(name="Coverage Co")
    session.add(customer)
    await session.flush()
    assert customer.id is not None
    site = Site(
        customer_id=customer.id,
        name="Main",
        address_line="-",
        city="-",
        point=point_value(12.9, 77.6),
    )
    other = Site(
        customer_id=customer.id,
        name="Annex",
        address_line="-",
        city="-",
        point=point_value(12.9, 77.6),
    )
    model = ProductModel(code="COV-1", name="Chiller", category=ProductCategory.HVAC)
    session.add_all([site, other, model])
    await session.flush()
    assert site.id and model.id
    asset = Asset(
        serial_number="C-1",
        product_model_id=model.id,
        site_id=site.id,
        customer_id=customer.id,
        sold_on=date(2025, 1, 1),
        warranty_expires_on=warranty_expires_on,
    )
    session.add(asset)
    await session.flush()
    return World(customer, site, other, asset)


async def contract(
    session: AsyncSession,
    w: World,
    kind: ContractKind,
    *,
    on_asset: bool = False,
    on_site: Site | None = None,
    ends_on: date = date(2026, 12, 31),
    archived: bool = False,
    labour: bool = True,
    parts: bool = False,
    response: int | None = None,
) -> Contract:
    assert w.customer.id is not None
    row = Contract(
        number=f"T-{kind}-{len(w.contracts)}",
        kind=kind,
        customer_id=w.customer.id,
        starts_on=date(2026, 1, 1),
        ends_on=ends_on,
        covers_labour=labour,
        covers_parts=parts,
        sla_response_hours=response,
        archived_at=utcnow() if archived else None,
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    session.add(
        ContractCoverage(
            contract_id=row.id,
            asset_id=w.asset.id if on_asset else None,
            site_id=on_site.id if on_site else None,
        )
    )
    await session.flush()
    w.contracts.append(row)
    return row


async def test_an_asset_under_warranty_is_covered_by_the_manufacturer(
    session: AsyncSession,
) -> None:
    w = await world(session, warranty_expires_on=date(2026, 12, 31))

    assert await coverage_for(session, w.asset.id, w.site.id, ON) == Coverage(
        CoverageStatus.WARRANTY, labour_covered=True, parts_covered=True
    )


async def test_an_expired_warranty_falls_back_to_an_active_cmc_on_the_asset(
    session: AsyncSession,
) -> None:
    w = await world(session, warranty_expires_on=date(2025, 12, 31))
    cmc = await contract(session, w, ContractKind.CMC, on_asset=True, parts=True, response=4)

    assert await coverage_for(session, w.asset.id, w.site.id, ON) == Coverage(
        CoverageStatus.CONTRACT,
        contract_id=cmc.id,
        contract_kind=ContractKind.CMC,
        labour_covered=True,
        parts_covered=True,
        sla_response_hours=4,
    )


async def test_an_amc_on_the_site_covers_labour_for_every_asset_there(
    session: AsyncSession,
) -> None:
    w = await world(session, warranty_expires_on=None)
    amc = await contract(session, w, ContractKind.AMC, on_site=w.site)

    by_asset = await coverage_for(session, w.asset.id, w.site.id, ON)
    by_site = await coverage_for(session, None, w.site.id, ON)
    elsewhere = await coverage_for(session, None, w.other_site.id, ON)

    assert by_asset == by_site
    assert (by_asset.status, by_asset.contract_id) == (CoverageStatus.CONTRACT, amc.id)
    assert (by_asset.labour_covered, by_asset.parts_covered) == (True, False)
    assert elsewhere.status is CoverageStatus.CHARGEABLE


@pytest.mark.parametrize(
    ("ends_on", "archived"),
    [(date(2026, 5, 31), False), (date(2026, 12, 31), True)],
    ids=["expired", "archived"],
)
async def test_an_expired_or_archived_contract_covers_nothing(
    session: AsyncSession, ends_on: date, archived: bool
) -> None:
    w = await world(session, warranty_expires_on=date(2025, 12, 31))
    await contract(session, w, ContractKind.CMC, on_asset=True, ends_on=ends_on, archived=archived)

    coverage = await coverage_for(session, w.asset.id, w.site.id, ON)
    assert coverage == Coverage(CoverageStatus.CHARGEABLE)


async def test_nothing_at_all_is_chargeable(session: AsyncSession) -> None:
    w = await world(session, warranty_expires_on=None)

    assert await coverage_for(session, w.asset.id, w.site.id, ON) == Coverage(
        CoverageStatus.CHARGEABLE
    )
    assert await coverage_for(session, None, None, ON) == Coverage(CoverageStatus.CHARGEABLE)


async def test_the_most_generous_contract_wins_and_warranty_keeps_its_sla(
    session: AsyncSession,
) -> None:
    w = await world(session, warranty_expires_on=date(2026, 12, 31))
    await contract(session, w, ContractKind.AMC, on_site=w.site, response=24)
    cmc = await contract(session, w, ContractKind.CMC, on_asset=True, parts=True, response=8)

    during = await coverage_for(session, w.asset.id, w.site.id, ON)
    after = await coverage_for(session, w.asset.id, w.site.id, date(2026, 12, 31))

    assert during.status is CoverageStatus.WARRANTY and during.contract_id == cmc.id
    assert during.sla_response_hours == 8
    assert after.status is CoverageStatus.WARRANTY
    (later,) = await coverages(session, [(w.asset.id, None, date(2027, 1, 1))])
    assert later.status is CoverageStatus.CHARGEABLE


async def test_an_unknown_asset_is_not_found(session: AsyncSession) -> None:
    with pytest.raises(DomainError) as raised:
        await coverage_for(session, 987654, None, ON)
    assert raised.value.code == "NOT_FOUND"
    assert raised.value.problems[0].field == ["assetId"]
