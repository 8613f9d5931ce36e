"""Work orders and their field tasks, with the records a visit leaves behind."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import model_validator
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field, point_column, timestamp
from app.service_requests.models import SlaState


class TaskStatus(StrEnum):
    """Where a field task stands in its lifecycle (see the state machine in the API contract)."""

    UNSCHEDULED = "UNSCHEDULED"
    """Waiting to be planned or assigned."""
    SCHEDULED = "SCHEDULED"
    """Planned for a time, not yet offered to a technician."""
    DISPATCHED = "DISPATCHED"
    """Offered to a technician, waiting for them to accept."""
    ACCEPTED = "ACCEPTED"
    """The technician accepted it."""
    EN_ROUTE = "EN_ROUTE"
    """The technician is on the way."""
    ON_SITE = "ON_SITE"
    """The technician checked in at the site."""
    IN_PROGRESS = "IN_PROGRESS"
    """Work has started."""
    ON_HOLD = "ON_HOLD"
    """Work is paused (waiting for parts, the customer...)."""
    COMPLETED = "COMPLETED"
    """Done."""
    INCOMPLETE = "INCOMPLETE"
    """The visit ended without finishing; a follow-up task carries on."""
    CANCELLED = "CANCELLED"
    """Called off."""


CLOSED_STATUSES = frozenset({TaskStatus.COMPLETED, TaskStatus.INCOMPLETE, TaskStatus.CANCELLED})
OPEN_STATUSES = frozenset(TaskStatus) - CLOSED_STATUSES


class TaskType(StrEnum):
    """The kind of work a task is."""

    INSTALLATION = "INSTALLATION"
    """Install a new product."""
    REPAIR = "REPAIR"
    """Fix something that does not work."""
    MAINTENANCE = "MAINTENANCE"
    """Planned upkeep."""
    PREVENTIVE = "PREVENTIVE"
    """A preventive visit a contract's service plan promised."""
    INSPECTION = "INSPECTION"
    """Look at and report on equipment."""
    REPLACEMENT = "REPLACEMENT"
    """Swap a unit for a new one."""


class WorkOrderStatus(StrEnum):
    """Whether a work order still has work to do."""

    OPEN = "OPEN"
    """Some of its tasks are not finished."""
    CLOSED = "CLOSED"
    """All its tasks are finished or cancelled."""


class WorkOrder(Audited, table=True):
    """The job a service request became; it groups the request's field tasks."""

    __tablename__ = "work_orders"

    id: int | None = id_field()
    service_request_id: int | None = Field(
        default=None,
        sa_type=sa.BigInteger,
        foreign_key="service_requests.id",
        unique=True,
        nullable=True,
    )
    customer_id: int = fk("customers.id")
    site_id: int = fk("sites.id")
    asset_id: int | None = fk("assets.id", nullable=True)
    status: WorkOrderStatus = Field(
        default=WorkOrderStatus.OPEN, sa_type=enum_type(WorkOrderStatus, 16)
    )


class Prerequisite(SQLModel):
    """One item of the checklist the customer sees before the visit."""

    text: str = Field(min_length=1, max_length=300)
    done: bool = False


class SkillRequirement(SQLModel):
    code: str = Field(min_length=1, max_length=60)
    min_level: int = Field(default=1, ge=1, le=5)


def _int_array() -> Any:
    return Field(
        default_factory=list,
        sa_column=sa.Column(ARRAY(sa.BigInteger), nullable=False, server_default="{}"),
    )


class TaskBase(SQLModel):
    type: TaskType = Field(sa_type=enum_type(TaskType, 16))
    description: str | None = Field(default=None, max_length=4000, sa_type=sa.Text)
    priority: int = Field(default=3, ge=1, le=5)
    duration_minutes: int = Field(default=60, ge=5, le=24 * 60)
    crew_size: int = Field(default=1, ge=1, le=10)
    earliest_start: datetime | None = timestamp(nullable=True, default_now=False)
    latest_start: datetime | None = timestamp(nullable=True, default_now=False)
    window_start: datetime | None = timestamp(nullable=True, default_now=False)
    window_end: datetime | None = timestamp(nullable=True, default_now=False)
    deadline: datetime | None = timestamp(nullable=True, default_now=False)


