"""Parts-aware dispatch in the demo city: three repairs for tomorrow in one territory that
need parts. A compressor is stocked only at a new depot near them, so a plan sends a
technician there first (a pickup stop); a control board sits in one technician's van, so a
plan gives that visit to them; a rare sensor is stocked nowhere, so a plan leaves its visit
out with the reason PARTS. Run `runDispatch` on the territory for tomorrow to see it.

Deterministic: sites and technicians are taken by id.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from geoalchemy2 import Geometry
from sqlalchemy import cast, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.auth import Principal, Role
from app.customers.models import Site
from app.demo.generator import LOCAL
from app.dispatch.part_needs import set_part_needs
from app.inventory import stock
from app.inventory.catalogue import create_part, create_warehouse
from app.inventory.ledger import Stamp
from app.inventory.models import MoneyIn, MovementLine, PartCreate, Position, WarehouseCreate
from app.technicians.models import Technician, TechnicianStatus, TerritoryMembership
from app.work_orders.models import TaskCreate, TaskType
from app.work_orders.service import create_task, territory_of_site
from app.work_orders.transitions import Actor

DISPATCHER = Principal("user:2", Role.DISPATCHER, "Dinesh Gowda (dispatcher)")
STAMP = Stamp(actor="demo:dispatch-parts", reason="demo stock for parts-aware dispatch")


async def seed_dispatch_parts(session: AsyncSession, now: datetime) -> dict[str, int]:
    found = await _sites_and_technician(session)
    if found is None:
        return {"tasks_needing_parts": 0}
    sites, technician_id = found
    compressor, board, sensor = [
        await _part(session, sku, name)
        for sku, name in (
            ("DSP-COMP-1", "Rotary compressor 1.5 t"),
            ("DSP-PCB-7", "Indoor unit control board"),
            ("DSP-SNS-9", "Coil temperature sensor (rare)"),
        )
    ]
    lat, lng = await _point_of(session, sites[0])
    depot = await create_warehouse(
        session,
        WarehouseCreate(
            code="DEPOT-PARTS",
            name="Neighbourhood parts depot",
            point=Position(lat=lat + 0.01, lng=lng + 0.01),
        ),
    )
    assert depot.id is not None
    await stock.receive(
        session,
        depot.id,
        [MovementLine(part_id=compressor, quantity=4), MovementLine(part_id=board, quantity=3)],
        STAMP,
    )
    await stock.issue_to_van(
        session, depot.id, technician_id, [MovementLine(part_id=board, quantity=1)], STAMP
    )
    tomorrow = now.astimezone(LOCAL).date() + timedelta(days=1)
    needs = ((compressor, "Compressor dead"), (board, "Board fault E1"), (sensor, "Sensor fault"))
    for site, (part_id, what) in zip(sites, needs, strict=True):
        task = await create_task(
            session,
            Actor.of(DISPATCHER),
            TaskCreate(
                type=TaskType.REPAIR,
                customer_id=site.customer_id,
                site_id=site.id,
                description=f"{what}: replace the part",
                duration_minutes=60,
                window_start=datetime.combine(tomorrow, time(9), LOCAL),
                window_end=datetime.combine(tomorrow, time(17), LOCAL),
            ),
        )
        assert task.id is not None
        await set_part_needs(session, DISPATCHER, task.id, [(part_id, 1)], None)
    # The depot's board units go to the van only: no pickup can serve the board visit.
    await stock.adjust(session, depot.id, board, -2, STAMP)
    return {"tasks_needing_parts": len(sites)}


async def _part(session: AsyncSession, sku: str, name: str) -> int:
    part = await create_part(
        session,
        PartCreate(
            sku=sku,
            name=name,
            unit_cost=MoneyIn(amount=Decimal("900.00"), currency="INR"),
            unit_price=MoneyIn(amount=Decimal("1500.00"), currency="INR"),
        ),
    )
    assert part.id is not None
    return part.id


async def _point_of(session: AsyncSession, site: Site) -> tuple[float, float]:
    geometry = cast(col(Site.point), Geometry)
    row = (
        await session.execute(
            select(func.ST_Y(geometry), func.ST_X(geometry)).where(col(Site.id) == site.id)
        )
    ).one()
    return float(row[0]), float(row[1])


async def _sites_and_technician(session: AsyncSession) -> tuple[list[Site], int] | None:
    """Three sites of one territory and an active technician of it."""
    sites = (await session.scalars(select(Site).order_by(col(Site.id)).limit(60))).all()
    by_territory: dict[int, list[Site]] = {}
    for site in sites:
        assert site.id is not None
        territory = await territory_of_site(session, site.id)
        if territory is None:
            continue
        group = by_territory.setdefault(territory, [])
        group.append(site)
        if len(group) < 3:
            continue
        technician = await session.scalar(
            select(Technician.id)
            .where(
                col(Technician.id).in_(
                    select(TerritoryMembership.technician_id).where(
                        col(TerritoryMembership.territory_id) == territory
                    )
                ),
                col(Technician.status) == TechnicianStatus.ACTIVE,
                col(Technician.archived_at).is_(None),
            )
            .order_by(col(Technician.id))
            .limit(1)
        )
        if technician is not None:
            return group, technician
    return None
