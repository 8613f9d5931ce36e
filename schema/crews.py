"""GraphQL types of crews: a task's lead and members, their own check-ins and completions, the
lead's skills and a multi-day task's daily segments."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.crews import models
from app.crews.service import Crew
from schema.common import GeoPointInput
from schema.context import Info
from schema.errors import Payload
from schema.tasks import AssignmentWarning, SignatureInput
from schema.work_orders import TaskType, technician_of

if TYPE_CHECKING:
    from schema.technicians import TechnicianType

TechnicianRef = Annotated["TechnicianType", strawberry.lazy("schema.technicians")]

CrewStatePolicy = strawberry.enum(
    models.CrewStatePolicy,
    name="CrewStatePolicy",
    description="Whose steps move a crew task's status.",
)


@strawberry.type(description="One technician of a task's crew and their own part of the visit.")
class CrewMemberType:
    is_lead: bool = strawberry.field(description="The crew's lead, who holds the task.")
    checked_in_at: datetime | None = strawberry.field(
        description="When this member checked in; null before."
    )
    check_in_distance_meters: float | None = strawberry.field(
        description="How far from the site this member checked in, in metres."
    )
    completed_at: datetime | None = strawberry.field(
        description="When this member finished their part; null before."
    )
    minutes_worked: float | None = strawberry.field(
        description="Minutes from this member's check-in to their completion; null until both."
    )
    technician_db_id: strawberry.Private[int]

    @strawberry.field(description="The technician.")
    async def technician(self, info: Info) -> TechnicianRef | None:
        result: Any = await technician_of(info, self.technician_db_id)
        return result

    @classmethod
    def from_model(cls, row: models.CrewMember) -> CrewMemberType:
        return cls(
            is_lead=row.is_lead,
            checked_in_at=row.checked_in_at,
            check_in_distance_meters=row.check_in_distance_meters,
            completed_at=row.completed_at,
            minutes_worked=row.minutes_worked,
            technician_db_id=row.technician_id,
        )


@strawberry.type(description="One day's part of a task longer than a working day.")
class TaskSegmentType:
    sequence: int = strawberry.field(description="Its place in the task, from 1.")
    starts_at: datetime = strawberry.field(description="When the day's work starts.")
    ends_at: datetime = strawberry.field(description="When the day's work ends.")


@strawberry.type(description="A task's crew: its lead and members, and its daily segments.")
class CrewType:
    task: TaskType = strawberry.field(description="The task the crew works on.")
    crew_size: int = strawberry.field(description="Technicians the task needs at once.")
    members: list[CrewMemberType] = strawberry.field(
        description="The lead first, then the members; empty before a crew is assigned."
    )
    segments: list[TaskSegmentType] = strawberry.field(
        description="The daily segments of a multi-day task, in order; empty for one visit."
    )

    @classmethod
    def from_crew(cls, crew: Crew) -> CrewType:
        return cls(
            task=TaskType.from_model(crew.task),
            crew_size=crew.task.crew_size,
            members=[CrewMemberType.from_model(m) for m in crew.members],
            segments=[
                TaskSegmentType(sequence=s.sequence, starts_at=s.starts_at, ends_at=s.ends_at)
                for s in crew.segments
            ],
        )


@strawberry.input(description="A skill the crew's lead must hold.")
class LeadSkillInput:
    code: str = strawberry.field(description="The skill's code.")
    min_level: int = strawberry.field(default=1, description="The least level, 1 to 5.")


@strawberry.input(description="How many technicians a task needs and what its lead must hold.")
class SetCrewRequirementsInput:
    task_id: strawberry.ID
    crew_size: int = strawberry.field(description="Technicians the task needs at once, 1 to 10.")
    lead_skills: list[LeadSkillInput] = strawberry.field(
        default_factory=list,
        description="Skills the lead must hold (at most 20); the task's own required skills "
        "are needed of the crew as a whole.",
    )
    expected_version: int | None = None


@strawberry.input(description="Offer a task to a crew: a lead and members, from a start time.")
class AssignCrewInput:
    task_id: strawberry.ID
    lead_id: strawberry.ID = strawberry.field(description="The technician who leads the crew.")
    member_ids: list[strawberry.ID] = strawberry.field(
        description="The other members (at most 9), without the lead."
    )
    start: datetime = strawberry.field(
        description="When the crew starts, with a UTC offset. A task longer than the lead's "
        "working window there goes on over the next working days."
    )
    reason: str | None = strawberry.field(
        default=None, description="Assign despite the warnings (skills, hours, overlaps...)."
    )
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input(description="A crew member arrives on site.")
class CheckInCrewMemberInput:
    task_id: strawberry.ID
    location: GeoPointInput = strawberry.field(description="The phone's position.")
    reason: str | None = strawberry.field(
        default=None,
        description="Why the check-in is outside the scheduled time (the FLAG policy needs one).",
    )
    idempotency_key: str | None = None


@strawberry.input(description="A crew member has finished their part.")
class CompleteCrewMemberInput:
    task_id: strawberry.ID
    resolution_code: str | None = strawberry.field(
        default=None,
        description="How the job was resolved; needed when this completion closes the task "
        "(the lead's, or the last member's under the ALL policy).",
    )
    notes: str | None = strawberry.field(default=None, description="Resolution notes; optional.")
    signature: SignatureInput | None = strawberry.field(
        default=None, description="The customer's signature, when this completion closes the task."
    )
    idempotency_key: str | None = None


@strawberry.input(description="Whose steps move a crew task's status.")
class SetCrewStatePolicyInput:
    state_follows: CrewStatePolicy = strawberry.field(  # type: ignore[valid-type]
        description="LEAD or ALL."
    )


@strawberry.type(description="The result of a crew mutation.")
class CrewPayload(Payload):
    crew: CrewType | None = strawberry.field(
        default=None, description="The crew as it now stands; null when userErrors are returned."
    )
    warnings: list[AssignmentWarning] | None = strawberry.field(
        default=None,
        description="Assignment warnings the reason overrode; check-in flags as messages.",
    )


@strawberry.type(description="The result of setCrewStatePolicy.")
class CrewStatePolicyPayload(Payload):
    state_follows: CrewStatePolicy | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The policy now in force."
    )
