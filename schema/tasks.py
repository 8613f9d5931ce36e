"""Inputs and payloads of the task mutations (desk, dispatcher, technician and customer)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.common import GeoPointInput
from schema.errors import Payload
from schema.work_orders import TaskKind, TaskStatus, TaskType


@strawberry.input
class SkillRequirementInput:
    code: str
    min_level: int = 1


@strawberry.input
class CreateTaskInput:
    service_request_id: strawberry.ID | None = strawberry.field(
        default=None, description="The request the task serves; without it, customer and site."
    )
    customer_id: strawberry.ID | None = None
    site_id: strawberry.ID | None = None
    asset_id: strawberry.ID | None = None
    type: TaskKind | None = None  # type: ignore[valid-type]
    description: str | None = None
    priority: int | None = None
    duration_minutes: int = 60
    crew_size: int = 1
    required_skills: list[SkillRequirementInput] = strawberry.field(default_factory=list)
    earliest_start: datetime | None = None
    latest_start: datetime | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    deadline: datetime | None = None
    preferred_technician_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    excluded_technician_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    prerequisites: list[str] = strawberry.field(
        default_factory=list, description="The checklist shown to the customer before the visit."
    )
    idempotency_key: str | None = None
    hold_id: strawberry.ID | None = strawberry.field(
        default=None, description="A slot hold from holdSlot: the task takes the held slot."
    )


@strawberry.input
class AssignTaskInput:
    task_id: strawberry.ID
    technician_id: strawberry.ID
    start: datetime
    reason: str | None = strawberry.field(
        default=None, description="Assign despite the warnings (skills, hours, overlaps...)."
    )
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input
class UnassignTaskInput:
    task_id: strawberry.ID
    reason: str | None = None
    expected_version: int | None = None


@strawberry.input(description="A technician's step on a task, sent from the phone.")
class TaskStepInput:
    task_id: strawberry.ID
    expected_version: int | None = None
    location: GeoPointInput | None = None
    idempotency_key: str | None = None
    reason: str | None = strawberry.field(
        default=None,
        description="Why travel starts outside the scheduled time (the FLAG policy needs one).",
    )


@strawberry.input
class RejectTaskInput:
    task_id: strawberry.ID
    reason: str
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input
class CheckInInput:
    task_id: strawberry.ID
    location: GeoPointInput
    expected_version: int | None = None
    idempotency_key: str | None = None
    reason: str | None = strawberry.field(
        default=None,
        description="Why the check-in is outside the scheduled time (the FLAG policy needs one).",
    )


@strawberry.input
class PauseTaskInput:
    task_id: strawberry.ID
    reason: str
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input
class SignatureInput:
    image_ref: str = strawberry.field(description="The stored signature image (attachment ref).")
    signer_name: str


@strawberry.input
class CompleteTaskInput:
    task_id: strawberry.ID
    resolution_code: str
    notes: str | None = None
    signature: SignatureInput | None = None
    location: GeoPointInput | None = None
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input
class MarkTaskIncompleteInput:
    task_id: strawberry.ID
    reason: str
    location: GeoPointInput | None = None
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input
class AddTaskNoteInput:
    task_id: strawberry.ID
    body: str
    idempotency_key: str | None = None


@strawberry.input
class AddTaskPhotoInput:
    task_id: strawberry.ID
    reference: str
    caption: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class PartUsedInput:
    part_code: str
    quantity: int
    description: str | None = None


@strawberry.input
class RecordPartsUsedInput:
    task_id: strawberry.ID
    parts: list[PartUsedInput]
    idempotency_key: str | None = None


@strawberry.input
class CaptureSignatureInput:
    task_id: strawberry.ID
    image_ref: str
    signer_name: str
    idempotency_key: str | None = None


@strawberry.input
class ConfirmAppointmentInput:
    task_id: strawberry.ID
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input
class RescheduleTaskInput:
    task_id: strawberry.ID
    window_start: datetime
    window_end: datetime
    reason: str | None = None
    expected_version: int | None = None
    idempotency_key: str | None = None
    hold_id: strawberry.ID | None = strawberry.field(
        default=None, description="A slot hold from holdSlot for the new window."
    )


@strawberry.input
class CancelTaskInput:
    task_id: strawberry.ID
    reason: str
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input
class SubmitFeedbackInput:
    task_id: strawberry.ID
    rating: int
    comment: str | None = None
    idempotency_key: str | None = None


@strawberry.input
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


@strawberry.type
class TaskPayload(Payload):
    task: TaskType | None = None


@strawberry.type(description="Why an assignment needs a second look; a reason overrides.")
class AssignmentWarning:
    code: str
    message: str


@strawberry.type
class AssignTaskPayload(Payload):
    task: TaskType | None = None
    warnings: list[AssignmentWarning] | None = None


@strawberry.type
class CheckInPayload(Payload):
    task: TaskType | None = None
    warnings: list[str] | None = None


@strawberry.type
class MarkTaskIncompletePayload(Payload):
    task: TaskType | None = None
    follow_up_task: TaskType | None = None
