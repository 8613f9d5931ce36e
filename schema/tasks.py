"""Inputs and payloads of the task mutations (desk, dispatcher, technician and customer)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.common import GeoPointInput
from schema.errors import Payload
from schema.work_orders import TaskKind, TaskStatus, TaskType


@strawberry.input(description="A skill the task needs, at a minimum level.")
class SkillRequirementInput:
    code: str = strawberry.field(
        description="Code of a known skill (e.g. HVAC); an unknown code is refused with INVALID."
    )
    min_level: int = strawberry.field(
        default=1,
        description="Lowest level (1-5) a technician must hold; a repeated code keeps the highest.",
    )


@strawberry.input(
    description="A new field task, for a service request or for a customer's site without one."
)
class CreateTaskInput:
    service_request_id: strawberry.ID | None = strawberry.field(
        default=None, description="The request the task serves; without it, customer and site."
    )
    customer_id: strawberry.ID | None = None
    site_id: strawberry.ID | None = None
    asset_id: strawberry.ID | None = None
    type: TaskKind | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="Kind of work; defaults to the request's category, required without a request.",
    )
    description: str | None = strawberry.field(
        default=None, description="What is to be done, up to 4,000 characters."
    )
    priority: int | None = strawberry.field(
        default=None,
        description="1 (most urgent) to 5; null takes the request's priority, or 3 without one.",
    )
    duration_minutes: int = strawberry.field(
        default=60, description="Expected time on site in minutes, 5 to 1440."
    )
    crew_size: int = strawberry.field(
        default=1, description="Technicians the job needs, 1 to 10; it is offered to one of them."
    )
    required_skills: list[SkillRequirementInput] = strawberry.field(
        default_factory=list, description="Skills a technician needs; assigning without warns."
    )
    earliest_start: datetime | None = strawberry.field(
        default=None, description="Earliest instant the visit should start; null for no bound."
    )
    latest_start: datetime | None = strawberry.field(
        default=None,
        description="Latest instant the visit should start, not before earliestStart; null: none.",
    )
    window_start: datetime | None = strawberry.field(
        default=None,
        description="Start of the appointment window the visit starts in; given with windowEnd.",
    )
    window_end: datetime | None = strawberry.field(
        default=None,
        description="End of the appointment window, after windowStart; given with windowStart.",
    )
    deadline: datetime | None = strawberry.field(
        default=None,
        description="The work should be finished by this instant; planning costs lateness.",
    )
    preferred_technician_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    excluded_technician_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    prerequisites: list[str] = strawberry.field(
        default_factory=list, description="The checklist shown to the customer before the visit."
    )
    idempotency_key: str | None = None
    hold_id: strawberry.ID | None = strawberry.field(
        default=None, description="A slot hold from holdSlot: the task takes the held slot."
    )


@strawberry.input(description="Offer a task to a technician at a start time.")
class AssignTaskInput:
    task_id: strawberry.ID
    technician_id: strawberry.ID
    start: datetime = strawberry.field(
        description="When the visit starts, with a UTC offset; it ends durationMinutes later."
    )
    reason: str | None = strawberry.field(
        default=None, description="Assign despite the warnings (skills, hours, overlaps...)."
    )
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input(description="Take a task back from its technician.")
class UnassignTaskInput:
    task_id: strawberry.ID
    reason: str | None = strawberry.field(
        default=None, description="Why, recorded in the task's audit trail; optional."
    )
    expected_version: int | None = None


@strawberry.input(description="A technician's step on a task, sent from the phone.")
class TaskStepInput:
    task_id: strawberry.ID
    expected_version: int | None = None
    location: GeoPointInput | None = strawberry.field(
        default=None,
        description="The phone's position, recorded with the step in the audit trail; optional.",
    )
    idempotency_key: str | None = None
    reason: str | None = strawberry.field(
        default=None,
        description="Why travel starts outside the scheduled time (the FLAG policy needs one).",
    )


@strawberry.input(description="A technician declines a task offered or accepted.")
class RejectTaskInput:
    task_id: strawberry.ID
    reason: str = strawberry.field(
        description="Why, required and recorded; the technician is then excluded from the task."
    )
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input(description="A technician arrives at the task's site.")
class CheckInInput:
    task_id: strawberry.ID
    location: GeoPointInput = strawberry.field(
        description="The phone's position, checked against the geofence radius around the site."
    )
    expected_version: int | None = None
    idempotency_key: str | None = None
    reason: str | None = strawberry.field(
        default=None,
        description="Why the check-in is outside the scheduled time (the FLAG policy needs one).",
    )


@strawberry.input(description="A technician puts work on hold.")
class PauseTaskInput:
    task_id: strawberry.ID
    reason: str = strawberry.field(
        description="Why work stops (waiting for parts, the customer...), recorded in the trail."
    )
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input(description="The customer's signature, given when completing the task.")
class SignatureInput:
    image_ref: str = strawberry.field(description="The stored signature image (attachment ref).")
    signer_name: str = strawberry.field(description="Name of the person who signed.")


@strawberry.input(description="A technician finishes the job.")
class CompleteTaskInput:
    task_id: strawberry.ID
    resolution_code: str = strawberry.field(
        description="How the job was resolved (e.g. FIXED), up to 60 characters."
    )
    notes: str | None = strawberry.field(
        default=None, description="Resolution notes kept on the task; optional."
    )
    signature: SignatureInput | None = strawberry.field(
        default=None,
        description="The customer's signature; needed when the policy requires one and "
        "captureSignature has not stored it yet.",
    )
    location: GeoPointInput | None = strawberry.field(
        default=None, description="The phone's position, recorded in the audit trail; optional."
    )
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input(description="A technician ends the visit without finishing the job.")
class MarkTaskIncompleteInput:
    task_id: strawberry.ID
    reason: str = strawberry.field(
        description="Why the job could not be finished, required (up to 500 characters)."
    )
    location: GeoPointInput | None = strawberry.field(
        default=None, description="The phone's position, recorded in the audit trail; optional."
    )
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input(description="A note for the task's record, once it is accepted.")
class AddTaskNoteInput:
    task_id: strawberry.ID
    body: str = strawberry.field(description="Text of the note, 1 to 4,000 characters.")
    idempotency_key: str | None = None


@strawberry.input(description="A photo for the task's record, taken on site.")
class AddTaskPhotoInput:
    task_id: strawberry.ID
    reference: str = strawberry.field(
        description="The uploaded photo: an attachment ID or URL, up to 500 characters."
    )
    caption: str | None = strawberry.field(
        default=None, description="What the photo shows, up to 300 characters; optional."
    )
    idempotency_key: str | None = None


@strawberry.input(description="One part used on the visit.")
class PartUsedInput:
    part_code: str = strawberry.field(
        description="Stock code (SKU) of the part, taken from the technician's van stock."
    )
    quantity: int = strawberry.field(description="How many were used, 1 to 10,000.")
    description: str | None = strawberry.field(
        default=None, description="What the part is or did, up to 300 characters; optional."
    )


@strawberry.input(description="Parts used on the visit, recorded while on site.")
class RecordPartsUsedInput:
    task_id: strawberry.ID
    parts: list[PartUsedInput] = strawberry.field(
        description="The parts, at least one; they leave the technician's van stock."
    )
    idempotency_key: str | None = None


@strawberry.input(description="The customer's signature, captured while on site.")
class CaptureSignatureInput:
    task_id: strawberry.ID
    image_ref: str = strawberry.field(
        description="The stored signature image (attachment ref); it replaces any earlier one."
    )
    signer_name: str = strawberry.field(description="Name of the person who signed.")
    idempotency_key: str | None = None


@strawberry.input(description="The customer confirms the booked visit.")
class ConfirmAppointmentInput:
    task_id: strawberry.ID
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input(description="A new appointment window for a task whose work has not started.")
class RescheduleTaskInput:
    task_id: strawberry.ID
    window_start: datetime = strawberry.field(
        description="Start of the new window, with a UTC offset."
    )
    window_end: datetime = strawberry.field(
        description="End of the new window, after windowStart and in the future."
    )
    reason: str | None = strawberry.field(
        default=None, description="Why, recorded in the task's audit trail; optional."
    )
    expected_version: int | None = None
    idempotency_key: str | None = None
    hold_id: strawberry.ID | None = strawberry.field(
        default=None, description="A slot hold from holdSlot for the new window."
    )


@strawberry.input(description="Call off an open task.")
class CancelTaskInput:
    task_id: strawberry.ID
    reason: str = strawberry.field(
        description="Why, required and kept as the task's cancelReason (up to 500 characters)."
    )
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input(description="The customer's rating of a completed task, given once.")
class SubmitFeedbackInput:
    task_id: strawberry.ID
    rating: int = strawberry.field(description="1 (poor) to 5 (excellent).")
    comment: str | None = strawberry.field(
        default=None, description="Free text, up to 2,000 characters; optional."
    )
    idempotency_key: str | None = None


@strawberry.input(description="Conditions on tasks; all given ones must hold.")
class TaskFilter:
    status: list[TaskStatus] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Tasks in any of these statuses."
    )
    territory_id: strawberry.ID | None = strawberry.field(
        default=None, description="Tasks in this territory."
    )
    technician_id: strawberry.ID | None = strawberry.field(
        default=None, description="Tasks held by (assigned or offered to) this technician."
    )
    scheduled_from: datetime | None = strawberry.field(
        default=None, description="Tasks scheduled to end after this instant."
    )
    scheduled_to: datetime | None = strawberry.field(
        default=None, description="Tasks scheduled to start before this instant."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Tasks of this customer."
    )
    unassigned: bool | None = strawberry.field(
        default=None,
        description="true: tasks no technician holds (the dispatcher's queue); false: held ones.",
    )
    search: str | None = strawberry.field(
        default=None,
        description=(
            "Text to look for, case-insensitive: a task number (T-123 or 123), words of the "
            "task's description or of its customer's name."
        ),
    )


@strawberry.type(description="The result of a task mutation.")
class TaskPayload(Payload):
    task: TaskType | None = strawberry.field(
        default=None, description="The task as it now stands; null when userErrors are returned."
    )


@strawberry.type(description="Why an assignment needs a second look; a reason overrides.")
class AssignmentWarning:
    code: str = strawberry.field(
        description="SKILL_MISMATCH, OVERLAPPING_TASK, OUTSIDE_WORKING_HOURS, OUTSIDE_TIME_WINDOW, "
        "START_IN_PAST, EXCLUDED_TECHNICIAN or TRAVEL_TOO_TIGHT."
    )
    message: str = strawberry.field(description="The warning in plain English.")


@strawberry.type(description="The result of assignTask.")
class AssignTaskPayload(Payload):
    task: TaskType | None = strawberry.field(
        default=None, description="The task, now offered; null when userErrors are returned."
    )
    warnings: list[AssignmentWarning] | None = strawberry.field(
        default=None, description="Warnings the given reason overrode; empty when there were none."
    )


@strawberry.type(description="The result of checkIn.")
class CheckInPayload(Payload):
    task: TaskType | None = strawberry.field(
        default=None, description="The task, now ON_SITE; null when userErrors are returned."
    )
    warnings: list[str] | None = strawberry.field(
        default=None,
        description="Flags the policy accepted: outside the geofence or the scheduled time.",
    )


@strawberry.type(description="The result of markTaskIncomplete.")
class MarkTaskIncompletePayload(Payload):
    task: TaskType | None = strawberry.field(
        default=None, description="The task, now INCOMPLETE; null when userErrors are returned."
    )
    follow_up_task: TaskType | None = strawberry.field(
        default=None, description="The new UNSCHEDULED task that carries the job on."
    )
