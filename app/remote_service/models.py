"""Remote service: requests worked remotely before a field visit, and experts helping
technicians on site.

Remote resolution: `remote_first_policies` (data) say which request categories and product
categories start in remote triage; a request that does gets a `remote_cases` row, which an
agent diagnoses (notes, the request's attachments, a resolution code from the
`remote_resolution_codes` catalogue, suspected parts, required skills) and then resolves
remotely (the request is closed) or escalates to a field task carrying the diagnosis.

Remote assistance: a technician on a task asks for help (`assist_requests`); experts
(`expert_profiles`: a staff user or a technician, by skill and level) see the requests they
qualify for, the first to accept gets it, and answers it. `assist_escalation_steps` (data) say
after how many minutes unaccepted a request is escalated to which audience.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from app.assets.models import ProductCategory
from app.core.auth import Role
from app.core.models import Audited, enum_type, fk, id_field, timestamp
from app.service_requests.models import RequestCategory


def _ids() -> Any:
    return Field(
        default_factory=list,
        sa_column=sa.Column(ARRAY(sa.BigInteger), nullable=False, server_default="{}"),
    )


# --- remote resolution --------------------------------------------------------------------


class RemoteStage(StrEnum):
    """Where a request worked remotely stands."""

    TRIAGE = "TRIAGE"
    """Being diagnosed remotely; no field task may be created until it is escalated."""
    RESOLVED = "RESOLVED"
    """Solved remotely: the request is closed without a visit."""
    ESCALATED = "ESCALATED"
    """Sent to the field: a task carries the diagnosis."""


class RemoteResolutionCode(Audited, table=True):
    """A code from the catalogue that says how a request was (or will be) resolved."""

    __tablename__ = "remote_resolution_codes"

    id: int | None = id_field()
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=1000)


class RemoteFirstPolicy(Audited, table=True):
    """Whether requests of a request category and/or product category start in remote triage.
    The most specific row in force wins (both set, then the request category, then the
    product category, then the default row with neither); no row: straight to dispatch."""

    __tablename__ = "remote_first_policies"
    __table_args__ = (
        sa.Index(
            "uq_remote_first_policies_scope",
            sa.text("coalesce(request_category, '*')"),
            sa.text("coalesce(product_category, '*')"),
            unique=True,
        ),
    )

    id: int | None = id_field()
    request_category: RequestCategory | None = Field(
        default=None, sa_type=enum_type(RequestCategory, 16)
    )
    product_category: ProductCategory | None = Field(
        default=None, sa_type=enum_type(ProductCategory, 16)
    )
    remote_first: bool = True


class RemoteCase(Audited, table=True):
    """A service request worked remotely: its diagnosis and outcome."""

    __tablename__ = "remote_cases"
    __table_args__ = (
        sa.CheckConstraint(
            "stage <> 'RESOLVED' OR (resolved_at IS NOT NULL AND resolution_code_id IS NOT NULL)",
            name="resolved_with_code",
        ),
        sa.Index("ix_remote_cases_stage_created", "stage", "created_at"),
    )

    id: int | None = id_field()
    service_request_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="service_requests.id", unique=True, ondelete="CASCADE"
    )
    customer_id: int = fk("customers.id")
    territory_id: int | None = fk("territories.id", nullable=True)
    stage: RemoteStage = Field(
        default=RemoteStage.TRIAGE, sa_type=enum_type(RemoteStage, 16), index=True
    )
    notes: str = Field(default="", max_length=8000, sa_type=sa.Text)
    resolution_code_id: int | None = fk("remote_resolution_codes.id", nullable=True)
    suspected_part_ids: list[int] = _ids()
    attachment_ids: list[int] = _ids()
    """Attachments of the service request that support the diagnosis."""
    required_skills: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=sa.Column(JSONB, nullable=False, server_default="[]")
    )
    """[{"code": ..., "min_level": ...}]: what the field visit needs if it is escalated."""
    diagnosed_by: str | None = Field(default=None, max_length=200)
    resolved_by: str | None = Field(default=None, max_length=200)
    resolved_by_name: str | None = Field(default=None, max_length=200)
    resolved_at: datetime | None = timestamp(nullable=True, default_now=False)
    resolution_summary: str | None = Field(default=None, max_length=2000)
    """How it was resolved, in words (with the code)."""
    escalated_by: str | None = Field(default=None, max_length=200)
    escalated_at: datetime | None = timestamp(nullable=True, default_now=False)
    task_id: int | None = fk("tasks.id", nullable=True)
    """The field task it was escalated to."""


# --- remote assistance --------------------------------------------------------------------


class AssistStatus(StrEnum):
    """Where a technician's request for expert help stands."""

    OPEN = "OPEN"
    """In the expert queue, waiting for an expert to accept it."""
    ACCEPTED = "ACCEPTED"
    """An expert took it and is helping."""
    ANSWERED = "ANSWERED"
    """Closed with the expert's resolution note."""
    CANCELLED = "CANCELLED"
    """Withdrawn by the technician (or staff) before an answer."""


