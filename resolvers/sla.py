"""SLA queries for dispatchers and managers, and the escalation policies admins tune."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.core.auth import Role
from app.core.models import utcnow
from app.policies import domains as policy_changes
from app.service_requests.models import ServiceRequest, SlaState
from app.sla import repository
from app.sla.clock import RESPONDED
from app.sla.models import EscalationPolicyUpdate, SlaEscalation, SubjectKind
from app.work_orders.models import Task, TaskStatus
from resolvers.base import execute
from schema.context import Info
from schema.ids import decode_id, decode_optional_id
from schema.inputs import provided
from schema.node import register_node
from schema.pagination import paginate
from schema.permissions import allow, staff
from schema.sla import (
    EscalationPolicyPayload,
    EscalationPolicyType,
    SlaBoard,
    SlaBoardItem,
    SlaEscalationConnection,
    SlaEscalationType,
    SlaTerritoryCount,
    UpdateEscalationPolicyInput,
)

register_node(SlaEscalationType, repository.get_escalation, SlaEscalationType.from_model)
register_node(EscalationPolicyType, repository.get_policy, EscalationPolicyType.from_model)

BOARD_READERS = (Role.ADMIN, Role.DISPATCHER, Role.MANAGER)
BOARD_ITEMS_DEFAULT = 50
BOARD_ITEMS_MAX = 200


def _next_due(row: Task | ServiceRequest, responded: bool) -> datetime | None:
    pending = [row.resolution_due_at] + ([] if responded else [row.response_due_at])
    due = [d for d in pending if d is not None]
    return min(due) if due else None


def _item(
    row: Task | ServiceRequest, level: int | None, now: datetime, *, is_task: bool
) -> SlaBoardItem:
    responded = is_task and TaskStatus(row.status) in RESPONDED
    due = _next_due(row, responded)
    return SlaBoardItem(
        state=SlaState(row.sla_state),
        priority=row.priority,
        due_at=due,
        minutes_left=None if due is None else int((due - now).total_seconds() // 60),
        escalation_level=level,
        task_db_id=row.id if is_task else None,
        request_db_id=row.service_request_id if isinstance(row, Task) else row.id,
    )


def _counts(rows: list[tuple[int | None, SlaState, int]]) -> list[SlaTerritoryCount]:
    board: dict[int | None, dict[SlaState, int]] = {}
    for territory_id, state, count in rows:
        board.setdefault(territory_id, {})[state] = count
    return [
        SlaTerritoryCount(
            territory_db_id=territory_id,
            on_track=states.get(SlaState.ON_TRACK, 0),
            at_risk=states.get(SlaState.AT_RISK, 0),
            breached=states.get(SlaState.BREACHED, 0),
        )
        for territory_id, states in board.items()
    ]


async def _board(info: Info, territory_id: int | None, limit: int) -> SlaBoard:
    session, now = info.context.session, utcnow()
    tasks = await repository.late_tasks(session, territory_id, limit)
    requests = (
        await repository.late_requests_without_task(session, limit) if territory_id is None else []
    )
    subjects = [(SubjectKind.TASK, t.id or 0) for t in tasks]
    subjects += [(SubjectKind.SERVICE_REQUEST, r.id or 0) for r in requests]
    levels = await repository.highest_levels(session, subjects)
    items = [_item(t, lvl, now, is_task=True) for t, lvl in zip(tasks, levels, strict=False)]
    items += [
        _item(r, lvl, now, is_task=False)
        for r, lvl in zip(requests, levels[len(tasks) :], strict=True)
    ]
    counts = await repository.counts_by_territory(session, territory_id)
    return SlaBoard(territories=_counts(counts), items=items, at=now)


@strawberry.type
class SlaQuery:
    @strawberry.field(
        extensions=[allow(*BOARD_READERS)],
        description="Open tasks by SLA state per territory, and the at-risk and breached work "
        "(breached first, then by due time; requests without a task only when unfiltered).",
    )
    async def sla_board(
        self, info: Info, territory_id: strawberry.ID | None = None, first: int | None = None
    ) -> SlaBoard:
        territory = decode_optional_id(territory_id, "Territory", "territoryId")
        limit = BOARD_ITEMS_DEFAULT if first is None else max(0, min(first, BOARD_ITEMS_MAX))
        return await _board(info, territory, limit)

    @strawberry.field(extensions=[staff()], description="Escalations raised, newest last.")
    async def sla_escalations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        territory_id: strawberry.ID | None = None,
        task_id: strawberry.ID | None = None,
        service_request_id: strawberry.ID | None = None,
    ) -> SlaEscalationConnection:
        statement = repository.escalations(
            info.context.principal,
            territory_id=decode_optional_id(territory_id, "Territory", "territoryId"),
            task_id=decode_optional_id(task_id, "Task", "taskId"),
            service_request_id=decode_optional_id(
                service_request_id, "ServiceRequest", "serviceRequestId"
            ),
        )
        return await paginate(
            info.context.session,
            statement,
            SlaEscalation.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=SlaEscalationType.from_model,
        )

    @strawberry.field(
        extensions=[staff()], description="The configured SLA escalation policies. Staff only."
    )
    async def escalation_policies(self, info: Info) -> list[EscalationPolicyType]:
        rows = await repository.policies(info.context.session)
        return [EscalationPolicyType.from_model(row) for row in rows]


@strawberry.type
class SlaMutation:
    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description="Change a policy's threshold, audience or whether it is active.",
    )
    async def update_escalation_policy(
        self, info: Info, input: UpdateEscalationPolicyInput
    ) -> EscalationPolicyPayload:
        async def action() -> EscalationPolicyPayload:
            sent = provided(input, exclude=("id", "expected_version"))
            values = {k: v for k, v in sent.items() if v is not None}
            changes = EscalationPolicyUpdate.model_validate(values)
            policy = await policy_changes.update_escalation_policy(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.id, "EscalationPolicy"),
                changes,
                input.expected_version,
            )
            return EscalationPolicyPayload(
                escalation_policy=EscalationPolicyType.from_model(policy)
            )

        return await execute(info, EscalationPolicyPayload, action)
