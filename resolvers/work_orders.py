"""Task queries, and the desk's and dispatcher's task mutations (create, assign, unassign).

The technician's and the customer's mutations live in `resolvers.tasks` and join here.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from app.core.auth import STAFF_ROLES, Role
from app.core.errors import DomainError, ErrorCode, collect
from app.dispatch.slots import consume_hold
from app.work_orders import offers, repository, service
from app.work_orders.models import Task, TaskCreate
from app.work_orders.transitions import Action, Actor, roles_for
from resolvers.base import execute
from resolvers.tasks import CustomerTaskMutation, FieldTaskMutation
from schema.context import Info
from schema.ids import decode_id, decode_ids, decode_optional_id
from schema.inputs import provided
from schema.node import register_node
from schema.pagination import FirstItems, paginate
from schema.permissions import allow, authenticated
from schema.scalars import offset_problems
from schema.tasks import (
    AssignmentWarning,
    AssignTaskInput,
    AssignTaskPayload,
    CreateTaskInput,
    TaskFilter,
    TaskPayload,
    UnassignTaskInput,
)
from schema.work_orders import TaskConnection, TaskType

register_node(TaskType, repository.get_readable, TaskType.from_model)

HISTORY_READERS = (*sorted(STAFF_ROLES), Role.CUSTOMER, Role.TECHNICIAN, Role.PARTNER)
MAX_SEARCH = 100
_TIMES = ("earliest_start", "latest_start", "window_start", "window_end", "deadline")


def _filtered(info: Info, filter: TaskFilter | None) -> object:
    f = filter or TaskFilter()
    return repository.filtered(
        info.context.principal,
        statuses=f.status,
        territory_id=decode_optional_id(f.territory_id, "Territory", "territoryId"),
        technician_id=decode_optional_id(f.technician_id, "Technician", "technicianId"),
        scheduled_from=f.scheduled_from,
        scheduled_to=f.scheduled_to,
        customer_id=decode_optional_id(f.customer_id, "Customer", "customerId"),
        unassigned=f.unassigned,
        search=_search_text(f.search),
    )


def _search_text(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    if len(text) > MAX_SEARCH:
        raise DomainError(
            f"search is at most {MAX_SEARCH} characters", ErrorCode.INVALID, ["search"]
        )
    return text


@strawberry.type
class WorkOrdersQuery:
    @strawberry.field(
        extensions=[authenticated()],
        description="Tasks the caller may see, filtered; oldest first.",
    )
    async def tasks(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: Annotated[
            TaskFilter | None,
            strawberry.argument(description="Conditions the tasks must all meet; null for none."),
        ] = None,
    ) -> TaskConnection:
        return await paginate(
            info.context.session,
            _filtered(info, filter),  # type: ignore[arg-type]
            Task.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=TaskType.from_model,
        )

    @strawberry.field(
        extensions=[authenticated()],
        description="One task by ID, or null if it does not exist or the caller may not see it.",
    )
    async def task(self, info: Info, id: strawberry.ID) -> TaskType | None:
        row = await repository.get_readable(
            info.context.session, info.context.principal, decode_id(id, "Task")
        )
        return TaskType.from_model(row) if row else None

    @strawberry.field(
        extensions=[allow(Role.TECHNICIAN), FirstItems(100)],
        description=(
            "The caller's tasks planned for a day in their territory's time zone, in order; "
            "without a date, today there."
        ),
    )
    async def my_tasks(
        self,
        info: Info,
        date: Annotated[
            date | None,
            strawberry.argument(
                description="Local day in the territory's time zone; null for today there."
            ),
        ] = None,
    ) -> list[TaskType]:
        principal = info.context.require_principal()
        if principal.technician_id is None:
            return []
        rows = await info.context.session.scalars(repository.my_day(principal.technician_id, date))
        return [TaskType.from_model(row) for row in rows.all()]

    @strawberry.field(
        extensions=[allow(*HISTORY_READERS)],
        description="Closed tasks of a customer or an asset: notes, parts and technicians.",
    )
    async def service_history(
        self,
        info: Info,
        customer_id: strawberry.ID | None = None,
        asset_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> TaskConnection:
        statement = repository.history(
            info.context.principal,
            decode_optional_id(customer_id, "Customer", "customerId"),
            decode_optional_id(asset_id, "Asset", "assetId"),
        )
        return await paginate(
            info.context.session,
            statement,
            Task.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=TaskType.from_model,
        )


def _task_data(input: CreateTaskInput) -> TaskCreate:
    values = provided(input, exclude=("idempotency_key", "hold_id"))
    collect([p for name in _TIMES for p in offset_problems(values.get(name), name)])
    values["service_request_id"] = decode_optional_id(
        input.service_request_id, "ServiceRequest", "serviceRequestId"
    )
    values["customer_id"] = decode_optional_id(input.customer_id, "Customer", "customerId")
    values["site_id"] = decode_optional_id(input.site_id, "Site", "siteId")
    values["asset_id"] = decode_optional_id(input.asset_id, "Asset", "assetId")
    for name, field in (
        ("preferred", "preferredTechnicianIds"),
        ("excluded", "excludedTechnicianIds"),
    ):
        values[f"{name}_technician_ids"] = decode_ids(
            getattr(input, f"{name}_technician_ids"), "Technician", field
        )
    values["required_skills"] = [vars(s) for s in input.required_skills]
    values["prerequisites"] = [{"text": text} for text in input.prerequisites]
    if input.priority is None:
        values.pop("priority")
    return TaskCreate.model_validate(values)


@strawberry.type
class DeskTaskMutation:
    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.CREATE))],
        description=(
            "Create a task in UNSCHEDULED (or booked into a held slot). Admins, dispatchers, "
            "agents and managers."
        ),
    )
    async def create_task(self, info: Info, input: CreateTaskInput) -> TaskPayload:
        async def action() -> TaskPayload:
            principal = info.context.require_principal()
            session = info.context.session
            task = await service.create_task(session, Actor.of(principal), _task_data(input))
            if input.hold_id is not None:
                hold_id = decode_id(input.hold_id, "SlotHold", "holdId")
                given = input.window_start is not None
                await consume_hold(session, principal, hold_id, task, window_given=given)
            return TaskPayload(task=TaskType.from_model(task))

        return await execute(info, TaskPayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.ASSIGN))],
        description=(
            "Offer a task to a technician at a start time (→ DISPATCHED), with non-blocking "
            "warnings. Admins and dispatchers."
        ),
    )
    async def assign_task(self, info: Info, input: AssignTaskInput) -> AssignTaskPayload:
        async def action() -> AssignTaskPayload:
            collect(offset_problems(input.start, "start"))
            task, warnings = await offers.assign_task(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.task_id, "Task", "taskId"),
                decode_id(input.technician_id, "Technician", "technicianId"),
                input.start,
                reason=input.reason,
                expected_version=input.expected_version,
            )
            return AssignTaskPayload(
                task=TaskType.from_model(task),
                warnings=[AssignmentWarning(code=w.code, message=w.message) for w in warnings],
            )

        return await execute(info, AssignTaskPayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.UNASSIGN))],
        description=(
            "Take a task back from its technician (→ UNSCHEDULED) with a reason. Admins and "
            "dispatchers."
        ),
    )
    async def unassign_task(self, info: Info, input: UnassignTaskInput) -> TaskPayload:
        async def action() -> TaskPayload:
            task = await offers.unassign_task(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.task_id, "Task", "taskId"),
                input.reason,
                input.expected_version,
            )
            return TaskPayload(task=TaskType.from_model(task))

        return await execute(info, TaskPayload, action)


@strawberry.type
class WorkOrdersMutation(DeskTaskMutation, FieldTaskMutation, CustomerTaskMutation):
    pass
