"""Work with due times under the test's control, for the SLA tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal, Role
from app.service_requests.models import (
    RequestCategory,
    RequestChannel,
    ServiceRequest,
    ServiceRequestCreate,
)
from app.service_requests.service import create_service_request
from app.work_orders.models import Task, TaskCreate
from app.work_orders.service import create_task
from app.work_orders.transitions import Actor
from tests.work_orders import factories

AGENT = Principal(subject="test:agent", role=Role.AGENT, name="Agent")
T0 = datetime(2030, 3, 4, 9, 0, tzinfo=datetime.now().astimezone().tzinfo).astimezone()
RESPONSE_MINUTES = 60
RESOLUTION_MINUTES = 240


async def late_request(
    session: AsyncSession,
    w: factories.World,
    created: datetime = T0,
    category: RequestCategory = RequestCategory.REPAIR,
) -> ServiceRequest:
    """A request nobody has turned into a task, created at `created`."""
    request = await create_service_request(
        session,
        AGENT,
        ServiceRequestCreate(
            customer_id=w.customer.id or 0,
            site_id=w.site.id or 0,
            channel=RequestChannel.PHONE,
            category=category,
            description="The air conditioner drips",
        ),
    )
    request.created_at = created
    request.response_due_at = created + timedelta(minutes=RESPONSE_MINUTES)
    request.resolution_due_at = created + timedelta(minutes=RESOLUTION_MINUTES)
    await session.flush()
    return request


async def late_task(
    session: AsyncSession,
    w: factories.World,
    created: datetime = T0,
    response: int = RESPONSE_MINUTES,
    resolution: int = RESOLUTION_MINUTES,
) -> Task:
    """A task of a request, created at `created`, due `response` and `resolution` minutes later."""
    request = await create_service_request(
        session,
        AGENT,
        ServiceRequestCreate(
            customer_id=w.customer.id or 0,
            site_id=w.site.id or 0,
            channel=RequestChannel.PHONE,
            category=RequestCategory.REPAIR,
            description="The air conditioner drips",
        ),
    )
    task = await create_task(session, Actor.of(AGENT), TaskCreate(service_request_id=request.id))
    for row in (request, task):
        row.created_at = created
        row.response_due_at = created + timedelta(minutes=response)
        row.resolution_due_at = created + timedelta(minutes=resolution)
    await session.flush()
    return task
