"""Skills, technicians and their availability: memberships, weekly hours and time off."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import EmailStr, field_validator
from sqlmodel import Field, SQLModel

from app.core.models import (
    Audited,
    Code,
    enum_type,
    fk,
    id_field,
    money_column,
    point_column,
    timestamp,
)

END_OF_DAY = time.max
"""A shift that runs until midnight is stored with this end (the API shows it as 00:00)."""


class Employment(StrEnum):
    """Who employs a technician."""

    EMPLOYEE = "EMPLOYEE"
    """The organisation itself."""
    PARTNER = "PARTNER"
    """A partner company (the technician's partner)."""


class TechnicianStatus(StrEnum):
    """Whether a technician can be given work."""

    ACTIVE = "ACTIVE"
    """At work: can be planned and assigned."""
    ON_LEAVE = "ON_LEAVE"
    """Away for a while: not planned."""
    INACTIVE = "INACTIVE"
    """No longer works here."""


# --- skills -------------------------------------------------------------------------------


class SkillBase(SQLModel):
    code: str = Field(max_length=60, sa_column_kwargs={"unique": True})
    name: str = Field(min_length=1, max_length=120)
    description: str | None = Field(default=None, sa_type=sa.Text)


class Skill(SkillBase, Audited, table=True):
    __tablename__ = "skills"

    id: int | None = id_field()


class SkillCreate(SQLModel):
    code: Code
    name: str = Field(min_length=1, max_length=120)
    description: str | None = None


class SkillUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = None


# --- technicians --------------------------------------------------------------------------


class TechnicianBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    employment: Employment = Field(default=Employment.EMPLOYEE, sa_type=enum_type(Employment, 16))
    status: TechnicianStatus = Field(
        default=TechnicianStatus.ACTIVE, sa_type=enum_type(TechnicianStatus, 16)
    )
    cost_per_hour: Decimal | None = money_column()
    cost_per_km: Decimal | None = money_column()
    currency: str = Field(default="INR", max_length=3)
    external_ref: str | None = Field(default=None, max_length=60, sa_column_kwargs={"unique": True})
    """The HR or partner system's key for this person (imports match on it)."""
    notes: str | None = Field(default=None, sa_type=sa.Text)


class Technician(TechnicianBase, Audited, table=True):
    __tablename__ = "technicians"
    __table_args__ = (
        sa.CheckConstraint(
            "(employment = 'PARTNER') = (partner_id IS NOT NULL)", name="partner_matches_employment"
        ),
    )

    id: int | None = id_field()
    partner_id: int | None = fk("partners.id", nullable=True)
    home_base: Any = Field(default=None, sa_column=point_column(nullable=False))
    last_location: Any = Field(default=None, sa_column=point_column(nullable=True))
    last_seen_at: datetime | None = timestamp(nullable=True, default_now=False)


class Position(SQLModel):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


class CostIn(SQLModel):
    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    currency: str = Field(regex=r"^[A-Z]{3}$")


class SkillLevelIn(SQLModel):
    """One skill of a technician, named by its id or its code."""

    skill_id: int | None = None
    skill_code: str | None = None
    level: int = Field(ge=1, le=5)


class TechnicianCreate(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    employment: Employment = Employment.EMPLOYEE
    partner_id: int | None = None
    status: TechnicianStatus = TechnicianStatus.ACTIVE
    home_base: Position
    cost_per_hour: CostIn | None = None
    cost_per_km: CostIn | None = None
    external_ref: str | None = Field(default=None, min_length=1, max_length=60)
    notes: str | None = None
    skills: list[SkillLevelIn] = Field(default_factory=list)
    territory_id: int | None = None
    """A primary membership in this territory from today (its local date)."""


class TechnicianUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    employment: Employment | None = None
    partner_id: int | None = None
    status: TechnicianStatus | None = None
    home_base: Position | None = None
    cost_per_hour: CostIn | None = None
    cost_per_km: CostIn | None = None
    external_ref: str | None = Field(default=None, min_length=1, max_length=60)
    notes: str | None = None
    skills: list[SkillLevelIn] | None = None
    """When sent, replaces the technician's whole skill set."""

    @field_validator("employment", "status", "home_base", "skills")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class TechnicianSkill(SQLModel, table=True):
    __tablename__ = "technician_skills"
    __table_args__ = (sa.CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)

    technician_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="technicians.id", primary_key=True, ondelete="CASCADE"
    )
    skill_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="skills.id", primary_key=True, index=True
    )
    level: int = Field(ge=1, le=5)


# --- territory memberships ----------------------------------------------------------------


class TerritoryMembership(SQLModel, table=True):
    """A technician works in a territory from `valid_from` to `valid_to`, both days included."""

    __tablename__ = "territory_memberships"
    __table_args__ = (
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="period_order"),
    )

    id: int | None = id_field()
    technician_id: int = fk("technicians.id", ondelete="CASCADE")
    territory_id: int = fk("territories.id")
    valid_from: date
    valid_to: date | None = None
    is_primary: bool = True


class MembershipCreate(SQLModel):
    technician_id: int
    territory_id: int
    valid_from: date | None = None
    """Defaults to today in the territory's time zone."""
    valid_to: date | None = None
    is_primary: bool = True


# --- weekly hours and time off ------------------------------------------------------------


class WorkingHours(SQLModel, table=True):
    """One weekly shift: weekday 0 = Monday, times in the territory's local time.

    A shift never crosses midnight: a night shift is two shifts, one ending at midnight
    (stored as END_OF_DAY) and one starting at 00:00 on the next weekday.
    """

    __tablename__ = "working_hours"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint("ends_at > starts_at", name="shift_order"),
    )

    id: int | None = id_field()
    technician_id: int = fk("technicians.id", ondelete="CASCADE")
    weekday: int
    starts_at: time
    ends_at: time


class ShiftIn(SQLModel):
    weekday: int = Field(ge=0, le=6)
    start: time
    end: time
    """00:00 means midnight at the end of the day."""


class TimeOff(SQLModel, table=True):
    __tablename__ = "time_off"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="period_order"),)

    id: int | None = id_field()
    technician_id: int = fk("technicians.id", ondelete="CASCADE")
    starts_at: datetime = timestamp(default_now=False)
    ends_at: datetime = timestamp(default_now=False)
    reason: str | None = Field(default=None, max_length=200)


class TimeOffCreate(SQLModel):
    technician_id: int
    start: datetime
    end: datetime
    reason: str | None = Field(default=None, max_length=200)

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("a date-time needs a zone offset")
        return value
