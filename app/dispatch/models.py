"""Dispatch runs, re-plan triggers and appointment-slot holds."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import model_validator
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.core.models import enum_type, fk, id_field, point_column, timestamp

MAX_TIME_LIMIT_SECONDS = 600
MAX_HORIZON_DAYS = 14


class RunStatus(StrEnum):
    """Where a dispatch run stands."""

    QUEUED = "QUEUED"
    """Waiting for a solver process."""
    RUNNING = "RUNNING"
    """Being planned."""
    SUCCEEDED = "SUCCEEDED"
    """Planned; with publish, its assignments were offered to the technicians."""
    FAILED = "FAILED"
    """The run broke; its error says why, and nothing was applied."""


class RunKind(StrEnum):
    PLAN = "PLAN"
    """A dispatcher asked for a plan of a territory over a horizon."""
    REPLAN = "REPLAN"
    """An in-day re-plan after a rejection, expiry, cancellation, reschedule or urgent task."""


def _json_list() -> Any:
    return Field(
        default_factory=list, sa_column=sa.Column(JSONB, nullable=False, server_default="[]")
    )


class DispatchRunBase(SQLModel):
    territory_id: int = fk("territories.id")
    horizon_start: datetime = timestamp(default_now=False)
    horizon_end: datetime = timestamp(default_now=False)
    time_limit_seconds: float = 10.0
    publish: bool = False
    from_current_plan: bool = False
    """Plan like an in-day re-plan: from the assignments in force, each kept near its time."""


class DispatchRun(DispatchRunBase, table=True):
    """One planning of a territory: what was asked, by whom, and what came out.

    `routes` holds `[{technician_id, stops: [{task_id, arrival, start, end}], pickups?}]` (ISO
    times; `pickups`: warehouse stops for parts, see `plans.planned_pickups`),
    `unassigned` holds `[{task_id, reason}]`: the plan as it was when solved.
    """

    __tablename__ = "dispatch_runs"
    __table_args__ = (
        sa.CheckConstraint("horizon_end > horizon_start", name="horizon_order"),
        sa.CheckConstraint("progress BETWEEN 0 AND 1", name="progress_range"),
        sa.Index("ix_dispatch_runs_queued", "id", postgresql_where="status = 'QUEUED'"),
    )

    id: int | None = id_field()
    kind: RunKind = Field(default=RunKind.PLAN, sa_type=enum_type(RunKind, 16))
    status: RunStatus = Field(default=RunStatus.QUEUED, sa_type=enum_type(RunStatus, 16))
    progress: float = 0.0
    requested_by: str = Field(max_length=200)
    requested_role: str = Field(max_length=16)
    requested_at: datetime = timestamp()
    started_at: datetime | None = timestamp(nullable=True, default_now=False)
    finished_at: datetime | None = timestamp(nullable=True, default_now=False)
    task_count: int = 0
    pinned_count: int = 0
    technician_count: int = 0
    assigned_count: int = 0
    unassigned_count: int = 0
    moved_count: int = 0
    """Assignments of an earlier plan that this one gave to another technician or time."""
    published_count: int = 0
    travel_minutes: float = 0.0
    distance_km: float = 0.0
    solve_seconds: float = 0.0
    error: str | None = Field(default=None, sa_type=sa.Text)
    routes: list[dict[str, Any]] = _json_list()
    unassigned: list[dict[str, Any]] = _json_list()


class DispatchRunCreate(SQLModel):
    territory_id: int
    horizon_start: datetime
    horizon_end: datetime
    time_limit_seconds: float = Field(default=10.0, gt=0, le=MAX_TIME_LIMIT_SECONDS)
    publish: bool = False
    from_current_plan: bool = False

    @model_validator(mode="after")
    def _horizon(self) -> DispatchRunCreate:
        if self.horizon_start.tzinfo is None or self.horizon_end.tzinfo is None:
            raise ValueError("from and to need a zone offset")
        if self.horizon_end <= self.horizon_start:
            raise ValueError("to must be after from")
        if (self.horizon_end - self.horizon_start).days >= MAX_HORIZON_DAYS:
            raise ValueError(f"the horizon may span at most {MAX_HORIZON_DAYS} days")
        return self


class ReplanTrigger(SQLModel, table=True):
    """A change that may call for re-planning a territory's day (written in the change's
    transaction by the listener; the re-plan job consumes them after a debounce)."""

    __tablename__ = "dispatch_replan_triggers"
    __table_args__ = (
        sa.Index(
            "ix_dispatch_replan_pending",
            "territory_id",
            "at",
            postgresql_where="processed_at IS NULL",
        ),
    )

    id: int | None = id_field()
    territory_id: int = Field(sa_type=sa.BigInteger)
    task_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    action: str = Field(max_length=40)
    at: datetime = timestamp()
    processed_at: datetime | None = timestamp(nullable=True, default_now=False)


class HoldStatus(StrEnum):
    """Where a slot hold stands."""

    ACTIVE = "ACTIVE"
    """Reserving the slot until it expires."""
    CONSUMED = "CONSUMED"
    """Used to book a visit."""
    RELEASED = "RELEASED"
    """Given back by the customer or the desk."""
    EXPIRED = "EXPIRED"
    """Not used in time; the slot is free again."""


class SlotHold(SQLModel, table=True):
    """Capacity reserved for a customer's appointment until `expires_at`."""

    __tablename__ = "dispatch_slot_holds"
    __table_args__ = (
        sa.CheckConstraint("slot_end > slot_start", name="slot_order"),
        sa.Index(
            "ix_dispatch_holds_active",
            "territory_id",
            "slot_start",
            postgresql_where="status = 'ACTIVE'",
        ),
    )

    id: int | None = id_field()
    territory_id: int = fk("territories.id")
    technician_id: int = fk("technicians.id")
    customer_id: int | None = fk("customers.id", nullable=True)
    site_id: int | None = fk("sites.id", nullable=True)
    point: Any = Field(default=None, sa_column=point_column(nullable=False))
    duration_minutes: int
    skills: dict[str, int] = Field(
        default_factory=dict, sa_column=sa.Column(JSONB, nullable=False, server_default="{}")
    )
    slot_start: datetime = timestamp(default_now=False)
    slot_end: datetime = timestamp(default_now=False)
    planned_start: datetime = timestamp(default_now=False)
    """Where the hold was inserted into the technician's day when it was taken."""
    status: HoldStatus = Field(default=HoldStatus.ACTIVE, sa_type=enum_type(HoldStatus, 16))
    held_by: str = Field(max_length=200)
    created_at: datetime = timestamp()
    expires_at: datetime = timestamp(default_now=False)
    task_id: int | None = fk("tasks.id", nullable=True)
    consumed_at: datetime | None = timestamp(nullable=True, default_now=False)


