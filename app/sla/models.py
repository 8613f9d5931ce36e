"""SLA escalation policies (data, not code) and the escalations the sweeper has raised."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.auth import Role
from app.core.models import enum_type, fk, id_field, timestamp


class EscalationTrigger(StrEnum):
    """What an escalation policy watches for."""

    UNASSIGNED = "UNASSIGNED"
    """No technician holds the task (or the request has no task) this long after creation."""
    RESPONSE_OVERDUE = "RESPONSE_OVERDUE"
    """Nobody is on site this long after the response due time."""
    RESOLUTION_OVERDUE = "RESOLUTION_OVERDUE"
    """The work is still open this long after the resolution due time."""


class SubjectKind(StrEnum):
    TASK = "TASK"
    SERVICE_REQUEST = "SERVICE_REQUEST"


LEVEL_NAMES = {1: "dispatcher", 2: "manager", 3: "head of service"}


class EscalationPolicyBase(SQLModel):
    trigger: EscalationTrigger = Field(sa_type=enum_type(EscalationTrigger, 24))
    level: int = Field(ge=1, le=3)
    threshold_minutes: int = Field(ge=0, le=60 * 24 * 60)
    audience_role: Role = Field(sa_type=enum_type(Role, 16))
    active: bool = True
    description: str = Field(default="", max_length=300)


class EscalationPolicy(EscalationPolicyBase, table=True):
    """Raise an alert at `level` for `audience_role` once a subject is `threshold_minutes`
    past the trigger's reference time."""

    __tablename__ = "escalation_policies"
    __table_args__ = (
        sa.CheckConstraint("level BETWEEN 1 AND 3", name="level_range"),
        sa.CheckConstraint("threshold_minutes >= 0", name="threshold_not_negative"),
        sa.UniqueConstraint("trigger", "level"),
    )

    id: int | None = id_field()
    version: int = Field(default=1, nullable=False)


class EscalationPolicyUpdate(SQLModel):
    threshold_minutes: int | None = Field(default=None, ge=0, le=60 * 24 * 60)
    audience_role: Role | None = None
    active: bool | None = None


class SlaEscalation(SQLModel, table=True):
    """One escalation raised for one task or request at one level; never raised twice."""

    __tablename__ = "sla_escalations"
    __table_args__ = (
        sa.UniqueConstraint("subject_kind", "subject_id", "trigger", "level"),
        sa.Index("ix_sla_escalations_raised_at", "raised_at"),
    )

    id: int | None = id_field()
    policy_id: int = fk("escalation_policies.id", ondelete="CASCADE")
    subject_kind: SubjectKind = Field(sa_type=enum_type(SubjectKind, 16))
    subject_id: int = Field(sa_type=sa.BigInteger)
    trigger: EscalationTrigger = Field(sa_type=enum_type(EscalationTrigger, 24))
    level: int
    audience_role: Role = Field(sa_type=enum_type(Role, 16))
    territory_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    message: str = Field(max_length=500)
    raised_at: datetime = timestamp()
