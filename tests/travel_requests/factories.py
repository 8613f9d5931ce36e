"""A technician's accepted task, travel policies, and GraphQL helpers for travel requests."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.geo import point_value
from app.core.models import utcnow
from app.technicians.models import Technician
from app.travel_requests.models import TravelPolicy
from app.work_orders.models import Task, TaskStatus, TaskType, WorkOrder
from schema.ids import encode_id
from tests.support import GraphQLClient
from tests.work_orders import factories as wf

REQUEST_FIELDS = """id reference status mode approverRole decidedBy decisionReason version
  estimatedCost { amount currency } advance { amount currency } settlementStatus
  claimed { amount } balance { amount currency } advancePaidAt settledAt
  task { id releasedForExecution } technician { id } release { required released reason }"""
REQUEST = f"""
mutation($input: RequestTravelInput!) {{ requestTravel(input: $input) {{
  request {{ {REQUEST_FIELDS} }} userErrors {{ field message code }} }} }}
"""


def step(name: str, input_type: str) -> str:
    return f"""
mutation($input: {input_type}!) {{ {name}(input: $input) {{
  request {{ {REQUEST_FIELDS} }} userErrors {{ field message code }} }} }}
"""


APPROVE = step("approveTravelRequest", "ApproveTravelRequestInput")
REJECT = step("rejectTravelRequest", "DecideTravelRequestInput")
CANCEL = step("cancelTravelRequest", "DecideTravelRequestInput")
PAY_OUT = step("recordTravelAdvancePayout", "TravelAdvanceInput")
SETTLE = step("settleTravelAdvance", "TravelAdvanceInput")


def gid(kind: str, db_id: int | None) -> str:
    assert db_id is not None
    return encode_id(kind, db_id)


async def policy(
    session: AsyncSession,
    *,
    task_type: TaskType | None = None,
    requires_approval: bool = False,
    beyond_km: str | None = None,
    floor: str = "500.00",
    dispatcher: str = "5000.00",
    manager: str | None = "20000.00",
) -> TravelPolicy:
    row = TravelPolicy(
        task_type=task_type,
        requires_approval=requires_approval,
        approval_beyond_km=None if beyond_km is None else Decimal(beyond_km),
        auto_approve_below=Decimal(floor),
        dispatcher_limit=Decimal(dispatcher),
        manager_limit=None if manager is None else Decimal(manager),
    )
    session.add(row)
    await session.flush()
    return row


async def accepted_task(
    session: AsyncSession,
    world: wf.World,
    *,
    technician: Technician | None = None,
    task_type: TaskType = TaskType.REPAIR,
    lat: float = wf.SITE_LAT,
) -> Task:
    """A task of the technician's, accepted, with no scheduled time (any time is on time)."""
    tech = technician or world.technician
    customer_id, site_id = world.customer.id, world.site.id
    assert customer_id is not None and site_id is not None
    order = WorkOrder(customer_id=customer_id, site_id=site_id)
    session.add(order)
    await session.flush()
    assert order.id is not None
    row = Task(
        type=task_type,
        work_order_id=order.id,
        customer_id=customer_id,
        site_id=site_id,
        territory_id=world.territory.id,
        location=point_value(lat, wf.SITE_LNG),
        status=TaskStatus.ACCEPTED,
        technician_id=tech.id,
    )
    session.add(row)
    await session.flush()
    return row


def technician(gql: GraphQLClient, tech: Technician) -> GraphQLClient:
    return gql.as_role(Role.TECHNICIAN, technician_id=tech.id)


def travel_input(task: Task, **changes: Any) -> dict[str, Any]:
    today = utcnow().date()
    return {
        "taskId": gid("Task", task.id),
        "mode": "TRAIN",
        "origin": "Bengaluru depot",
        "destination": "Mysuru plant",
        "departsOn": (today + timedelta(days=1)).isoformat(),
        "returnsOn": (today + timedelta(days=2)).isoformat(),
        "estimatedCost": "3000.00",
        "lodgingNights": 1,
        "advanceAmount": "2000.00",
        "currency": "INR",
    } | changes


async def requested(gql: GraphQLClient, task: Task, tech: Technician, **changes: Any) -> Any:
    payload = await technician(gql, tech).mutate(REQUEST, travel_input(task, **changes))
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["request"]
