"""GraphQL types for SLA monitoring: the board, escalations and escalation policies."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.service_requests.models import ServiceRequest
from app.sla import models
from app.sla.models import EscalationPolicy, SlaEscalation, SubjectKind
from app.territories.models import Territory
from app.work_orders.models import Task
from schema.context import Info
from schema.errors import Payload
from schema.node import Node
from schema.pagination import Connection, FirstItems
from schema.service_requests import SlaState
from schema.users import Role

if TYPE_CHECKING:
    from schema.service_requests import ServiceRequestType
    from schema.territories import TerritoryType
    from schema.work_orders import TaskType

TaskRef = Annotated["TaskType", strawberry.lazy("schema.work_orders")]
RequestRef = Annotated["ServiceRequestType", strawberry.lazy("schema.service_requests")]
TerritoryRef = Annotated["TerritoryType", strawberry.lazy("schema.territories")]

EscalationTrigger = strawberry.enum(models.EscalationTrigger, name="EscalationTrigger")


async def _territory(info: Info, territory_id: int | None) -> TerritoryType | None:
    from schema.territories import TerritoryType

    if territory_id is None:
        return None
    row = await info.context.loaders.by_id(Territory).load(territory_id)
    return TerritoryType.from_model(row) if row else None


async def _task(info: Info, task_id: int | None) -> TaskType | None:
    from schema.work_orders import TaskType

    if task_id is None:
        return None
    row = await info.context.loaders.by_id(Task).load(task_id)
    return TaskType.from_model(row) if row else None


async def _request(info: Info, request_id: int | None) -> ServiceRequestType | None:
    from schema.service_requests import ServiceRequestType

    if request_id is None:
        return None
    row = await info.context.loaders.by_id(ServiceRequest).load(request_id)
    return ServiceRequestType.from_model(row) if row else None


@strawberry.type(description="Open tasks of one territory by SLA state.")
class SlaTerritoryCount:
    on_track: int = strawberry.field(
        description="Open tasks with time left before the at-risk point."
    )
    at_risk: int = strawberry.field(
        description="Open tasks past the at-risk share of their time but not yet due."
    )
    breached: int = strawberry.field(description="Open tasks past a pending due time.")
    territory_db_id: strawberry.Private[int | None]

    @strawberry.field(description="All open tasks of the territory counted here.")
    def total(self) -> int:
        return self.on_track + self.at_risk + self.breached

    @strawberry.field(description="None for tasks at sites outside every territory.")
    async def territory(self, info: Info) -> TerritoryRef | None:
        return await _territory(info, self.territory_db_id)


@strawberry.type(description="An at-risk or breached task, or a request without a task yet.")
class SlaBoardItem:
    state: SlaState = strawberry.field(  # type: ignore[valid-type]
        description="Whether the work is at risk or breached."
    )
    priority: int = strawberry.field(description="The work's priority, 1 (most urgent) to 5.")
    due_at: datetime | None = strawberry.field(
        description="The next pending due time (UTC); null when the work has none."
    )
    minutes_left: int | None = strawberry.field(
        description="Minutes until the next pending due time (negative when overdue)."
    )
    escalation_level: int | None = strawberry.field(
        description="The highest escalation level raised so far (1 dispatcher, 2 manager, 3 head)."
    )
    task_db_id: strawberry.Private[int | None]
    request_db_id: strawberry.Private[int | None]

    @strawberry.field(description="The task; null for a request without a task yet.")
    async def task(self, info: Info) -> TaskRef | None:
        return await _task(info, self.task_db_id)

    @strawberry.field(
        description="The service request of the work; null for a task raised without one."
    )
    async def service_request(self, info: Info) -> RequestRef | None:
        return await _request(info, self.request_db_id)


@strawberry.type(description="Where open work stands against its SLA.")
class SlaBoard:
    territories: list[SlaTerritoryCount] = strawberry.field(
        extensions=[FirstItems(100)], description="Open task counts per territory."
    )
    items: list[SlaBoardItem] = strawberry.field(
        extensions=[FirstItems(100)],
        description="At-risk and breached work, breached first, then by due time.",
    )
    at: datetime = strawberry.field(description="The time (UTC) the board was computed at.")


@strawberry.type(name="SlaEscalation", description="An alert raised once for one level.")
class SlaEscalationType(Node):
    trigger: EscalationTrigger = strawberry.field(  # type: ignore[valid-type]
        description="What raised the alert."
    )
    level: int = strawberry.field(
        description="The escalation level: 1 dispatcher, 2 manager, 3 head of service."
    )
    audience_role: Role = strawberry.field(  # type: ignore[valid-type]
        description="The role the alert is addressed to."
    )
    message: str = strawberry.field(description="The alert's text as sent to its audience.")
    raised_at: datetime = strawberry.field(description="When the alert was raised (UTC).")
    row: strawberry.Private[SlaEscalation]

    @classmethod
    def from_model(cls, row: SlaEscalation) -> SlaEscalationType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            trigger=row.trigger,
            level=row.level,
            audience_role=row.audience_role,
            message=row.message,
            raised_at=row.raised_at,
            row=row,
        )

    @strawberry.field(description="The late task; null when the alert is about a request.")
    async def task(self, info: Info) -> TaskRef | None:
        is_task = self.row.subject_kind is SubjectKind.TASK
        return await _task(info, self.row.subject_id if is_task else None)

    @strawberry.field(description="The late request; null when the alert is about a task.")
    async def service_request(self, info: Info) -> RequestRef | None:
        is_request = self.row.subject_kind is SubjectKind.SERVICE_REQUEST
        return await _request(info, self.row.subject_id if is_request else None)

    @strawberry.field(description="The territory of the work; null outside every territory.")
    async def territory(self, info: Info) -> TerritoryRef | None:
        return await _territory(info, self.row.territory_id)


SlaEscalationConnection = Connection[SlaEscalationType]


@strawberry.type(
    name="EscalationPolicy",
    description="When to raise an alert at one level for one trigger, and to whom.",
)
class EscalationPolicyType(Node):
    trigger: EscalationTrigger = strawberry.field(  # type: ignore[valid-type]
        description="What the policy watches for."
    )
    level: int = strawberry.field(
        description="The level it raises: 1 dispatcher, 2 manager, 3 head of service."
    )
    threshold_minutes: int = strawberry.field(
        description="Minutes past the trigger's reference time before the alert is raised."
    )
    audience_role: Role = strawberry.field(  # type: ignore[valid-type]
        description="The role the alert is addressed to."
    )
    active: bool = strawberry.field(description="Inactive policies raise no alerts.")
    description: str = strawberry.field(
        description="A note on the policy for administrators; may be empty."
    )
    version: int

    @classmethod
    def from_model(cls, row: EscalationPolicy) -> EscalationPolicyType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            version=row.version,
            trigger=row.trigger,
            level=row.level,
            threshold_minutes=row.threshold_minutes,
            audience_role=row.audience_role,
            active=row.active,
            description=row.description,
        )


@strawberry.input(description="Change a policy; omitted or null values are kept.")
class UpdateEscalationPolicyInput:
    id: strawberry.ID
    threshold_minutes: int | None = strawberry.field(
        default=strawberry.UNSET, description="The new threshold in minutes, 0 to 86400."
    )
    audience_role: Role | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="The new role to alert."
    )
    active: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="False to stop the policy raising alerts, true to resume.",
    )
    expected_version: int | None = None


@strawberry.type
class EscalationPolicyPayload(Payload):
    escalation_policy: EscalationPolicyType | None = strawberry.field(
        default=None, description="The policy after the change; null on errors."
    )