class Task(TaskBase, Audited, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        sa.CheckConstraint("priority BETWEEN 1 AND 5", name="priority_range"),
        sa.CheckConstraint("window_end IS NULL OR window_end > window_start", name="window_order"),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
        sa.Index(
            "ix_tasks_offer_expiry", "offer_expires_at", postgresql_where="status = 'DISPATCHED'"
        ),
        sa.Index("ix_tasks_technician_start", "technician_id", "scheduled_start"),
    )

    id: int | None = id_field()
    work_order_id: int = fk("work_orders.id")
    service_request_id: int | None = fk("service_requests.id", nullable=True)
    customer_id: int = fk("customers.id")
    site_id: int = fk("sites.id")
    asset_id: int | None = fk("assets.id", nullable=True)
    territory_id: int | None = fk("territories.id", nullable=True)
    location: Any = Field(default=None, sa_column=point_column(nullable=False))
    status: TaskStatus = Field(
        default=TaskStatus.UNSCHEDULED, sa_type=enum_type(TaskStatus, 16), index=True
    )
    preferred_technician_ids: list[int] = _int_array()
    excluded_technician_ids: list[int] = _int_array()
    prerequisites: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=sa.Column(JSONB, nullable=False, server_default="[]")
    )
    technician_id: int | None = fk("technicians.id", nullable=True)
    scheduled_start: datetime | None = timestamp(nullable=True, default_now=False)
    scheduled_end: datetime | None = timestamp(nullable=True, default_now=False)
    offer_expires_at: datetime | None = timestamp(nullable=True, default_now=False)
    rejection_count: int = 0
    confirmed_at: datetime | None = timestamp(nullable=True, default_now=False)
    started_at: datetime | None = timestamp(nullable=True, default_now=False)
    finished_at: datetime | None = timestamp(nullable=True, default_now=False)
    check_in_distance_meters: float | None = None
    outside_geofence: bool = False
    off_schedule: bool = False
    """Travel started or a check-in was made outside the scheduled time, with a reason."""
    resolution_code: str | None = Field(default=None, max_length=60)
    resolution_notes: str | None = Field(default=None, sa_type=sa.Text)
    incomplete_reason: str | None = Field(default=None, max_length=500)
    cancel_reason: str | None = Field(default=None, max_length=500)
    follow_up_of_id: int | None = fk("tasks.id", nullable=True)
    signature_ref: str | None = Field(default=None, max_length=500)
    signer_name: str | None = Field(default=None, max_length=200)
    signed_at: datetime | None = timestamp(nullable=True, default_now=False)
    rating: int | None = None
    feedback_comment: str | None = Field(default=None, max_length=2000)
    feedback_at: datetime | None = timestamp(nullable=True, default_now=False)
    response_due_at: datetime | None = timestamp(nullable=True, default_now=False)
    """None on a follow-up: the visit it follows checked in, which met the job's response."""
    resolution_due_at: datetime | None = timestamp(nullable=True, default_now=False)
    """The job's: a follow-up keeps the resolution due time of the visit it follows."""
    sla_state: SlaState = Field(default=SlaState.ON_TRACK, sa_type=enum_type(SlaState, 16))


class TaskCreate(TaskBase):
    type: TaskType | None = None  # type: ignore[assignment]
    """Defaults to the service request's category."""
    service_request_id: int | None = None
    customer_id: int | None = None
    site_id: int | None = None
    asset_id: int | None = None
    required_skills: list[SkillRequirement] = Field(default_factory=list)
    preferred_technician_ids: list[int] = Field(default_factory=list)
    excluded_technician_ids: list[int] = Field(default_factory=list)
    prerequisites: list[Prerequisite] = Field(default_factory=list)

    @model_validator(mode="after")
    def _times_in_order(self) -> TaskCreate:
        if self.window_start and self.window_end and self.window_end <= self.window_start:
            raise ValueError("windowEnd must be after windowStart")
        if self.earliest_start and self.latest_start and self.latest_start < self.earliest_start:
            raise ValueError("latestStart must not be before earliestStart")
        if (self.window_start is None) != (self.window_end is None):
            raise ValueError("an appointment window needs both windowStart and windowEnd")
        return self


