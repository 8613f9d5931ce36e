"""The dispatch board: the Gantt query, drag-and-drop moves and pins for the optimizer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.core.errors import DomainError, ErrorCode, collect
from app.dispatch_board import service
from app.work_orders.transitions import Action, roles_for
from resolvers.base import execute
from schema.context import Info
from schema.dispatch_board import (
    DispatchBoard,
    MoveAssignmentInput,
    MoveAssignmentPayload,
    PinAssignmentsInput,
    PinAssignmentsPayload,
)
from schema.ids import decode_id, decode_ids
from schema.permissions import allow
from schema.scalars import offset_problems


@strawberry.type
class DispatchBoardQuery:
    @strawberry.field(
        extensions=[allow(*service.READERS)],
        description="A territory's dispatch board for a Gantt view: per technician shifts, "
        "breaks, time off, assignments, the drives between them and idle time; and the "
        "waiting tasks with how many technicians could take each. At most 7 days (INVALID "
        "beyond). Dispatchers, managers and admins.",
    )
    async def dispatch_board(
        self,
        info: Info,
        territory_id: strawberry.ID,
        start: Annotated[
            datetime,
            strawberry.argument(name="from", description="Start of the range, with an offset."),
        ],
        end: Annotated[
            datetime | None,
            strawberry.argument(
                name="to", description="End of the range, at most 7 days later; null: a day."
            ),
        ] = None,
    ) -> DispatchBoard:
        collect(offset_problems(start, "from") + offset_problems(end, "to"))
        if end is None:
            end = start + service.DEFAULT_RANGE
        board = await service.board(
            info.context.session, decode_id(territory_id, "Territory", "territoryId"), start, end
        )
        return DispatchBoard.of(board)


@strawberry.type
class DispatchBoardMutation:
    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.ASSIGN))],
        description="Drag a task to a technician and start on the board (as assignTask: "
        "→ DISPATCHED), with its warnings and what it does to the rest of that technician's "
        "day; dryRun previews without writing. Admins and dispatchers.",
    )
    async def move_assignment(
        self, info: Info, input: MoveAssignmentInput
    ) -> MoveAssignmentPayload:
        async def action() -> MoveAssignmentPayload:
            collect(offset_problems(input.start, "start"))
            moved = await service.move(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.task_id, "Task", "taskId"),
                decode_id(input.technician_id, "Technician", "technicianId"),
                input.start,
                expected_version=input.expected_version,
                reason=input.reason,
                dry_run=input.dry_run,
            )
            return MoveAssignmentPayload.of(moved)

        key = None if input.dry_run else input.idempotency_key
        return await execute(info, MoveAssignmentPayload, action, idempotency_key=key)

    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.ASSIGN))],
        description="Pin or unpin assignments, all or none: the optimizer keeps a pinned "
        "assignment with its technician and time, as it keeps accepted work. Admins and "
        "dispatchers.",
    )
    async def pin_assignments(
        self, info: Info, input: PinAssignmentsInput
    ) -> PinAssignmentsPayload:
        async def action() -> PinAssignmentsPayload:
            if len(input.task_ids) > service.MOST_PINS:
                # refused whole, before any id is read: cutting the list would pin a part
                raise DomainError(
                    f"give 1 to {service.MOST_PINS} tasks", ErrorCode.INVALID, ["taskIds"]
                )
            ids = decode_ids(list(input.task_ids), "Task", "taskIds")
            expected = input.expected_versions or []
            if len(expected) > service.MOST_PINS:
                raise DomainError(
                    f"give at most {service.MOST_PINS} versions",
                    ErrorCode.INVALID,
                    ["expectedVersions"],
                )
            versioned = decode_ids([e.task_id for e in expected], "Task", "expectedVersions")
            rows = await service.pin(
                info.context.session,
                info.context.require_principal(),
                ids,
                input.pinned,
                {tid: e.expected_version for tid, e in zip(versioned, expected, strict=True)},
            )
            return PinAssignmentsPayload.of(rows)

        return await execute(info, PinAssignmentsPayload, action)
