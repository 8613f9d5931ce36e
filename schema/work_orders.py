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
from schema.task_access import task_by_id, tasks_by
from schema.users import Role

if TYPE_CHECKING:
    from schema.assets import AssetType
    from schema.customers import CustomerType, SiteType
    from schema.durations import PredictedDuration
    from schema.service_requests import ServiceRequestType
    from schema.technicians import SkillType, TechnicianType
    from schema.territories import TerritoryType
    from schema.travel_requests import TaskRelease, TravelRequestType

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
PredictedDurationRef = Annotated["PredictedDuration", strawberry.lazy("schema.durations")]
TaskReleaseRef = Annotated["TaskRelease", strawberry.lazy("schema.travel_requests")]
TravelRequestRef = Annotated["TravelRequestType", strawberry.lazy("schema.travel_requests")]


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
    min_level: int = strawberry.field(
        description="Lowest level (1-5) of the skill a technician must hold."
    )
    skill_db_id: strawberry.Private[int]

    @strawberry.field(description="Code of the skill, e.g. HVAC.")
    async def code(self, info: Info) -> str:
        row = await info.context.loaders.by_id(Skill).load(self.skill_db_id)
        return row.code if row else ""

    @strawberry.field(description="The skill itself; null if it no longer exists.")
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
    action: str = strawberry.field(
        description="What happened: CREATE, ASSIGN, ACCEPT, REJECT, EXPIRE (an offer lapsed), "
        "CHECK_IN, COMPLETE, CANCEL and the other task mutations."
    )
    from_status: TaskStatus | None = strawberry.field(  # type: ignore[valid-type]
        description="Status before the change; null on creation."
    )
    to_status: TaskStatus = strawberry.field(  # type: ignore[valid-type]
        description="Status after the change (the same as before for a confirmation)."
    )
    at: datetime = strawberry.field(description="When the change happened (UTC).")
    actor: str = strawberry.field(
        extensions=[internal()],
        description="Who made the change (Fieldgraph for automatic ones); hidden from customers "
        "and partners.",
    )
    actor_role: Role = strawberry.field(description="The role the actor acted in.")  # type: ignore[valid-type]
    reason: str | None = strawberry.field(description="Why, as given with the change; optional.")
    location: GeoPoint | None = strawberry.field(
        extensions=[not_for_customers()],
        description="Where the technician's phone was, when the step sent it; null otherwise.",
    )

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
    body: str = strawberry.field(description="Text of the note.")
    author: str = strawberry.field(description="Name of who wrote it.")
    created_at: datetime


@strawberry.type(description="A photo attached to the task.")
class TaskPhotoEntry:
    reference: str = strawberry.field(description="The uploaded photo: an attachment ID or URL.")
    caption: str | None = strawberry.field(description="What the photo shows; null if not given.")
    created_at: datetime


@strawberry.type(description="A part used on the visit (stock is moved by the inventory).")
class PartUsed:
    part_code: str = strawberry.field(description="Stock code (SKU) of the part.")
    quantity: int = strawberry.field(description="How many were used.")
    description: str | None = strawberry.field(
        description="What the part is or did; null if not given."
    )
    created_at: datetime


@strawberry.type(description="The customer's signature captured on the task.")
class Signature:
    image_ref: str = strawberry.field(description="The stored signature image (attachment ref).")
    signer_name: str = strawberry.field(description="Name of the person who signed.")
    signed_at: datetime | None = strawberry.field(
        description="When the signature was stored (UTC); null if not recorded."
    )


