"""Skills, technicians and their availability: memberships, weekly hours and time off."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field, money_column, point_column, timestamp


class Employment(StrEnum):
    EMPLOYEE = "EMPLOYEE"
    PARTNER = "PARTNER"


class TechnicianStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ON_LEAVE = "ON_LEAVE"
    INACTIVE = "INACTIVE"


class SkillBase(SQLModel):
    code: str = Field(max_length=60, sa_column_kwargs={"unique": True})
    name: str = Field(max_length=120)
    description: str | None = Field(default=None, sa_type=sa.Text)


class Skill(SkillBase, Audited, table=True):
    __tablename__ = "skills"

    id: int | None = id_field()


class TechnicianBase(SQLModel):
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    employment: Employment = Field(default=Employment.EMPLOYEE, sa_type=enum_type(Employment, 16))
    status: TechnicianStatus = Field(
        default=TechnicianStatus.ACTIVE, sa_type=enum_type(TechnicianStatus, 16)
    )
    cost_per_hour: Decimal | None = money_column()
    cost_per_km: Decimal | None = money_column()
    currency: str = Field(default="INR", max_length=3)


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


class TerritoryMembership(SQLModel, table=True):
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


class WorkingHours(SQLModel, table=True):
    """One weekly shift: weekday 0 = Monday, times in the territory's local time."""

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


class TimeOff(SQLModel, table=True):
    __tablename__ = "time_off"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="period_order"),)

    id: int | None = id_field()
    technician_id: int = fk("technicians.id", ondelete="CASCADE")
    starts_at: datetime = timestamp(default_now=False)
    ends_at: datetime = timestamp(default_now=False)
    reason: str | None = Field(default=None, max_length=200)
