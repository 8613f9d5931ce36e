"""Daily attendance of technicians: clock-in and clock-out, breaks, corrections and alerts.

A technician clocks in once per local day (the day in their territory's time zone) with the
place they stand, or is clocked in automatically by their first location ping inside a shift
when the attendance policy of their territory says so. Breaks are taken inside the day; a
manager or dispatcher corrects a day with a reason, audited. `attendance_policies` hold the
thresholds as data, per territory or for every territory (territory NULL).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field, timestamp


def _place() -> sa.Column[Any]:
    """Where a clock action happened (read with its day, never searched by: no index)."""
    return sa.Column(Geography("POINT", srid=4326, spatial_index=False), nullable=True)


class ClockSource(StrEnum):
    """How a clock-in was recorded."""

    MANUAL = "MANUAL"
    """The technician clocked in from the app, with their position."""
    AUTO_PING = "AUTO_PING"
    """Their first location ping inside the shift, as the policy allows."""
    CORRECTION = "CORRECTION"
    """Set by a manager or dispatcher's correction."""


class BreakKind(StrEnum):
    """Why a technician paused."""

    MEAL = "MEAL"
    """A meal break."""
    REST = "REST"
    """A short rest."""
    PERSONAL = "PERSONAL"
    """A personal matter."""
    OTHER = "OTHER"
    """Anything else."""


class AttendanceStatus(StrEnum):
    """A technician's standing on one day."""

    PRESENT = "PRESENT"
    """Clocked in on time (within the policy's grace)."""
    LATE = "LATE"
    """Clocked in after the grace, or not yet and past it."""
    ABSENT = "ABSENT"
    """No clock-in by the no-show threshold or by the shift's end."""
    ON_LEAVE = "ON_LEAVE"
    """Time off covers the shift."""
    NOT_STARTED = "NOT_STARTED"
    """The shift has not started, or started within the grace, with no clock-in yet."""
    OFF_DUTY = "OFF_DUTY"
    """No shift planned that day and no clock-in."""


class AttendanceAlertKind(StrEnum):
    """The alerts attendance raises, each once per technician and day."""

    LATE_START = "LATE_START"
    """Not clocked in this many minutes after the shift's start."""
    NO_SHOW = "NO_SHOW"
    """Not clocked in by the no-show threshold or the shift's end."""


class AttendancePolicyBase(SQLModel):
    clock_in_required: bool = False
    """Technicians must clock in: late starts and no-shows are alerted, and a no-show is left
    out of today's dispatch. Without it the sheet is kept but nobody is chased."""
    auto_clock_in: bool = False
    """The first location ping inside a shift clocks the technician in."""
    late_after_minutes: int = Field(default=10, ge=0, le=24 * 60)
    """A clock-in this long after the shift's start is late; no clock-in by then alerts."""
    no_show_after_minutes: int = Field(default=120, ge=1, le=24 * 60)
    """No clock-in this long after the shift's start (or by its end) is a no-show."""
    overtime_daily_minutes: int = Field(default=540, ge=0, le=24 * 60)
    """Worked time beyond this in a day counts as daily overtime."""
    max_backdate_hours: int = Field(default=24, ge=0, le=72)
    """A clock action buffered offline may be at most this old."""


class AttendancePolicy(AttendancePolicyBase, Audited, table=True):
    """The attendance policy of a territory; territory NULL is the default for the others."""

    __tablename__ = "attendance_policies"
    __table_args__ = (
        sa.Index(
            "attendance_policies_territory_key",
            "territory_id",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: int | None = id_field()
    territory_id: int | None = fk("territories.id", nullable=True, ondelete="CASCADE")


class AttendanceEntry(Audited, table=True):
    """One technician's attendance on one local day."""

    __tablename__ = "attendance_entries"
    __table_args__ = (
        sa.UniqueConstraint("technician_id", "day", name="uq_attendance_entries_technician_day"),
        sa.CheckConstraint(
            "clock_out_at IS NULL OR clock_out_at >= clock_in_at", name="clock_order"
        ),
        sa.Index("ix_attendance_entries_day", "day"),
    )

    id: int | None = id_field()
    technician_id: int = fk("technicians.id", ondelete="CASCADE")
    territory_id: int | None = fk("territories.id", nullable=True, ondelete="SET NULL")
    """The territory whose time zone and policy ruled the day."""
    day: date
    clock_in_at: datetime | None = timestamp(nullable=True, default_now=False)
    clock_in_location: Any = Field(default=None, sa_column=_place())
    clock_in_source: ClockSource | None = Field(
        default=None, sa_type=enum_type(ClockSource, 16), nullable=True
    )
    clock_out_at: datetime | None = timestamp(nullable=True, default_now=False)
    clock_out_location: Any = Field(default=None, sa_column=_place())


class AttendanceBreak(SQLModel, table=True):
    """A break inside a day; open while `ended_at` is null (one open break at a time)."""

    __tablename__ = "attendance_breaks"
    __table_args__ = (
        sa.CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="break_order"),
        sa.Index(
            "uq_attendance_breaks_open",
            "entry_id",
            unique=True,
            postgresql_where=sa.text("ended_at IS NULL"),
        ),
    )

    id: int | None = id_field()
    entry_id: int = fk("attendance_entries.id", ondelete="CASCADE")
    kind: BreakKind = Field(sa_type=enum_type(BreakKind, 16))
    started_at: datetime = timestamp(default_now=False)
    ended_at: datetime | None = timestamp(nullable=True, default_now=False)


class AttendanceCorrection(SQLModel, table=True):
    """A manager or dispatcher's change to a day: who, when, why, from what to what."""

    __tablename__ = "attendance_corrections"

    id: int | None = id_field()
    entry_id: int = fk("attendance_entries.id", ondelete="CASCADE")
    actor: str = Field(max_length=200)
    actor_role: str = Field(max_length=16)
    reason: str = Field(max_length=1000)
    changes: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(JSONB, nullable=False)
    )
    corrected_at: datetime = timestamp()


class AttendanceAlert(SQLModel, table=True):
    """An alert raised for a technician's day: its key makes each kind raised once."""

    __tablename__ = "attendance_alerts"

    technician_id: int = Field(
        sa_type=sa.BigInteger, primary_key=True, foreign_key="technicians.id", ondelete="CASCADE"
    )
    day: date = Field(primary_key=True)
    kind: AttendanceAlertKind = Field(primary_key=True, sa_type=enum_type(AttendanceAlertKind, 16))
    raised_at: datetime = timestamp()
