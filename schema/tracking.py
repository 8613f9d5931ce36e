"""GraphQL types for location ingest, tracking policies and live technician positions."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types.arguments import InputContext
from strawberry.types.base import get_object_definition

from app.core.auth import Role as DomainRole
from app.tracking.models import PingIn, TrackingPolicy, TrackingPolicyBase
from app.tracking.models import PingRejection as DomainPingRejection
from app.tracking.models import TrackingMode as DomainTrackingMode
from app.tracking.service import IngestResult
from app.tracking.trails import Stop
from app.tracking.trails import Trail as DomainTrail
from app.work_orders.models import Task
from app.work_orders.models import TaskStatus as DomainTaskStatus
from schema.common import GeoPoint, GeoPointInput
from schema.context import Info
from schema.errors import Payload
from schema.ids import encode_id
from schema.node import Node
from schema.pagination import FirstItems
from schema.permissions import internal
from schema.scalars import GeoJSON
from schema.users import Role

if TYPE_CHECKING:
    from schema.work_orders import TaskStatus, TaskType

TaskRef = Annotated["TaskType", strawberry.lazy("schema.work_orders")]
StatusRef = Annotated["TaskStatus", strawberry.lazy("schema.work_orders")]  # type: ignore[valid-type]

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
            recorded_at=_in_utc(self.recorded_at),
            accuracy_meters=self.accuracy_meters,
            speed_mps=self.speed_mps,
            heading=self.heading,
        )


def _in_utc(at: datetime) -> datetime:
    """The same instant with the standard library's UTC zone, which ingest compares and
    converts in C (dateutil's zones, which the DateTime scalar gives, run Python for each of
    the dozens of comparisons a ping goes through). A time without zone stays so, for ingest
    to refuse; one that UTC cannot hold (year 1 or 9999) stays as sent, refused as too old
    or in the future."""
    if at.tzinfo is None:
        return at
    try:
        return at.astimezone(UTC)
    except OverflowError:
        return at


@strawberry.input
class ReportLocationsInput:
    pings: list[LocationPingInput]
    idempotency_key: str | None = None


# A batch holds up to hundreds of pings, and strawberry's generic input conversion resolves
# the type of every field again for each of them: most of a reportLocations call's CPU time.
# These hooks build the inputs straight from the value graphql-core has already coerced and
# checked (types, nulls, defaults), so nothing is validated less.


def _ping_from_input(
    cls: type[LocationPingInput], value: Mapping[str, Any], context: InputContext | None = None
) -> LocationPingInput:
    point = value["point"]
    return cls(
        point=GeoPointInput(lat=point["lat"], lng=point["lng"]),
        recorded_at=value["recordedAt"],
        accuracy_meters=value.get("accuracyMeters"),
        speed_mps=value.get("speedMps"),
        heading=value.get("heading"),
    )


def _report_from_input(
    cls: type[ReportLocationsInput], value: Mapping[str, Any], context: InputContext
) -> ReportLocationsInput:
    return cls(
        pings=[_ping_from_input(LocationPingInput, ping) for ping in value["pings"]],
        idempotency_key=value.get("idempotencyKey"),
    )


get_object_definition(LocationPingInput, strict=True).from_input = _ping_from_input
get_object_definition(ReportLocationsInput, strict=True).from_input = _report_from_input


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
    vicinity_radius_meters: float
    vicinity_minutes: int
    late_grace_minutes: int
    travel_speed_kmh: float
    travel_detour: float
    stay_minutes: int
    stay_radius_meters: float
    trail_tolerance_meters: float
    version: int
    updated_at: datetime

    @classmethod
    def from_model(cls, row: TrackingPolicy) -> TrackingPolicyType:
        assert row.id is not None
        territory = None if row.territory_id is None else encode_id("Territory", row.territory_id)
        return cls(
            db_id=row.id,
            territory_id=None if territory is None else strawberry.ID(territory),
            version=row.version,
            updated_at=row.updated_at,
            **{name: getattr(row, name) for name in POLICY_SETTINGS},
        )


POLICY_SETTINGS = tuple(TrackingPolicyBase.model_fields)


@strawberry.input(description="Create or replace a territory's policy; no territory: the default.")
class SetTrackingPolicyInput:
    mode: TrackingMode  # type: ignore[valid-type]
    territory_id: strawberry.ID | None = None
    max_speed_mps: float = 70.0
    max_accuracy_meters: float = 500.0
    max_age_hours: int = 72
    retention_days: int = 90
    vicinity_radius_meters: float = 500.0
    vicinity_minutes: int = 10
    late_grace_minutes: int = 0
    travel_speed_kmh: float = 40.0
    travel_detour: float = 1.3
    stay_minutes: int = 5
    stay_radius_meters: float = 75.0
    trail_tolerance_meters: float = 10.0
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
    shared_results: strawberry.Private[dict[Hashable, Any] | None] = None
    """Set on a payload built once for every subscriber of its event (subscriptions.fanout)."""

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> TechnicianLocation:
        return cls(
            shared_results={},
            technician_id=strawberry.ID(encode_id("Technician", data["technician_id"])),
            location=GeoPoint(lat=data["lat"], lng=data["lng"]),
            recorded_at=datetime.fromisoformat(data["recorded_at"]),
            accuracy_meters=data.get("accuracy_m"),
            speed_mps=data.get("speed_mps"),
            heading=data.get("heading"),
        )


def _status(value: str) -> Any:
    return DomainTaskStatus(value)


@strawberry.type(
    description="What a customer sees of the visit: where the technician is and when they "
    "arrive, only while they travel to or are at the customer's site."
)
class TaskTracking:
    task_id: strawberry.ID
    status: StatusRef
    tracking: bool = strawberry.field(
        description="True while the technician's position is shown; the last message of a "
        "stream that ends (work started, task closed or reassigned) carries false."
    )
    location: GeoPoint | None
    recorded_at: datetime | None
    eta_minutes: int | None
    eta_at: datetime | None
    shared_results: strawberry.Private[dict[Hashable, Any] | None] = None
    """Set on a payload built once for every subscriber of its event (subscriptions.fanout)."""

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> TaskTracking:
        eta_at = data.get("eta_at")
        return cls(
            shared_results={},
            task_id=strawberry.ID(encode_id("Task", data["task_id"])),
            status=_status(data["status"]),
            tracking=True,
            location=GeoPoint(lat=data["lat"], lng=data["lng"]),
            recorded_at=datetime.fromisoformat(data["recorded_at"]),
            eta_minutes=data.get("eta_minutes"),
            eta_at=None if eta_at is None else datetime.fromisoformat(eta_at),
        )


def _role(value: Any) -> Any:
    try:
        return DomainRole(value)
    except ValueError:
        return None


@strawberry.type(description="A status change of a task, as it happens.")
class TaskEvent:
    action: str
    from_status: StatusRef | None
    to_status: StatusRef
    at: datetime
    actor: str = strawberry.field(extensions=[internal()])
    actor_role: Role | None = strawberry.field(  # type: ignore[valid-type]
        description="The role the actor acted in."
    )
    reason: str | None
    task_row: strawberry.Private[Any]

    @strawberry.field
    def task(self) -> TaskRef:
        from schema.work_orders import TaskType

        return TaskType.from_model(self.task_row)

    @classmethod
    def from_event(cls, data: dict[str, Any], row: Any) -> TaskEvent:
        return cls(
            action=str(data.get("action", "")),
            from_status=None if data.get("from") is None else _status(data["from"]),
            to_status=_status(data["to"]),
            at=datetime.fromisoformat(data["at"]),
            actor=str(data.get("actor", "")),
            actor_role=_role(data.get("actor_role")),
            reason=data.get("reason"),
            task_row=row,
        )


@strawberry.type(description="A place the technician stayed, with the task done there if any.")
class TrailStop:
    location: GeoPoint
    arrived_at: datetime
    left_at: datetime
    duration_minutes: int
    ping_count: int
    checked_in_at: datetime | None
    task_db_id: strawberry.Private[int | None]
    site_db_id: strawberry.Private[int | None]

    @strawberry.field
    def task_id(self) -> strawberry.ID | None:
        return _gid("Task", self.task_db_id)

    @strawberry.field
    def site_id(self) -> strawberry.ID | None:
        return _gid("Site", self.site_db_id)

    @strawberry.field(description="The task checked in at this stop.")
    async def task(self, info: Info) -> TaskRef | None:
        from schema.work_orders import TaskType

        if self.task_db_id is None:
            return None
        row = await info.context.loaders.by_id(Task).load(self.task_db_id)
        return None if row is None else TaskType.from_model(row)

    @classmethod
    def from_stop(cls, stop: Stop) -> TrailStop:
        return cls(
            location=GeoPoint(lat=stop.location.lat, lng=stop.location.lng),
            arrived_at=stop.arrived_at,
            left_at=stop.left_at,
            duration_minutes=stop.minutes,
            ping_count=stop.pings,
            checked_in_at=stop.checked_in_at,
            task_db_id=stop.task_id,
            site_db_id=stop.site_id,
        )


def _gid(type_name: str, db_id: int | None) -> strawberry.ID | None:
    return None if db_id is None else strawberry.ID(encode_id(type_name, db_id))


@strawberry.type(description="Where a technician went: the simplified path and the stops.")
class Trail:
    technician_id: strawberry.ID
    path: GeoJSON | None = strawberry.field(
        description="A GeoJSON LineString (longitude first), simplified within the policy's "
        "tolerance; null without pings."
    )
    distance_meters: float = strawberry.field(description="Along the raw pings.")
    ping_count: int
    stops: list[TrailStop] = strawberry.field(extensions=[FirstItems(100)])

    @classmethod
    def from_trail(cls, trail: DomainTrail) -> Trail:
        return cls(
            technician_id=strawberry.ID(encode_id("Technician", trail.technician_id)),
            path=None if trail.path is None else GeoJSON(trail.path),
            distance_meters=round(trail.distance_meters, 1),
            ping_count=trail.ping_count,
            stops=[TrailStop.from_stop(stop) for stop in trail.stops],
        )
