"""Part needs of tasks: what a task needs (diagnosis and dispatcher), and setting them."""

from __future__ import annotations

import strawberry

from app.core.auth import Role
from app.dispatch import part_needs
from app.work_orders.transitions import Action, roles_for
from resolvers.base import execute
from schema.context import Info
from schema.dispatch_parts import SetTaskPartNeedsInput, TaskPartNeeds, TaskPartNeedsPayload
from schema.ids import decode_id
from schema.permissions import allow

PART_NEED_READERS = (Role.ADMIN, Role.MANAGER, Role.DISPATCHER, Role.AGENT, Role.TECHNICIAN)


@strawberry.type
class DispatchPartsQuery:
    @strawberry.field(
        extensions=[allow(*PART_NEED_READERS)],
        description="The parts a task needs (from its remote diagnosis and its dispatcher), the "
        "warehouse units reserved for its planned pickups, and what decides its parts for "
        "dispatch. Staff and technicians (their own tasks).",
    )
    async def task_part_needs(self, info: Info, task_id: strawberry.ID) -> TaskPartNeeds:
        task_db_id = decode_id(task_id, "Task", "taskId")
        view = await part_needs.parts_view(info.context.session, info.context.principal, task_db_id)
        return TaskPartNeeds.from_view(view)


@strawberry.type
class DispatchPartsMutation:
    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.ASSIGN))],
        description="Replace the parts a dispatcher says a task needs (quantity 0 drops a part "
        "its diagnosis suspected). Dispatch plans the task with a van holding them or a pickup "
        "at a warehouse stocking them. Admins and dispatchers.",
    )
    async def set_task_part_needs(
        self, info: Info, input: SetTaskPartNeedsInput
    ) -> TaskPartNeedsPayload:
        async def action() -> TaskPartNeedsPayload:
            session = info.context.session
            principal = info.context.require_principal()
            task_db_id = decode_id(input.task_id, "Task", "taskId")
            lines = [
                (decode_id(line.part_id, "Part", ["parts", str(i), "partId"]), line.quantity)
                for i, line in enumerate(input.parts)
            ]
            task = await part_needs.set_part_needs(
                session, principal, task_db_id, lines, input.expected_version
            )
            view = await part_needs.parts_view(session, principal, task_db_id)
            return TaskPartNeedsPayload(
                part_needs=TaskPartNeeds.from_view(view), task_version=task.version
            )

        return await execute(info, TaskPartNeedsPayload, action)
