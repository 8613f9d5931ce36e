"""GraphQL types for location ingest, tracking policies and live technician positions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from app.tracking.models import PingIn, TrackingPolicy
from app.tracking.models import PingRejection as DomainPingRejection
from app.tracking.models import TrackingMode as DomainTrackingMode
from app.tracking.service import IngestResult
from schema.common import GeoPoint, GeoPointInput
from schema.errors import Payload
from schema.ids import encode_id
from schema.node import Node

PingRejectionReason = strawberry.enum(DomainPingRejection, name="PingRejectionReason")
TrackingMode = strawberry.enum(DomainTrackingMode, name="TrackingMode")


@strawberry.input(description="One position from the technician app, as recorded on the phone.")
class LocationPingInput:
    point: GeoPointInput
    recorded_at: datetime
    accuracy_meters: float | None = None
    speed_mps: float | None = None
    heading: float | None = strawberry.field(
        default=None, description="Degrees clockwise from north, 0 <= heading < 360."
    )

    def to_ping(self) -> PingIn:
        return PingIn(
            lat=self.point.lat,
            lng=self.point.lng,
            recorded_at=self.recorded_at,
            accuracy_meters=self.accuracy_meters,
            speed_mps=self.speed_mps,
            heading=self.heading,
        )


@strawberry.input
class ReportLocationsInput:
    pings: list[LocationPingInput]
    idempotency_key: str | None = None


@strawberry.type
class PingRejectionCount:
    reason: PingRejectionReason  # type: ignore[valid-type]
    count: int


@strawberry.type
class ReportLocationsPayload(Payload):
    accepted: int | None = None
    rejected: int | None = None
    duplicates: int | None = None
    rejections: list[PingRejectionCount] | None = None

    @classmethod
    def from_result(cls, result: IngestResult) -> ReportLocationsPayload:
        return cls(
            accepted=result.accepted,
            rejected=result.rejected,
            duplicates=result.duplicates,
            rejections=[
                PingRejectionCount(reason=reason, count=count)
                for reason, count in sorted(result.rejections.items())
            ],
        )


@strawberry.type(name="TrackingPolicy")
class TrackingPolicyType(Node):
    territory_id: strawberry.ID | None
    mode: TrackingMode  # type: ignore[valid-type]
    max_speed_mps: float
    max_accuracy_meters: float
    max_age_hours: int
    retention_days: int
    version: int
    updated_at: datetime

    @classmethod
    def from_model(cls, row: TrackingPolicy) -> TrackingPolicyType:
        assert row.id is not None
        territory = None if row.territory_id is None else encode_id("Territory", row.territory_id)
        return cls(
            db_id=row.id,
            territory_id=None if territory is None else strawberry.ID(territory),
            mode=row.mode,
            max_speed_mps=row.max_speed_mps,
            max_accuracy_meters=row.max_accuracy_meters,
            max_age_hours=row.max_age_hours,
            retention_days=row.retention_days,
            version=row.version,
            updated_at=row.updated_at,
        )


@strawberry.input(description="Create or replace a territory's policy; no territory: the default.")
class SetTrackingPolicyInput:
    mode: TrackingMode  # type: ignore[valid-type]
    territory_id: strawberry.ID | None = None
    max_speed_mps: float = 70.0
    max_accuracy_meters: float = 500.0
    max_age_hours: int = 72
    retention_days: int = 90
    expected_version: int | None = None


@strawberry.type
class TrackingPolicyPayload(Payload):
    policy: TrackingPolicyType | None = None


@strawberry.type
class TechnicianLocation:
    technician_id: strawberry.ID
    location: GeoPoint
    recorded_at: datetime
    accuracy_meters: float | None
    speed_mps: float | None
    heading: float | None

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> TechnicianLocation:
        return cls(
            technician_id=strawberry.ID(encode_id("Technician", data["technician_id"])),
            location=GeoPoint(lat=data["lat"], lng=data["lng"]),
            recorded_at=datetime.fromisoformat(data["recorded_at"]),
            accuracy_meters=data.get("accuracy_m"),
            speed_mps=data.get("speed_mps"),
            heading=data.get("heading"),
        )
