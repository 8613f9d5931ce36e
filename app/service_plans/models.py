"""Service plans on contracts, and the planned visits (tasks) they generate."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field, timestamp
from app.work_orders.models import TaskType


class PlanTarget(StrEnum):
    """What a plan visits."""

    ASSETS = "ASSETS"
    """The assets the plan lists: one visit per asset."""
    SITE = "SITE"
    """One site: one visit to the site."""
    ALL_COVERED = "ALL_COVERED"
    """Every asset the contract covers (named or at a covered site): one visit per asset."""


class PlanFrequency(StrEnum):
    """The base period of a plan's recurrence."""

    WEEKLY = "WEEKLY"
    """Every N weeks."""
    MONTHLY = "MONTHLY"
    """Every N months (on a day of the month, or an nth weekday)."""
    YEARLY = "YEARLY"
    """Every N years, on the given months."""


class HolidayPolicy(StrEnum):
    """Where a due date falling on a holiday or a non-working day goes."""

    NEXT_WORKING_DAY = "NEXT_WORKING_DAY"
    """The next working day (the default)."""
    PREVIOUS_WORKING_DAY = "PREVIOUS_WORKING_DAY"
    """The working day before."""
    KEEP = "KEEP"
    """Stays on the day."""


class VisitStatus(StrEnum):
    """Where a planned visit stands against the contract's entitlement."""

    PLANNED = "PLANNED"
    """Generated; its task is open."""
    DONE = "DONE"
    """Its task was completed."""
    MISSED = "MISSED"
    """Its tolerance window passed without the task being completed."""
    CANCELLED = "CANCELLED"
    """Called off (the contract ended, or the task was cancelled)."""


def _int_array(*default: int) -> Any:
    return Field(
        default_factory=lambda: list(default),
        sa_column=sa.Column(
            ARRAY(sa.Integer),
            nullable=False,
            server_default="{" + ",".join(map(str, default)) + "}",
        ),
    )


class ServicePlan(Audited, table=True):
    """A recurring visit a contract promises: what, how often, how long, by whom."""

    __tablename__ = "service_plans"
    __table_args__ = (
        sa.CheckConstraint("interval BETWEEN 1 AND 120", name="interval_range"),
        sa.CheckConstraint("tolerance_before_days >= 0", name="tolerance_before"),
        sa.CheckConstraint("tolerance_after_days >= 0", name="tolerance_after"),
    )

    id: int | None = id_field()
    contract_id: int = fk("contracts.id", ondelete="CASCADE")
    name: str = Field(max_length=200)
    visit_type: TaskType = Field(sa_type=enum_type(TaskType, 16))
    target: PlanTarget = Field(sa_type=enum_type(PlanTarget, 16))
    site_id: int | None = fk("sites.id", nullable=True)
    asset_ids: list[int] = Field(
        default_factory=list,
        sa_column=sa.Column(ARRAY(sa.BigInteger), nullable=False, server_default="{}"),
    )
    frequency: PlanFrequency = Field(sa_type=enum_type(PlanFrequency, 16))
    interval: int = 1
    by_months: list[int] = _int_array()
    month_day: int | None = None
    weekday: int | None = None
    week_of_month: int | None = None
    starts_on: date
    ends_on: date | None = None
    tolerance_before_days: int = 0
    tolerance_after_days: int = 7
    duration_minutes: int = 60
    required_skills: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=sa.Column(JSONB, nullable=False, server_default="[]")
    )
    preferred_technician_id: int | None = fk("technicians.id", nullable=True)
    checklist_template_id: int | None = fk(
        "checklist_templates.id", nullable=True, ondelete="SET NULL"
    )
    """The inspection checklist (template) the visits are filled against."""
    holiday_policy: HolidayPolicy = Field(
        default=HolidayPolicy.NEXT_WORKING_DAY, sa_type=enum_type(HolidayPolicy, 24)
    )
    non_working_weekdays: list[int] = _int_array(6)
    """Monday is 0; Sunday (6) is not worked unless the plan says otherwise."""


class PlannedVisit(SQLModel, table=True):
    """One visit a plan generated for one target and due date, and the task doing it."""

    __tablename__ = "planned_visits"
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "target_key", "due_on", name="uq_planned_visit"),
        sa.Index("ix_planned_visits_contract_due", "contract_id", "due_on"),
        sa.Index(
            "ix_planned_visits_open_window", "window_end", postgresql_where="status = 'PLANNED'"
        ),
        sa.Index("ix_planned_visits_task_id", "task_id", unique=True),
    )

    id: int | None = id_field()
    plan_id: int = fk("service_plans.id", ondelete="CASCADE")
    contract_id: int = fk("contracts.id", ondelete="CASCADE")
    customer_id: int = fk("customers.id")
    site_id: int = fk("sites.id")
    asset_id: int | None = fk("assets.id", nullable=True)
    territory_id: int | None = fk("territories.id", nullable=True)
    target_key: str = Field(max_length=40)
    """`a<asset id>` or `s<site id>`: with the plan and the due date, the visit's identity."""
    due_on: date
    """The date the recurrence gave."""
    visit_on: date
    """The due date moved off holidays and non-working days per the plan's policy."""
    window_start: datetime = timestamp(default_now=False)
    window_end: datetime = timestamp(default_now=False)
    task_id: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("tasks.id"), nullable=True)
    )
    """Unique: a task is one visit's."""
    status: VisitStatus = Field(default=VisitStatus.PLANNED, sa_type=enum_type(VisitStatus, 16))
    cancel_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = timestamp()
    closed_at: datetime | None = timestamp(nullable=True, default_now=False)


class SkillNeed(SQLModel):
    code: str = Field(min_length=1, max_length=60)
    min_level: int = Field(default=1, ge=1, le=5)


class ServicePlanFields(SQLModel):
    """What a plan's create and update take (update: only what is given changes)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    visit_type: TaskType | None = None
    target: PlanTarget | None = None
    site_id: int | None = None
    asset_ids: list[int] | None = Field(default=None, max_length=500)
    frequency: PlanFrequency | None = None
    interval: int | None = Field(default=None, ge=1, le=120)
    by_months: list[int] | None = Field(default=None, max_length=12)
    month_day: int | None = Field(default=None, ge=-1, le=31)
    weekday: int | None = Field(default=None, ge=0, le=6)
    week_of_month: int | None = Field(default=None, ge=-1, le=5)
    starts_on: date | None = None
    ends_on: date | None = None
    tolerance_before_days: int | None = Field(default=None, ge=0, le=90)
    tolerance_after_days: int | None = Field(default=None, ge=0, le=90)
    duration_minutes: int | None = Field(default=None, ge=5, le=24 * 60)
    required_skills: list[SkillNeed] | None = Field(default=None, max_length=20)
    preferred_technician_id: int | None = None
    checklist_template_id: int | None = None
    holiday_policy: HolidayPolicy | None = None
    non_working_weekdays: list[int] | None = Field(default=None, max_length=6)


class ServicePlanCreate(ServicePlanFields):
    contract_id: int
    name: str = Field(min_length=1, max_length=200)
    target: PlanTarget
    frequency: PlanFrequency
