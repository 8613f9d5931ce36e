"""Dispatch queries and mutations: runs, appointment slots and slot holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import strawberry

from app.core.auth import Role
from app.core.errors import DomainError, NotFound, collect
from app.core.geo import LatLng
from app.core.models import utcnow
from app.dispatch import repository, service, slots
from app.dispatch.models import DispatchRun, DispatchRunCreate
from resolvers.base import execute
from schema.context import Info
from schema.dispatch import (
    AppointmentSlot,
    DispatchRunConnection,
    DispatchRunPayload,
    DispatchRunType,
    HoldSlotInput,
    ReleaseSlotHoldInput,
    RunDispatchInput,
    SlotHoldPayload,
    SlotHoldType,
    SlotQueryInput,
)
from schema.ids import decode_id, decode_optional_id
from schema.node import register_node
from schema.pagination import paginate
from schema.permissions import allow, staff
from schema.scalars import offset_problems
from schema.task_access import task_by_id

register_node(DispatchRunType, repository.get_readable_run, DispatchRunType.from_model)
register_node(SlotHoldType, repository.get_readable_hold, SlotHoldType.from_model)

PLANNERS = (Role.ADMIN, Role.DISPATCHER)
RUN_READERS = (Role.ADMIN, Role.DISPATCHER, Role.MANAGER)
HOLDERS = (Role.ADMIN, Role.DISPATCHER, Role.AGENT, Role.CUSTOMER)


@strawberry.type
class DispatchQuery:
    @strawberry.field(
        extensions=[allow(*RUN_READERS)],
        description="One dispatch run by ID, for polling its status and reading its plan; "
        "null if not found. Admins, dispatchers and managers.",
    )
    async def dispatch_run(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The run's global ID.")],
    ) -> DispatchRunType | None:
        row = await repository.get_readable_run(
            info.context.session, info.context.principal, decode_id(id, "DispatchRun")
        )
        return None if row is None else DispatchRunType.from_model(row)

    @strawberry.field(
        extensions=[allow(*RUN_READERS)],
        description="Dispatch runs, oldest first, optionally of one territory. Admins, "
        "dispatchers and managers.",
    )
    async def dispatch_runs(
        self,
        info: Info,
        territory_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> DispatchRunConnection:
        territory = decode_optional_id(territory_id, "Territory", "territoryId")
        return await paginate(
            info.context.session,
            repository.listed_runs(info.context.principal, territory),
            DispatchRun.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=DispatchRunType.from_model,
        )

    @strawberry.field(
        extensions=[allow(*staff().roles, Role.CUSTOMER)],
        description="Appointment windows in which some skilled technician's current day can "
        "still take the visit (without making later visits late), in time order; empty when "
        "none or when no territory serves the point. Windows start on the hour in the "
        "territory's zone by default. Availability is not reserved: use holdSlot. Staff and "
        "customers.",
    )
    async def available_slots(self, info: Info, input: SlotQueryInput) -> list[AppointmentSlot]:
        collect(offset_problems(input.from_, "from") + offset_problems(input.to, "to"))
        task_id = decode_optional_id(input.task_id, "Task", "taskId")
        if task_id is not None and await task_by_id(info).load(task_id) is None:
            raise NotFound("task", ["taskId"])  # nor may a customer size another's task
        start = input.from_ or await _next_local_hour(info, input.point.to_lat_lng())
        request = slots.SlotRequest(
            point=input.point.to_lat_lng(),
            duration_minutes=input.duration_minutes,
            skills=tuple(input.skills or ()),
            start=start,
            end=input.to or start + SLOT_SEARCH_SPAN,
            slot_minutes=input.slot_minutes or slots.DEFAULT_SLOT_MINUTES,
            task_id=task_id,
        )
        found = await slots.available_slots(info.context.session, request)
        return [AppointmentSlot.from_slot(slot) for slot in found]


SLOT_SEARCH_SPAN = timedelta(days=3)


async def _next_local_hour(info: Info, point: LatLng) -> datetime:
    """The next whole hour where the visit is, so slots start on the hour there."""
    territory = await slots.territory_of_point(info.context.session, point)
    zone = ZoneInfo(territory.time_zone) if territory and territory.time_zone else UTC
    local = utcnow().astimezone(zone).replace(minute=0, second=0, microsecond=0)
    return local + timedelta(hours=1)


@strawberry.type
class DispatchMutation:
    @strawberry.mutation(
        extensions=[allow(*PLANNERS)],
        description="Queue an automatic planning of a territory and return the QUEUED run at "
        "once; it is solved in the background (poll dispatchRun). With publish, the plan's new "
        "or moved assignments are offered to the technicians. Admins and dispatchers.",
    )
    async def run_dispatch(self, info: Info, input: RunDispatchInput) -> DispatchRunPayload:
        async def action() -> DispatchRunPayload:
            data = DispatchRunCreate.model_validate(
                {
                    "territory_id": decode_id(input.territory_id, "Territory", "territoryId"),
                    "horizon_start": input.from_,
                    "horizon_end": input.to,
                    "time_limit_seconds": input.time_limit_seconds,
                    "publish": input.publish,
                    "from_current_plan": input.from_current_plan,
                }
            )
            principal = info.context.require_principal()
            run = await service.request_run(info.context.session, principal, data)
            return DispatchRunPayload(dispatch_run=DispatchRunType.from_model(run))

        return await execute(info, DispatchRunPayload, action)

    @strawberry.mutation(
        extensions=[allow(*HOLDERS)],
        description="Reserve capacity for a visit in an appointment window on the technician "
        "whose day fits it best, for a configured time (10 minutes by default, see "
        "expiresAt); book the task with the hold's ID before it expires. SLOT_TAKEN when "
        "no day can take it any more. A customer holds only for themselves. Admins, "
        "dispatchers, agents and customers.",
    )
    async def hold_slot(self, info: Info, input: HoldSlotInput) -> SlotHoldPayload:
        async def action() -> SlotHoldPayload:
            problems = input.point.problems()
            if problems:
                raise DomainError(problems[0].message, problems=problems)
            collect(offset_problems(input.start, "start") + offset_problems(input.end, "end"))
            request = slots.HoldRequest(
                point=input.point.to_lat_lng(),
                duration_minutes=input.duration_minutes,
                skills=tuple(input.skills or ()),
                start=input.start,
                end=input.end,
                customer_id=decode_optional_id(input.customer_id, "Customer", "customerId"),
                site_id=decode_optional_id(input.site_id, "Site", "siteId"),
            )
            principal = info.context.require_principal()
            hold = await slots.hold_slot(info.context.session, principal, request)
            return SlotHoldPayload(slot_hold=SlotHoldType.from_model(hold))

        return await execute(info, SlotHoldPayload, action)

    @strawberry.mutation(
        extensions=[allow(*HOLDERS)],
        description="Give back an ACTIVE slot hold so others can take the window (RELEASED); "
        "a hold no longer active is returned unchanged. Admins, dispatchers, agents and "
        "customers (their own holds).",
    )
    async def release_slot_hold(self, info: Info, input: ReleaseSlotHoldInput) -> SlotHoldPayload:
        async def action() -> SlotHoldPayload:
            principal = info.context.require_principal()
            hold = await slots.release_hold(
                info.context.session, principal, decode_id(input.id, "SlotHold")
            )
            return SlotHoldPayload(slot_hold=SlotHoldType.from_model(hold))

        return await execute(info, SlotHoldPayload, action)
