"""The version of each family of operator policies, and the audit of every change to them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.core.models import enum_type, id_field, timestamp


class PolicyKind(StrEnum):
    """Which operator policy a change belongs to."""

    WORK = "WORK"
    """`work_policies`: offers, geofence, signature, check-in and travel times."""
    COMMUNICATION = "COMMUNICATION"
    """`communication_policies`: delivery retries, reminders, the confirmation ladder."""
    SLA = "SLA"
    """`sla_policies`: response and resolution targets per priority."""
    PRIORITY_RULES = "PRIORITY_RULES"
    """`priority_rules`: the rules that set a new request's priority."""
    ESCALATION = "ESCALATION"
    """`escalation_policies`: when late work is escalated, to whom."""
    TRACKING = "TRACKING"
    """`tracking_policies`: how technicians may be tracked, per territory."""
    REQUISITION_APPROVAL = "REQUISITION_APPROVAL"
    """`requisition_approval_thresholds`: who approves a requisition of a given value."""
    REPLACEMENT = "REPLACEMENT"
    """`replacement_policies`: who approves a warranty replacement, and the new warranty."""


class PolicySet(SQLModel, table=True):
    """One family of policies as a whole: its optimistic version, bumped by every change."""

    __tablename__ = "policy_sets"

    kind: PolicyKind = Field(primary_key=True, sa_type=enum_type(PolicyKind, 24))
    version: int = Field(default=1, nullable=False)
    updated_at: datetime = timestamp()


class PolicyChange(SQLModel, table=True):
    """One value of one policy changed: who, when, from what to what, at which version."""

    __tablename__ = "policy_changes"
    __table_args__ = (sa.Index("ix_policy_changes_kind_id", "kind", "id"),)

    id: int | None = id_field()
    kind: PolicyKind = Field(sa_type=enum_type(PolicyKind, 24))
    version: int
    """The family's version this change produced."""
    item: str = Field(default="", max_length=100)
    """Which row of the family (a priority, a rule id); empty for key/value families."""
    setting: str = Field(max_length=60)
    old_value: Any = Field(default=None, sa_column=sa.Column(JSONB, nullable=True))
    new_value: Any = Field(default=None, sa_column=sa.Column(JSONB, nullable=True))
    actor: str = Field(max_length=200)
    actor_role: str = Field(max_length=16)
    actor_name: str = Field(default="", max_length=200)
    changed_at: datetime = timestamp()
