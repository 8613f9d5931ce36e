"""Fast factories: master data inserted straight through the ORM for lifecycle tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy.ext.asyncio import AsyncSession

from app.assets.models import Asset, ProductCategory, ProductModel
from app.contracts.models import Contract, ContractCoverage, ContractKind
from app.core.geo import point_value
from app.customers.models import Customer, CustomerType, Site
from app.partners.models import Partner
from app.technicians.models import (
    Employment,
    Skill,
    Technician,
    TechnicianSkill,
    TerritoryMembership,
    WorkingHours,
)
from app.territories.models import Territory

_serial = itertools.count(1)

# A site in Bengaluru and the square territory around it.
SITE_LAT, SITE_LNG = 12.9716, 77.5946


async def _saved(session: AsyncSession, row: Any) -> Any:
    session.add(row)
    await session.flush()
    return row


async def territory(session: AsyncSession, code: str = "BLR") -> Territory:
    square = Polygon([(77.4, 12.8), (77.8, 12.8), (77.8, 13.1), (77.4, 13.1), (77.4, 12.8)])
    return await _saved(
        session,
        Territory(
            name=f"Territory {code}",
            code=f"{code}{next(_serial)}",
            time_zone="Asia/Kolkata",
            area=from_shape(MultiPolygon([square]), srid=4326),
        ),
    )


async def customer(session: AsyncSession, type: CustomerType = CustomerType.CONSUMER) -> Customer:
    return await _saved(session, Customer(name=f"Customer {next(_serial)}", type=type))


async def site(
    session: AsyncSession, owner: Customer, lat: float = SITE_LAT, lng: float = SITE_LNG
) -> Site:
    return await _saved(
        session,
        Site(
            name="Home",
            address_line="1 MG Road",
            city="Bengaluru",
            customer_id=owner.id,
            point=point_value(lat, lng),
        ),
    )


async def asset(session: AsyncSession, at: Site, warranty_until: date | None = None) -> Asset:
    model = await _saved(
        session,
        ProductModel(code=f"AC-{next(_serial)}", name="Split AC", category=ProductCategory.HVAC),
    )
    return await _saved(
        session,
        Asset(
            serial_number=f"SN{next(_serial)}",
            product_model_id=model.id,
            site_id=at.id,
            customer_id=at.customer_id,
            warranty_expires_on=warranty_until,
        ),
    )


async def contract(
    session: AsyncSession,
    owner: Customer,
    kind: ContractKind,
    *,
    asset: Asset | None = None,
    site: Site | None = None,
    sla_response_hours: int | None = None,
) -> Contract:
    covers_parts = kind is not ContractKind.AMC
    row = await _saved(
        session,
        Contract(
            number=f"C-{next(_serial)}",
            kind=kind,
            starts_on=date.today() - timedelta(days=30),
            ends_on=date.today() + timedelta(days=335),
            covers_labour=True,
            covers_parts=covers_parts,
            sla_response_hours=sla_response_hours,
            customer_id=owner.id,
        ),
    )
    await _saved(
        session,
        ContractCoverage(
            contract_id=row.id,
            asset_id=asset.id if asset else None,
            site_id=site.id if site and not asset else None,
        ),
    )
    return row


async def skill(session: AsyncSession, code: str) -> Skill:
    return await _saved(session, Skill(code=f"{code}", name=code.title()))


async def partner(session: AsyncSession) -> Partner:
    code = f"P{next(_serial)}"
    return await _saved(session, Partner(name=f"Partner {code}", code=code))


async def technician(
    session: AsyncSession,
    *,
    skills: list[tuple[Skill, int]] | None = None,
    partner_id: int | None = None,
    area: Territory | None = None,
    all_day: bool = True,
) -> Technician:
    tech = await _saved(
        session,
        Technician(
            name=f"Tech {next(_serial)}",
            employment=Employment.PARTNER if partner_id else Employment.EMPLOYEE,
            partner_id=partner_id,
            home_base=point_value(SITE_LAT + 0.05, SITE_LNG),
        ),
    )
    for held, level in skills or []:
        session.add(TechnicianSkill(technician_id=tech.id, skill_id=held.id, level=level))
    if area is not None:
        session.add(
            TerritoryMembership(
                technician_id=tech.id, territory_id=area.id, valid_from=date(2020, 1, 1)
            )
        )
    if all_day:
        session.add_all(
            WorkingHours(technician_id=tech.id, weekday=d, starts_at=time(0), ends_at=time(23, 59))
            for d in range(7)
        )
    await session.flush()
    return tech


@dataclass
class World:
    """A territory with a customer, a site, an asset and a skilled technician."""

    territory: Territory
    customer: Customer
    site: Site
    asset: Asset
    skill: Skill
    technician: Technician


async def world(session: AsyncSession, **customer_kw: Any) -> World:
    area = await territory(session)
    owner = await customer(session, **customer_kw)
    place = await site(session, owner)
    thing = await asset(session, place)
    hvac = await skill(session, f"HVAC{next(_serial)}")
    tech = await technician(session, skills=[(hvac, 3)], area=area)
    return World(area, owner, place, thing, hvac, tech)


async def stocked_van(session: AsyncSession, tech: Technician, sku: str, quantity: int) -> None:
    """Put `quantity` units of part `sku` in the technician's van, through the real ledger."""
    from decimal import Decimal

    from app.inventory.ledger import Stamp
    from app.inventory.models import MovementLine, Part, StockLocation, StockLocationKind
    from app.inventory.stock import issue_to_van, receive

    part = await _saved(
        session, Part(sku=sku, name=sku, unit_cost=Decimal(5), unit_price=Decimal(9))
    )
    depot = await _saved(
        session,
        StockLocation(
            kind=StockLocationKind.WAREHOUSE,
            code=f"WH{next(_serial)}",
            name="Depot",
            point=point_value(SITE_LAT, SITE_LNG),
        ),
    )
    lines = [MovementLine(part_id=part.id, quantity=quantity)]
    await receive(session, depot.id, lines, Stamp(actor="test"))
    await issue_to_van(session, depot.id, tech.id, lines, Stamp(actor="test"))
