"""A field task on a unit under warranty, a depot holding replacement units, photos as evidence."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.assets.models import Asset, ProductModel
from app.attachments.models import Attachment, AttachmentKind, Blob
from app.core.models import utcnow
from app.inventory import stock
from app.inventory.ledger import Stamp
from app.inventory.models import MovementLine, Part, StockLocation
from app.work_orders.models import Task
from tests.billing import factories as billing
from tests.inventory import factories as inventory
from tests.work_orders import factories as wf

_serial = itertools.count(1)


@dataclass
class Case:
    world: wf.World
    task: Task
    asset: Asset
    model: ProductModel
    unit: Part
    depot: StockLocation
    photos: list[int]


async def photo(session: AsyncSession, task_id: int) -> int:
    content = f"photo {next(_serial)}".encode()
    sha = hashlib.sha256(content).hexdigest()
    session.add(
        Blob(
            sha256=sha,
            size_bytes=len(content),
            content_type="image/jpeg",
            kind=AttachmentKind.PHOTO,
            storage_key=f"test/{sha}",
        )
    )
    await session.flush()
    row = Attachment(
        filename="fault.jpg",
        blob_sha256=sha,
        task_id=task_id,
        kind=AttachmentKind.PHOTO,
        content_type="image/jpeg",
        size_bytes=len(content),
        uploaded_by="test:technician",
        uploaded_by_role="TECHNICIAN",
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    return row.id


async def case(
    session: AsyncSession,
    *,
    cost: str = "4000.00",
    units: int = 3,
    warranty_days: int = 200,
) -> Case:
    """A repair task on an HVAC unit sold 100 days ago, under warranty for `warranty_days`
    more days; a depot holding `units` replacement units costing `cost` each."""
    world = await wf.world(session)
    asset = world.asset
    today = utcnow().date()
    asset.sold_on = today - timedelta(days=100)
    asset.warranty_expires_on = today + timedelta(days=warranty_days) if warranty_days else None
    await session.flush()
    model = await session.get(ProductModel, asset.product_model_id)
    assert model is not None
    task = await billing.task(session, world)
    unit = await inventory.part(session, cost=cost, price=str(Decimal(cost) * 2))
    depot = await inventory.warehouse(session)
    assert depot.id and unit.id and task.id
    if units:
        stamp = Stamp(actor="test:storekeeper", reason="replacement units")
        await stock.receive(
            session, depot.id, [MovementLine(part_id=unit.id, quantity=units)], stamp
        )
    photos = [await photo(session, task.id), await photo(session, task.id)]
    return Case(world, task, asset, model, unit, depot, photos)
