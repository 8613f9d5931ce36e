"""A customer's service request with a field task assigned to a technician, and another
customer's, for conversation tests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.service_requests.models import (
    CoverageKind,
    EligibilityStatus,
    RequestCategory,
    RequestChannel,
    ServiceRequest,
)
from app.technicians.models import Technician
from app.work_orders.models import Task, TaskStatus
from tests.billing import factories as billing
from tests.work_orders import factories as wf


@dataclass
class Case:
    world: wf.World
    request: ServiceRequest
    task: Task
    other: wf.World
    """Another customer, with a technician of its own."""
    partner_id: int
    """The partner of the world's technician."""


async def request(session: AsyncSession, world: wf.World) -> ServiceRequest:
    assert world.customer.id is not None and world.site.id is not None
    row = ServiceRequest(
        channel=RequestChannel.PHONE,
        category=RequestCategory.REPAIR,
        description="AC is not cooling",
        customer_id=world.customer.id,
        site_id=world.site.id,
        asset_id=world.asset.id,
        eligibility_status=EligibilityStatus.CHARGEABLE,
        coverage_kind=CoverageKind.NONE,
        reported_by="test:agent",
    )
    session.add(row)
    await session.flush()
    return row


async def case(session: AsyncSession) -> Case:
    world = await wf.world(session)
    partner = await wf.partner(session)
    technician = await session.get(Technician, world.technician.id)
    assert technician is not None and partner.id is not None
    technician.partner_id = partner.id
    technician.employment = wf.Employment.PARTNER
    sr = await request(session, world)
    task = await billing.task(session, world, status=TaskStatus.SCHEDULED)
    task.service_request_id = sr.id
    await session.flush()
    other = await wf.world(session)
    return Case(world, sr, task, other, partner.id)