class ExpertProfile(Audited, table=True):
    """A staff user or a technician who answers assist requests needing a skill, up to a
    level."""

    __tablename__ = "expert_profiles"
    __table_args__ = (
        sa.CheckConstraint("num_nonnulls(user_id, technician_id) = 1", name="one_person"),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
        sa.Index(
            "uq_expert_profiles_person_skill",
            sa.text("coalesce(user_id, 0)"),
            sa.text("coalesce(technician_id, 0)"),
            "skill_id",
            unique=True,
        ),
    )

    id: int | None = id_field()
    user_id: int | None = fk("users.id", nullable=True, ondelete="CASCADE")
    technician_id: int | None = fk("technicians.id", nullable=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    skill_id: int = fk("skills.id")
    level: int = Field(default=3, ge=1, le=5)


class AssistEscalationStep(Audited, table=True):
    """After `after_minutes` unaccepted, an assist request is escalated to this level and its
    audience is alerted (each level once per request)."""

    __tablename__ = "assist_escalation_steps"
    __table_args__ = (
        sa.CheckConstraint("level BETWEEN 1 AND 3", name="level_range"),
        sa.CheckConstraint("after_minutes BETWEEN 1 AND 1440", name="after_range"),
        sa.UniqueConstraint("level"),
    )

    id: int | None = id_field()
    level: int
    after_minutes: int
    audience_role: Role = Field(sa_type=enum_type(Role, 16))


class AssistRequest(Audited, table=True):
    """A technician's request for an expert's help on a task."""

    __tablename__ = "assist_requests"
    __table_args__ = (
        sa.CheckConstraint("min_level BETWEEN 1 AND 5", name="level_range"),
        sa.CheckConstraint(
            "status = 'OPEN' OR status = 'CANCELLED' OR accepted_at IS NOT NULL",
            name="accepted_when_taken",
        ),
        sa.CheckConstraint("call_link IS NULL OR call_link LIKE 'https://%'", name="https_link"),
        sa.Index(
            "ix_assist_requests_open", "created_at", postgresql_where=sa.text("status = 'OPEN'")
        ),
    )

    id: int | None = id_field()
    task_id: int = fk("tasks.id")
    technician_id: int = fk("technicians.id")
    """Who asked."""
    territory_id: int | None = fk("territories.id", nullable=True)
    product_model_id: int | None = fk("product_models.id", nullable=True)
    skill_id: int = fk("skills.id")
    min_level: int = 1
    question: str = Field(max_length=4000, sa_type=sa.Text)
    attachment_ids: list[int] = _ids()
    """Photos of the task attached to the question."""
    status: AssistStatus = Field(
        default=AssistStatus.OPEN, sa_type=enum_type(AssistStatus, 16), index=True
    )
    requested_by: str = Field(max_length=200)
    expert_profile_id: int | None = fk("expert_profiles.id", nullable=True)
    expert_name: str | None = Field(default=None, max_length=200)
    accepted_by: str | None = Field(default=None, max_length=200)
    accepted_at: datetime | None = timestamp(nullable=True, default_now=False)
    call_link: str | None = Field(default=None, max_length=500)
    resolution_note: str | None = Field(default=None, max_length=4000, sa_type=sa.Text)
    answered_at: datetime | None = timestamp(nullable=True, default_now=False)
    escalation_level: int = 0
    """The highest escalation step raised while it waited (0: none)."""


# --- inputs -------------------------------------------------------------------------------


class SkillNeed(SQLModel):
    code: str = Field(min_length=1, max_length=60)
    min_level: int = Field(default=1, ge=1, le=5)


class Diagnosis(SQLModel):
    """Changes to a remote case's diagnosis; a field left out stays as it is."""

    notes: str | None = Field(default=None, max_length=8000)
    resolution_code: str | None = Field(default=None, max_length=40)
    suspected_part_ids: list[int] | None = Field(default=None, max_length=20)
    attachment_ids: list[int] | None = Field(default=None, max_length=20)
    required_skills: list[SkillNeed] | None = Field(default=None, max_length=10)


class AssistCreate(SQLModel):
    task_id: int
    skill_code: str = Field(min_length=1, max_length=60)
    min_level: int = Field(default=1, ge=1, le=5)
    product_model_id: int | None = None
    """Null: the task's asset's model."""
    question: str = Field(min_length=1, max_length=4000)
    attachment_ids: list[int] = Field(default_factory=list, max_length=10)
