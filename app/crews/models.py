"""A task's crew (its lead and members, each with their own check-in and completion), the
skills its lead must hold and the daily segments a multi-day task is worked in.

Who moves the task itself is data: the `crew_state_follows` work policy says LEAD (the lead's
check-in and completion move the task) or ALL (the task is on site when every member has
checked in, and complete when every member has finished).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.models import timestamp

STATE_POLICY_KEY = "crew_state_follows"


class CrewStatePolicy(StrEnum):
    """Whose steps move a crew task's status."""

    LEAD = "LEAD"
    """The lead's check-in and completion move the task; members' are recorded."""
    ALL = "ALL"
    """The task is on site when every member has checked in and done when every one is."""


class CrewMember(SQLModel, table=True):
    """One technician of a task's crew, with the times of their own part of the visit."""

    __tablename__ = "crew_members"
    __table_args__ = (
        sa.Index("ix_crew_members_technician", "technician_id"),
        sa.Index("one_lead_per_task", "task_id", unique=True, postgresql_where=sa.text("is_lead")),
    )

    task_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="tasks.id", primary_key=True, ondelete="CASCADE"
    )
    technician_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="technicians.id", primary_key=True
    )
    is_lead: bool = False
    assigned_at: datetime = timestamp()
    checked_in_at: datetime | None = timestamp(nullable=True, default_now=False)
    check_in_distance_meters: float | None = None
    completed_at: datetime | None = timestamp(nullable=True, default_now=False)

    @property
    def minutes_worked(self) -> float | None:
        if self.checked_in_at is None or self.completed_at is None:
            return None
        return round((self.completed_at - self.checked_in_at).total_seconds() / 60, 1)


class TaskLeadSkill(SQLModel, table=True):
    """A skill a crew task's lead must hold, at a minimum level (the task's own skills are
    required of the crew as a whole: some member must hold each)."""

    __tablename__ = "task_lead_skills"
    __table_args__ = (sa.CheckConstraint("min_level BETWEEN 1 AND 5", name="level_range"),)

    task_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="tasks.id", primary_key=True, ondelete="CASCADE"
    )
    skill_id: int = Field(sa_type=sa.BigInteger, foreign_key="skills.id", primary_key=True)
    min_level: int = 1


class TaskSegment(SQLModel, table=True):
    """One day's part of a task longer than a working day, in order from 1."""

    __tablename__ = "task_segments"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="segment_order"),
        sa.CheckConstraint("sequence >= 1", name="sequence_from_one"),
    )

    task_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="tasks.id", primary_key=True, ondelete="CASCADE"
    )
    sequence: int = Field(primary_key=True)
    starts_at: datetime = timestamp(default_now=False)
    ends_at: datetime = timestamp(default_now=False)
