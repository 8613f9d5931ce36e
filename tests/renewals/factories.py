"""Customers with a contract to renew, written straight through the session."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.contracts.models import Contract, ContractCoverage, ContractKind
from app.customers.models import Customer, Site

_serial = itertools.count(1)


async def contract(
    session: AsyncSession,
    *,
    ends_on: date,
    starts_on: date | None = None,
    kind: ContractKind = ContractKind.AMC,
    price: str | None = "12000.00",
    name: str = "Asha Rao",
) -> Contract:
    """A customer with one site and a contract covering it, flushed."""
    customer = Customer(name=f"{name} {next(_serial)}", email="asha@example.com")
    session.add(customer)
    await session.flush()
    assert customer.id is not None
    site = Site(
        customer_id=customer.id,
        name="Home",
        address_line="12 MG Road",
        city="Bengaluru",
        point="SRID=4326;POINT(77.5946 12.9716)",
    )
    session.add(site)
    row = Contract(
        number=f"AMC-T-{next(_serial):06d}-{ends_on.year}",
        kind=kind,
        customer_id=customer.id,
        starts_on=starts_on or date(ends_on.year, 1, 1),
        ends_on=ends_on,
        covers_parts=kind is not ContractKind.AMC,
        visits_per_year=4,
        price=Decimal(price) if price is not None else None,
    )
    session.add(row)
    await session.flush()
    assert row.id is not None and site.id is not None
    session.add(ContractCoverage(contract_id=row.id, site_id=site.id))
    await session.flush()
    return row