@strawberry.type(
    name="Task", description="A job to be done by one technician, with its status and history."
)
class TaskType(Node):
    status: TaskStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where the task stands in its lifecycle."
    )
    version: int
    type: TaskKind = strawberry.field(  # type: ignore[valid-type]
        description="The kind of work."
    )
    description: str | None = strawberry.field(description="What is to be done; null if not given.")
    priority: int = strawberry.field(description="1 (most urgent) to 5 (least urgent).")
    duration_minutes: int = strawberry.field(
        description="Expected time on site in minutes (5 to 1440)."
    )
    crew_size: int = strawberry.field(description="Technicians the job needs (1 to 10).")
    location: GeoPoint = strawberry.field(description="Where the work is: the site's position.")
    earliest_start: datetime | None = strawberry.field(
        description="Earliest instant the visit should start (UTC); null for no bound."
    )
    latest_start: datetime | None = strawberry.field(
        description="Latest instant the visit should start (UTC); null for no bound."
    )
    window_start: datetime | None = strawberry.field(
        description="Start of the appointment window agreed with the customer; null if none."
    )
    window_end: datetime | None = strawberry.field(
        description="End of the appointment window agreed with the customer; null if none."
    )
    deadline: datetime | None = strawberry.field(
        description="When the work should be finished by (UTC); null for no deadline."
    )
    scheduled_start: datetime | None = strawberry.field(
        description="When the assigned visit starts (UTC); null while no technician holds it."
    )
    scheduled_end: datetime | None = strawberry.field(
        description="scheduledStart plus durationMinutes; null while no technician holds it."
    )
    offer_expires_at: datetime | None = strawberry.field(
        extensions=[not_for_customers()],
        description="When an unanswered offer lapses and the task returns to UNSCHEDULED; "
        "null unless DISPATCHED.",
    )
    rejection_count: int = strawberry.field(
        extensions=[not_for_customers()],
        description="Times technicians rejected the task or let its offer lapse; "
        "enough of them raise an alert.",
    )
    prerequisites: list[Prerequisite] = strawberry.field(
        extensions=[FirstItems(50)],
        description="The checklist shown to the customer before the visit.",
    )
    confirmed_at: datetime | None = strawberry.field(
        description="When the customer confirmed the appointment; null until then, or after a "
        "reschedule."
    )
    started_at: datetime | None = strawberry.field(
        description="When work first started (startWork); null before."
    )
    finished_at: datetime | None = strawberry.field(
        description="When the task was completed or marked incomplete; null while open."
    )
    outside_geofence: bool = strawberry.field(
        extensions=[not_for_customers()],
        description="The check-in was accepted farther from the site than the geofence radius.",
    )
    off_schedule: bool = strawberry.field(
        description="Travel started or a check-in was made outside the scheduled time, "
        "flagged with the technician's reason (see the task's events).",
        extensions=[not_for_customers()],
    )
    check_in_distance_meters: float | None = strawberry.field(
        extensions=[not_for_customers()],
        description="Distance in meters from the site at check-in; null before check-in.",
    )
    resolution_code: str | None = strawberry.field(
        description="How the job was resolved, set on completion; null before."
    )
    resolution_notes: str | None = strawberry.field(
        description="The technician's notes given on completion; null if none."
    )
    incomplete_reason: str | None = strawberry.field(
        description="Why the visit ended INCOMPLETE; null otherwise."
    )
    cancel_reason: str | None = strawberry.field(
        description="Why the task was cancelled; null otherwise."
    )
    rating: int | None = strawberry.field(
        description="The customer's rating, 1 (poor) to 5 (excellent); null until rated."
    )
    feedback_comment: str | None = strawberry.field(
        description="The customer's comment with the rating; null if none."
    )
    response_due_at: datetime | None = strawberry.field(
        description="When a technician must be on site (checked in) under the SLA; null on a "
        "follow-up task, whose first visit met the response."
    )
    resolution_due_at: datetime | None = strawberry.field(
        description="When the job must be finished under the SLA; a follow-up keeps the job's."
    )
    sla_state: SlaState = strawberry.field(  # type: ignore[valid-type]
        description="How the task stands against its due times, updated by the SLA sweeper."
    )
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

    @strawberry.field(
        extensions=[FirstItems(50)], description="Skills a technician needs, with minimum levels."
    )
    async def required_skills(self, info: Info) -> list[SkillRequirement]:
        return [
            SkillRequirement(min_level=r.min_level, skill_db_id=r.skill_id)
            for r in await _skills_loader(info).load(self.db_id)
        ]

    @strawberry.field(
        extensions=[internal()],
        description="How long the task is expected to take, learned from completed work like "
        "it (type, product, fault, technician level, first visit or follow-up), with the basis "
        "of the figure and the model version; null before the first training. Staff and "
        "technicians.",
    )
    async def predicted_duration(self, info: Info) -> PredictedDurationRef | None:
        from schema.durations import predicted_duration_loader

        result: PredictedDurationRef | None = await predicted_duration_loader(info).load(self.db_id)
        return result

    @strawberry.field(
        extensions=[not_for_customers()],
        description="The technician may start travel and check in: the task's travel policy "
        "needs no approval for it, or its travel request is approved.",
    )
    async def released_for_execution(self, info: Info) -> bool:
        from schema.travel_requests import release_loader

        return (await release_loader(info).load(self.db_id)).released

    @strawberry.field(
        extensions=[not_for_customers()],
        description="Why the task does or does not need travel approval before it starts.",
    )
    async def travel_release(self, info: Info) -> TaskReleaseRef:
        from schema.travel_requests import release_loader

        result: TaskReleaseRef = await release_loader(info).load(self.db_id)
        return result

    @strawberry.field(
        extensions=[not_for_customers()],
        description="The task's newest travel request the caller may read; null if none.",
    )
    async def travel_request(self, info: Info) -> TravelRequestRef | None:
        from schema.travel_requests import request_loader

        result: TravelRequestRef | None = await request_loader(info).load(self.db_id)
        return result

    @strawberry.field(description="The assigned technician (or the one the task is offered to).")
    async def technician(self, info: Info) -> TechnicianRef | None:
        return await technician_of(info, self.row.technician_id)

    @strawberry.field(
        extensions=[not_for_customers(), FirstItems(20)],
        description="Technicians the desk would like to do the task; planning favours them.",
    )
    async def preferred_technicians(self, info: Info) -> list[TechnicianRef]:
        return await technicians_of(info, self.row.preferred_technician_ids)

    @strawberry.field(
        description="Technicians who rejected or let the offer expire, or excluded.",
        extensions=[not_for_customers(), FirstItems(20)],
    )
    async def excluded_technicians(self, info: Info) -> list[TechnicianRef]:
        return await technicians_of(info, self.row.excluded_technician_ids)

    @strawberry.field(description="The service request the task serves; null for a standalone one.")
    async def service_request(self, info: Info) -> RequestRef | None:
        from schema.service_requests import ServiceRequestType

        if self.row.service_request_id is None:
            return None
        row = await info.context.loaders.by_id(ServiceRequest).load(self.row.service_request_id)
        return ServiceRequestType.from_model(row) if row else None

    @strawberry.field(
        extensions=[not_for_customers()], description="The work order that groups the task."
    )
    async def work_order(self, info: Info) -> WorkOrderType | None:
        row = await info.context.loaders.by_id(models.WorkOrder).load(self.row.work_order_id)
        return WorkOrderType.from_model(row) if row else None

    @strawberry.field(description="The customer's site where the work is done.")
    async def site(self, info: Info) -> SiteRef | None:
        from schema.customers import SiteType

        row = await info.context.loaders.by_id(Site).load(self.row.site_id)
        return SiteType.from_model(row) if row else None

    @strawberry.field(description="The customer the work is for.")
    async def customer(self, info: Info) -> CustomerRef | None:
        from schema.customers import CustomerType

        row = await info.context.loaders.by_id(Customer).load(self.row.customer_id)
        return CustomerType.from_model(row) if row else None

    @strawberry.field(description="The equipment the work is on; null if none is named.")
    async def asset(self, info: Info) -> AssetRef | None:
        from schema.assets import AssetType

        if self.row.asset_id is None:
            return None
        row = await info.context.loaders.by_id(Asset).load(self.row.asset_id)
        return AssetType.from_model(row) if row else None

    @strawberry.field(
        description="The territory whose area holds the site; null when none covers it."
    )
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
        row = await task_by_id(info).load(self.row.follow_up_of_id)
        return TaskType.from_model(row) if row else None

    @strawberry.field(extensions=[FirstItems(50)], description="The audit trail, oldest first.")
    async def events(self, info: Info) -> list[TaskStatusChange]:
        loader = info.context.loaders.children(TaskEvent, col(TaskEvent.task_id))
        return [TaskStatusChange.from_model(e) for e in await loader.load(self.db_id)]

    @strawberry.field(
        extensions=[not_for_customers(), FirstItems(50)],
        description="Notes written on the task, oldest first.",
    )
    async def notes(self, info: Info) -> list[TaskNoteEntry]:
        loader = info.context.loaders.children(TaskNote, col(TaskNote.task_id))
        return [
            TaskNoteEntry(body=n.body, author=n.author_name or n.author, created_at=n.created_at)
            for n in await loader.load(self.db_id)
        ]

    @strawberry.field(
        extensions=[FirstItems(50)], description="Photos taken on the visit, oldest first."
    )
    async def photos(self, info: Info) -> list[TaskPhotoEntry]:
        loader = info.context.loaders.children(TaskPhoto, col(TaskPhoto.task_id))
        return [
            TaskPhotoEntry(reference=p.reference, caption=p.caption, created_at=p.created_at)
            for p in await loader.load(self.db_id)
        ]

    @strawberry.field(
        extensions=[FirstItems(50)], description="Parts used on the visit, oldest first."
    )
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

    @strawberry.field(description="The customer's signature; null until captured.")
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
        loader = tasks_by(info, col(Task.work_order_id))
        return [TaskType.from_model(row) for row in await loader.load(self.db_id)]


TaskConnection = Connection[TaskType]
