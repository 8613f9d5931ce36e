"""GraphQL types for work orders and field tasks, with their audit trail and visit records."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlmodel import col, select
from strawberry.dataloader import DataLoader

from app.assets.models import Asset
from app.core.auth import Role as DomainRole
from app.customers.models import Customer, Site
from app.service_requests.models import ServiceRequest
from app.technicians.models import Skill, Technician
from app.territories.models import Territory
from app.work_orders import models
from app.work_orders.models import Task, TaskEvent, TaskNote, TaskPart, TaskPhoto, TaskSkill
from schema.common import GeoPoint
from schema.context import Info
from schema.node import Node
from schema.pagination import Connection, FirstItems
from schema.permissions import internal, not_for_customers
from schema.service_requests import SlaState
from schema.users import Role

if TYPE_CHECKING:
    from schema.assets import AssetType
    from schema.customers import CustomerType, SiteType
    from schema.service_requests import ServiceRequestType
    from schema.technicians import SkillType, TechnicianType
    from schema.territories import TerritoryType

TaskStatus = strawberry.enum(models.TaskStatus, name="TaskStatus")
TaskKind = strawberry.enum(models.TaskType, name="TaskType")
WorkOrderStatus = strawberry.enum(models.WorkOrderStatus, name="WorkOrderStatus")

CustomerRef = Annotated["CustomerType", strawberry.lazy("schema.customers")]
SiteRef = Annotated["SiteType", strawberry.lazy("schema.customers")]
AssetRef = Annotated["AssetType", strawberry.lazy("schema.assets")]
TechnicianRef = Annotated["TechnicianType", strawberry.lazy("schema.technicians")]
SkillRef = Annotated["SkillType", strawberry.lazy("schema.technicians")]
TerritoryRef = Annotated["TerritoryType", strawberry.lazy("schema.territories")]
RequestRef = Annotated["ServiceRequestType", strawberry.lazy("schema.service_requests")]


async def technicians_of(info: Info, ids: list[int]) -> list[Any]:
    from schema.technicians import TechnicianType

    rows = await info.context.loaders.by_id(Technician).load_many(ids)
    return [TechnicianType.from_model(row) for row in rows if row is not None]


async def technician_of(info: Info, technician_id: int | None) -> Any:
    from schema.technicians import TechnicianType

    if technician_id is None:
        return None
    row = await info.context.loaders.by_id(Technician).load(technician_id)
    return TechnicianType.from_model(row) if row else None


def _skills_loader(info: Info) -> DataLoader[int, list[TaskSkill]]:
    session = info.context.session

    async def load(task_ids: list[int]) -> list[list[TaskSkill]]:
        rows = await session.scalars(select(TaskSkill).where(col(TaskSkill.task_id).in_(task_ids)))
        grouped: dict[int, list[TaskSkill]] = defaultdict(list)
        for row in rows.all():
            grouped[row.task_id].append(row)
        return [grouped[t] for t in task_ids]

    return info.context.loaders.custom("task.required_skills", load)


@strawberry.type(description="A skill the task needs, at a minimum level (1-5).")
class SkillRequirement:
    min_level: int
    skill_db_id: strawberry.Private[int]

    @strawberry.field
    async def code(self, info: Info) -> str:
        row = await info.context.loaders.by_id(Skill).load(self.skill_db_id)
        return row.code if row else ""

    @strawberry.field
    async def skill(self, info: Info) -> SkillRef | None:
        from schema.technicians import SkillType

        row = await info.context.loaders.by_id(Skill).load(self.skill_db_id)
        return SkillType.from_model(row) if row else None


@strawberry.type(description="An item of the checklist the customer sees before the visit.")
class Prerequisite:
    text: str = strawberry.field(description="What must be done or true before the task.")
    done: bool = strawberry.field(description="Whether this prerequisite has been met.")


@strawberry.type(description="One audited change of a task: who, when, where, from, to, why.")
class TaskStatusChange:
    action: str
    from_status: TaskStatus | None  # type: ignore[valid-type]
    to_status: TaskStatus  # type: ignore[valid-type]
    at: datetime
    actor: str = strawberry.field(extensions=[internal()])
    actor_role: Role = strawberry.field(description="The role the actor acted in.")  # type: ignore[valid-type]
    reason: str | None
    location: GeoPoint | None = strawberry.field(extensions=[not_for_customers()])

    @classmethod
    def from_model(cls, row: TaskEvent) -> TaskStatusChange:
        return cls(
            action=row.action,
            from_status=row.from_status,
            to_status=row.to_status,
            at=row.at,
            actor=row.actor_name or row.actor,
            actor_role=DomainRole(row.actor_role),
            reason=row.reason,
            location=GeoPoint.from_value(row.location),
        )


@strawberry.type(description="A note written on the task.")
class TaskNoteEntry:
    body: str
    author: str
    created_at: datetime


@strawberry.type(description="A photo attached to the task.")
class TaskPhotoEntry:
    reference: str
    caption: str | None
    created_at: datetime


@strawberry.type(description="A part used on the visit (stock is moved by the inventory).")
class PartUsed:
    part_code: str
    quantity: int
    description: str | None
    created_at: datetime


@strawberry.type(description="The customer's signature captured on the task.")
class Signature:
    image_ref: str
    signer_name: str = strawberry.field(description="Name of the person who signed.")
    signed_at: datetime | None


@strawberry.type(
    name="Task", description="A job to be done by one technician, with its status and history."
)
class TaskType(Node):
    status: TaskStatus  # type: ignore[valid-type]
    version: int
    type: TaskKind  # type: ignore[valid-type]
    description: str | None
    priority: int
    duration_minutes: int
    crew_size: int
    location: GeoPoint
    earliest_start: datetime | None
    latest_start: datetime | None
    window_start: datetime | None
    window_end: datetime | None
    deadline: datetime | None
    scheduled_start: datetime | None
    scheduled_end: datetime | None
    offer_expires_at: datetime | None = strawberry.field(extensions=[not_for_customers()])
    rejection_count: int = strawberry.field(extensions=[not_for_customers()])
    prerequisites: list[Prerequisite] = strawberry.field(extensions=[FirstItems(50)])
    confirmed_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    outside_geofence: bool = strawberry.field(extensions=[not_for_customers()])
    off_schedule: bool = strawberry.field(
        description="Travel started or a check-in was made outside the scheduled time, "
        "flagged with the technician's reason (see the task's events).",
        extensions=[not_for_customers()],
    )
    check_in_distance_meters: float | None = strawberry.field(extensions=[not_for_customers()])
    resolution_code: str | None
    resolution_notes: str | None
    incomplete_reason: str | None
    cancel_reason: str | None
    rating: int | None
    feedback_comment: str | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    sla_state: SlaState  # type: ignore[valid-type]
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[Task]

    @classmethod
    def from_model(cls, row: Task) -> TaskType:
        assert row.id is not None
        location = GeoPoint.from_value(row.location)
        assert location is not None
        return cls(
            db_id=row.id,
            row=row,
            location=location,
            prerequisites=[Prerequisite(text=p["text"], done=p["done"]) for p in row.prerequisites],
            **{name: getattr(row, name) for name in _PLAIN},
        )

    @strawberry.field(extensions=[FirstItems(50)])
    async def required_skills(self, info: Info) -> list[SkillRequirement]:
        return [
            SkillRequirement(min_level=r.min_level, skill_db_id=r.skill_id)
            for r in await _skills_loader(info).load(self.db_id)
        ]

    @strawberry.field(description="The assigned technician (or the one the task is offered to).")
    async def technician(self, info: Info) -> TechnicianRef | None:
        return await technician_of(info, self.row.technician_id)

    @strawberry.field(extensions=[not_for_customers(), FirstItems(20)])
    async def preferred_technicians(self, info: Info) -> list[TechnicianRef]:
        return await technicians_of(info, self.row.preferred_technician_ids)

    @strawberry.field(
        description="Technicians who rejected or let the offer expire, or excluded.",
        extensions=[not_for_customers(), FirstItems(20)],
    )
    async def excluded_technicians(self, info: Info) -> list[TechnicianRef]:
        return await technicians_of(info, self.row.excluded_technician_ids)

    @strawberry.field
    async def service_request(self, info: Info) -> RequestRef | None:
        from schema.service_requests import ServiceRequestType

        if self.row.service_request_id is None:
            return None
        row = await info.context.loaders.by_id(ServiceRequest).load(self.row.service_request_id)
        return ServiceRequestType.from_model(row) if row else None

    @strawberry.field(extensions=[not_for_customers()])
    async def work_order(self, info: Info) -> WorkOrderType | None:
        row = await info.context.loaders.by_id(models.WorkOrder).load(self.row.work_order_id)
        return WorkOrderType.from_model(row) if row else None

    @strawberry.field
    async def site(self, info: Info) -> SiteRef | None:
        from schema.customers import SiteType

        row = await info.context.loaders.by_id(Site).load(self.row.site_id)
        return SiteType.from_model(row) if row else None

    @strawberry.field
    async def customer(self, info: Info) -> CustomerRef | None:
        from schema.customers import CustomerType

        row = await info.context.loaders.by_id(Customer).load(self.row.customer_id)
        return CustomerType.from_model(row) if row else None

    @strawberry.field
    async def asset(self, info: Info) -> AssetRef | None:
        from schema.assets import AssetType

        if self.row.asset_id is None:
            return None
        row = await info.context.loaders.by_id(Asset).load(self.row.asset_id)
        return AssetType.from_model(row) if row else None

    @strawberry.field
    async def territory(self, info: Info) -> TerritoryRef | None:
        from schema.territories import TerritoryType

        if self.row.territory_id is None:
            return None
        row = await info.context.loaders.by_id(Territory).load(self.row.territory_id)
        return TerritoryType.from_model(row) if row else None

    @strawberry.field(description="The task this one follows up (after an incomplete visit).")
    async def follow_up_of(self, info: Info) -> TaskType | None:
        if self.row.follow_up_of_id is None:
            return None
        row = await info.context.loaders.by_id(Task).load(self.row.follow_up_of_id)
        return TaskType.from_model(row) if row else None

    @strawberry.field(extensions=[FirstItems(50)], description="The audit trail, oldest first.")
    async def events(self, info: Info) -> list[TaskStatusChange]:
        loader = info.context.loaders.children(TaskEvent, col(TaskEvent.task_id))
        return [TaskStatusChange.from_model(e) for e in await loader.load(self.db_id)]

    @strawberry.field(extensions=[not_for_customers(), FirstItems(50)])
    async def notes(self, info: Info) -> list[TaskNoteEntry]:
        loader = info.context.loaders.children(TaskNote, col(TaskNote.task_id))
        return [
            TaskNoteEntry(body=n.body, author=n.author_name or n.author, created_at=n.created_at)
            for n in await loader.load(self.db_id)
        ]

    @strawberry.field(extensions=[FirstItems(50)])
    async def photos(self, info: Info) -> list[TaskPhotoEntry]:
        loader = info.context.loaders.children(TaskPhoto, col(TaskPhoto.task_id))
        return [
            TaskPhotoEntry(reference=p.reference, caption=p.caption, created_at=p.created_at)
            for p in await loader.load(self.db_id)
        ]

    @strawberry.field(extensions=[FirstItems(50)])
    async def parts_used(self, info: Info) -> list[PartUsed]:
        loader = info.context.loaders.children(TaskPart, col(TaskPart.task_id))
        return [
            PartUsed(
                part_code=p.part_code,
                quantity=p.quantity,
                description=p.description,
                created_at=p.created_at,
            )
            for p in await loader.load(self.db_id)
        ]

    @strawberry.field
    def signature(self) -> Signature | None:
        if self.row.signature_ref is None:
            return None
        return Signature(
            image_ref=self.row.signature_ref,
            signer_name=self.row.signer_name or "",
            signed_at=self.row.signed_at,
        )


_PLAIN = (
    "status", "version", "type", "description", "priority", "duration_minutes", "crew_size",
    "earliest_start", "latest_start", "window_start", "window_end", "deadline",
    "scheduled_start", "scheduled_end", "offer_expires_at", "rejection_count", "confirmed_at",
    "started_at", "finished_at", "outside_geofence", "off_schedule", "check_in_distance_meters",
    "resolution_code", "resolution_notes", "incomplete_reason", "cancel_reason", "rating",
    "feedback_comment", "response_due_at", "resolution_due_at", "sla_state", "created_at",
    "updated_at",
)  # fmt: skip


@strawberry.type(
    name="WorkOrder",
    description="The job a service request became; it groups its field tasks.",
)
class WorkOrderType(Node):
    status: WorkOrderStatus = strawberry.field(  # type: ignore[valid-type]
        description="Current status of the work order."
    )
    version: int
    created_at: datetime
    service_request_db_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.WorkOrder) -> WorkOrderType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            status=row.status,
            version=row.version,
            created_at=row.created_at,
            service_request_db_id=row.service_request_id,
        )

    @strawberry.field(description="Field tasks of this work order.", extensions=[FirstItems(20)])
    async def tasks(self, info: Info) -> list[TaskType]:
        loader = info.context.loaders.children(Task, col(Task.work_order_id))
        return [TaskType.from_model(row) for row in await loader.load(self.db_id)]


TaskConnection = Connection[TaskType]