class TaskSkill(SQLModel, table=True):
    """A skill a task requires, at a minimum level."""

    __tablename__ = "task_skills"
    __table_args__ = (sa.CheckConstraint("min_level BETWEEN 1 AND 5", name="level_range"),)

    task_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="tasks.id", primary_key=True, ondelete="CASCADE"
    )
    skill_id: int = Field(sa_type=sa.BigInteger, foreign_key="skills.id", primary_key=True)
    min_level: int = 1


class TaskEvent(SQLModel, table=True):
    """The audit trail: one row per status change (or recorded action) of a task."""

    __tablename__ = "task_events"

    id: int | None = id_field()
    task_id: int = fk("tasks.id", ondelete="CASCADE")
    service_request_id: int | None = fk("service_requests.id", nullable=True)
    action: str = Field(max_length=40)
    from_status: TaskStatus | None = Field(default=None, sa_type=enum_type(TaskStatus, 16))
    to_status: TaskStatus = Field(sa_type=enum_type(TaskStatus, 16))
    at: datetime = timestamp()
    actor: str = Field(max_length=200)
    actor_role: str = Field(max_length=16)
    actor_name: str = Field(default="", max_length=200)
    reason: str | None = Field(default=None, max_length=500)
    technician_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    location: Any = Field(default=None, sa_column=point_column(nullable=True))


class OfferStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    WITHDRAWN = "WITHDRAWN"


class TaskOffer(SQLModel, table=True):
    """A task offered to one technician, with a deadline to answer."""

    __tablename__ = "task_offers"

    id: int | None = id_field()
    task_id: int = fk("tasks.id", ondelete="CASCADE")
    technician_id: int = fk("technicians.id")
    offered_by: str = Field(max_length=200)
    offered_at: datetime = timestamp()
    expires_at: datetime = timestamp(default_now=False)
    status: OfferStatus = Field(default=OfferStatus.PENDING, sa_type=enum_type(OfferStatus, 16))
    responded_at: datetime | None = timestamp(nullable=True, default_now=False)
    reason: str | None = Field(default=None, max_length=500)


class TaskNote(SQLModel, table=True):
    __tablename__ = "task_notes"

    id: int | None = id_field()
    task_id: int = fk("tasks.id", ondelete="CASCADE")
    author: str = Field(max_length=200)
    author_name: str = Field(default="", max_length=200)
    body: str = Field(min_length=1, max_length=4000, sa_type=sa.Text)
    created_at: datetime = timestamp()


class TaskPhoto(SQLModel, table=True):
    """A photo taken on the visit, by reference (an attachment id or URL)."""

    __tablename__ = "task_photos"

    id: int | None = id_field()
    task_id: int = fk("tasks.id", ondelete="CASCADE")
    reference: str = Field(min_length=1, max_length=500)
    caption: str | None = Field(default=None, max_length=300)
    author: str = Field(max_length=200)
    created_at: datetime = timestamp()


class TaskPart(SQLModel, table=True):
    """A part used on the visit; stock is wired by the inventory domain."""

    __tablename__ = "task_parts"
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="positive_quantity"),)

    id: int | None = id_field()
    task_id: int = fk("tasks.id", ondelete="CASCADE")
    part_code: str = Field(min_length=1, max_length=60)
    quantity: int = Field(gt=0, le=10_000)
    description: str | None = Field(default=None, max_length=300)
    author: str = Field(max_length=200)
    created_at: datetime = timestamp()


class TaskPartLine(SQLModel):
    part_code: str = Field(min_length=1, max_length=60)
    quantity: int = Field(gt=0, le=10_000)
    description: str | None = Field(default=None, max_length=300)


class WorkPolicy(SQLModel, table=True):
    """A tunable of the task lifecycle (offer deadline, geofence...), stored as data."""

    __tablename__ = "work_policies"

    key: str = Field(primary_key=True, max_length=60)
    value: Any = Field(sa_column=sa.Column(JSONB, nullable=False))
    description: str = Field(default="", max_length=300)