class TaskPartNeed(SQLModel, table=True):
    """Units of a part a dispatcher says a task needs; 0 overrides a diagnosis's suspicion
    (see `app.dispatch.part_needs`)."""

    __tablename__ = "task_part_needs"
    __table_args__ = (sa.CheckConstraint("quantity BETWEEN 0 AND 999", name="quantity_range"),)

    task_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="tasks.id", primary_key=True, ondelete="CASCADE"
    )
    part_id: int = Field(sa_type=sa.BigInteger, foreign_key="parts.id", primary_key=True)
    quantity: int = 1
    set_by: str = Field(max_length=200)
    set_at: datetime = timestamp()


class PickupReservation(SQLModel, table=True):
    """Units a published plan reserved (through the inventory ledger) for a pickup at a
    warehouse on the way to a task; released when a later plan, an unassignment or a
    cancellation no longer needs them."""

    __tablename__ = "dispatch_pickup_reservations"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.Index("ix_dispatch_pickups_held", "task_id", postgresql_where="released_at IS NULL"),
    )

    id: int | None = id_field()
    task_id: int = fk("tasks.id", ondelete="CASCADE")
    run_id: int = fk("dispatch_runs.id")
    technician_id: int = fk("technicians.id")
    location_id: int = fk("stock_locations.id")
    part_id: int = fk("parts.id")
    quantity: int
    reserved_at: datetime = timestamp()
    released_at: datetime | None = timestamp(nullable=True, default_now=False)
