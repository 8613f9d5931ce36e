"""Self-service booking: a customer's request and its visit in the slot they held, in one step.

The customer picks a slot from `availableSlots`, holds it (`holdSlot`), then books: the request
is recorded with its eligibility and priority as any other, its task takes the hold's duration
and skills, the held slot becomes the appointment (agreed, so no confirmation is asked), and the
visit is offered to the technician whose day the slot was found in. When that offer cannot be
made any more (the technician went off shift, say), the task waits in the dispatcher's queue
with its appointment kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal, Role
from app.core.errors import DomainError, NotFound
from app.core.models import utcnow
from app.dispatch.models import SlotHold
from app.dispatch.repository import get_readable_hold
from app.dispatch.slots import consume_hold
from app.service_requests.models import ServiceRequest, ServiceRequestCreate
from app.service_requests.service import create_service_request
from app.work_orders import offers
from app.work_orders.models import SkillRequirement, Task, TaskCreate
from app.work_orders.service import create_task
from app.work_orders.transitions import Actor

log = structlog.get_logger(__name__)

BOOKING_DESK = Principal(subject="system:booking", role=Role.DISPATCHER, name="Online booking")
"""Who offers a self-booked visit to the technician whose day the slot came from."""


@dataclass(frozen=True, slots=True)
class Booking:
    request: ServiceRequest
    task: Task


async def book_visit(
    session: AsyncSession, principal: Principal, data: ServiceRequestCreate, hold_id: int
) -> Booking:
    hold = await get_readable_hold(session, principal, hold_id)
    if hold is None:
        raise NotFound("slot hold", ["holdId"])
    request = await create_service_request(session, principal, data, remote_triage=False)
    task = await create_task(session, Actor.of(principal), _visit(request, hold))
    await consume_hold(session, principal, hold_id, task, window_given=True)
    task.confirmed_at = utcnow()
    await _offer_to_holder(session, task, hold)
    return Booking(request, task)


def _visit(request: ServiceRequest, hold: SlotHold) -> TaskCreate:
    return TaskCreate(
        service_request_id=request.id,
        description=request.description,
        duration_minutes=hold.duration_minutes,
        required_skills=[
            SkillRequirement(code=code, min_level=level) for code, level in hold.skills.items()
        ],
        window_start=hold.slot_start,
        window_end=hold.slot_end,
    )


async def _offer_to_holder(session: AsyncSession, task: Task, hold: SlotHold) -> None:
    assert task.id is not None
    start = max(hold.planned_start, hold.slot_start)
    try:
        async with session.begin_nested():
            await offers.assign_task(session, BOOKING_DESK, task.id, hold.technician_id, start)
    except DomainError as error:
        log.info("self-booked visit left for dispatch", task_id=task.id, reason=str(error))
