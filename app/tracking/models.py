"""Tracking policies (data, one per territory plus a default) and the location ping series."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, id_field


class TrackingMode(StrEnum):
    """When a technician's position is kept (a privacy policy)."""

    ALWAYS = "ALWAYS"
    """Every ping is kept."""
    SHIFT_ONLY = "SHIFT_ONLY"
    """Only pings inside the technician's working hours (weekly hours minus time off)."""
    TASK_ONLY = "TASK_ONLY"
    """Only pings while the technician travels to or works on a task."""


class PingRejection(StrEnum):
    """Why a location ping was not kept."""

    INVALID_COORDINATES = "INVALID_COORDINATES"
    """Latitude or longitude out of range, or the 0,0 of a phone without a fix."""
    INVALID_VALUE = "INVALID_VALUE"
    """A speed, heading or other value out of range."""
    LOW_ACCURACY = "LOW_ACCURACY"
    """Its accuracy radius is too large to use."""
    FUTURE_TIMESTAMP = "FUTURE_TIMESTAMP"
    """Recorded in the future (the phone's clock is off)."""
    TOO_OLD = "TOO_OLD"
    """Recorded longer ago than the tracking policy keeps."""
    IMPLAUSIBLE_JUMP = "IMPLAUSIBLE_JUMP"
    """Too far from the previous position for the time between them."""
    OUTSIDE_TRACKING_WINDOW = "OUTSIDE_TRACKING_WINDOW"
    """Recorded when the tracking policy does not track (off shift, no task)."""


LONGEST_MAX_AGE_HOURS = 24 * 30
"""No policy takes pings older than this."""


class TrackingPolicyBase(SQLModel):
    mode: TrackingMode = Field(default=TrackingMode.SHIFT_ONLY, sa_type=enum_type(TrackingMode, 16))
    max_speed_mps: float = Field(default=70.0, gt=0, le=350)
    """Faster than this between two pings is a GPS jump, not a journey (70 m/s = 252 km/h)."""
    max_accuracy_meters: float = Field(default=500.0, gt=0, le=100_000)
    max_age_hours: int = Field(default=72, ge=1, le=LONGEST_MAX_AGE_HOURS)
    """Pings buffered offline longer than this are refused as too old."""
    retention_days: int = Field(default=90, ge=1, le=3650)
    vicinity_radius_meters: float = Field(default=500.0, gt=0, le=50_000)
    """An en-route technician this close to the site triggers the customer's vicinity notice."""
    vicinity_minutes: int = Field(default=10, ge=0, le=240)
    """...or this few minutes away by the ETA, whichever comes first (0: distance only)."""
    late_grace_minutes: int = Field(default=0, ge=0, le=240)
    """An ETA this far past the appointment window's end before the task counts as late."""
    travel_speed_kmh: float = Field(default=40.0, gt=0, le=200)
    travel_detour: float = Field(default=1.3, ge=1, le=5)
    """The dispatch travel model for ETAs: great-circle distance x detour at this speed."""
    stay_minutes: int = Field(default=5, ge=1, le=24 * 60)
    stay_radius_meters: float = Field(default=75.0, gt=0, le=5_000)
    """A trail's stop: at least `stay_minutes` within `stay_radius_meters` of where it began."""
    trail_tolerance_meters: float = Field(default=10.0, ge=0, le=1_000)
    """How far the simplified trail may stray from the raw pings."""


class TrackingPolicy(TrackingPolicyBase, Audited, table=True):
    """How a territory's regulation lets technicians be tracked; territory NULL is the default."""

    __tablename__ = "tracking_policies"
    __table_args__ = (
        sa.Index(
            "tracking_policies_territory_key",
            "territory_id",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: int | None = id_field()
    territory_id: int | None = Field(
        default=None,
        sa_type=sa.BigInteger,
        foreign_key="territories.id",
        ondelete="CASCADE",
        nullable=True,
    )


class TrackingPolicySet(TrackingPolicyBase):
    territory_id: int | None = None
    mode: TrackingMode


class TaskTrackingState(SQLModel, table=True):
    """What tracking derived for an en-route task: its latest ETA, and the one-off customer
    notices already sent (running late, technician nearby), so each is sent exactly once."""

    __tablename__ = "task_tracking_states"

    task_id: int = Field(
        sa_type=sa.BigInteger, primary_key=True, foreign_key="tasks.id", ondelete="CASCADE"
    )
    technician_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="technicians.id", ondelete="CASCADE"
    )
    eta_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    eta_minutes: int | None = None
    distance_meters: float | None = None
    computed_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    late_notified_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    vicinity_notified_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class LocationPing(SQLModel, table=True):
    """One position report. Range-partitioned by day on `recorded_at` (see migration 0005):
    retention drops whole partitions, trail reads prune to the days they cover, and the
    primary key (technician, time) both dedupes replays and serves per-technician reads."""

    __tablename__ = "location_pings"
    __table_args__ = {"postgresql_partition_by": "RANGE (recorded_at)"}

    technician_id: int = Field(
        sa_type=sa.BigInteger, primary_key=True, foreign_key="technicians.id", ondelete="CASCADE"
    )
    recorded_at: datetime = Field(sa_type=sa.DateTime(timezone=True), primary_key=True)
    received_at: datetime = Field(
        sa_type=sa.DateTime(timezone=True),
        sa_column_kwargs={"server_default": sa.func.now()},
    )
    location: Any = Field(
        sa_column=sa.Column(Geography("POINT", srid=4326, spatial_index=False), nullable=False)
    )
    accuracy_m: float | None = Field(default=None, sa_type=sa.Float)
    speed_mps: float | None = Field(default=None, sa_type=sa.Float)
    heading: float | None = Field(default=None, sa_type=sa.Float)


@dataclass(frozen=True, slots=True)
class PingIn:
    """One ping as the technician app sends it (validated per ping by the service, so one bad
    ping is counted and skipped instead of refusing the batch). A plain value: batches carry
    hundreds, and the API has already checked their types."""

    lat: float
    lng: float
    recorded_at: datetime
    accuracy_meters: float | None = None
    speed_mps: float | None = None
    heading: float | None = None
