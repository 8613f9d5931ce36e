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
    point: GeoPointInput = strawberry.field(
        description="Where the phone was; 0,0 is refused as a phone without a fix."
    )
    recorded_at: datetime = strawberry.field(
        description="When the phone took the fix, with a zone offset; at most 2 minutes in "
        "the future and no older than the policy's maxAgeHours."
    )
    accuracy_meters: float | None = strawberry.field(
        default=None,
        description="Horizontal accuracy radius reported by the phone, in metres; null if "
        "unknown. Above the policy's maxAccuracyMeters the ping is refused.",
    )
    speed_mps: float | None = strawberry.field(
        default=None, description="Ground speed in metres per second (>= 0); null if unknown."
    )
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


@strawberry.input(
    description="A batch of the technician's positions, in any order (e.g. buffered offline)."
)
class ReportLocationsInput:
    pings: list[LocationPingInput] = strawberry.field(description="At most 500 pings per call.")
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


@strawberry.type(description="How many pings of a batch were refused for one reason.")
class PingRejectionCount:
    reason: PingRejectionReason = strawberry.field(  # type: ignore[valid-type]
        description="Why they were refused."
    )
    count: int = strawberry.field(description="How many pings were refused for it.")


@strawberry.type
class ReportLocationsPayload(Payload):
    accepted: int | None = strawberry.field(
        default=None, description="Pings stored; null when the call was refused."
    )
    rejected: int | None = strawberry.field(
        default=None, description="Pings refused: the sum of rejections."
    )
    duplicates: int | None = strawberry.field(
        default=None,
        description="Pings ignored because one with the same recordedAt is already stored or "
        "is in the batch (safe to resend a batch).",
    )
    rejections: list[PingRejectionCount] | None = strawberry.field(
        default=None, description="Refused pings counted by reason; empty when none."
    )

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


_POLICY_DOCS = {
    "mode": "When a technician's positions are kept (a privacy rule).",
    "max_speed_mps": "A move between two pings faster than this, in metres per second, is "
    "refused as a GPS jump (70 = 252 km/h).",
    "max_accuracy_meters": "Pings with a larger accuracy radius, in metres, are refused as "
    "LOW_ACCURACY.",
    "max_age_hours": "Pings recorded longer ago than this many hours are refused as TOO_OLD.",
    "retention_days": "Days location pings are kept; whole UTC days are deleted once no "
    "policy keeps them.",
    "vicinity_radius_meters": "A technician travelling to a task this close to the site, in "
    "metres (straight line), triggers the customer's nearby notice.",
    "vicinity_minutes": "...or this few minutes away by the ETA, whichever comes first; 0: "
    "distance only.",
    "late_grace_minutes": "Minutes the ETA may pass the appointment window's end before the "
    "task is reported running late.",
    "travel_speed_kmh": "Average driving speed for ETAs, in km/h.",
    "travel_detour": "Road distance over straight-line distance for ETAs (1 to 5).",
    "stay_minutes": "Minimum minutes within stayRadiusMeters for a trail to show a stop.",
    "stay_radius_meters": "Radius, in metres, a technician must stay within for a trail stop.",
    "trail_tolerance_meters": "How far, in metres, the simplified trail path may stray from "
    "the raw pings.",
}


def _policy(name: str, **kwargs: Any) -> Any:
    return strawberry.field(description=_POLICY_DOCS[name], **kwargs)


@strawberry.type(
    name="TrackingPolicy",
    description="How technicians' positions are collected, kept and used in a territory; the "
    "one without territory applies where a territory has none.",
)
class TrackingPolicyType(Node):
    territory_id: strawberry.ID | None
    mode: TrackingMode = _policy("mode")  # type: ignore[valid-type]
    max_speed_mps: float = _policy("max_speed_mps")
    max_accuracy_meters: float = _policy("max_accuracy_meters")
    max_age_hours: int = _policy("max_age_hours")
    retention_days: int = _policy("retention_days")
    vicinity_radius_meters: float = _policy("vicinity_radius_meters")
    vicinity_minutes: int = _policy("vicinity_minutes")
    late_grace_minutes: int = _policy("late_grace_minutes")
    travel_speed_kmh: float = _policy("travel_speed_kmh")
    travel_detour: float = _policy("travel_detour")
    stay_minutes: int = _policy("stay_minutes")
    stay_radius_meters: float = _policy("stay_radius_meters")
    trail_tolerance_meters: float = _policy("trail_tolerance_meters")
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
    mode: TrackingMode = _policy("mode")  # type: ignore[valid-type]
    territory_id: strawberry.ID | None = None
    max_speed_mps: float = _policy("max_speed_mps", default=70.0)
    max_accuracy_meters: float = _policy("max_accuracy_meters", default=500.0)
    max_age_hours: int = _policy("max_age_hours", default=72)
    retention_days: int = _policy("retention_days", default=90)
    vicinity_radius_meters: float = _policy("vicinity_radius_meters", default=500.0)
    vicinity_minutes: int = _policy("vicinity_minutes", default=10)
    late_grace_minutes: int = _policy("late_grace_minutes", default=0)
    travel_speed_kmh: float = _policy("travel_speed_kmh", default=40.0)
    travel_detour: float = _policy("travel_detour", default=1.3)
    stay_minutes: int = _policy("stay_minutes", default=5)
    stay_radius_meters: float = _policy("stay_radius_meters", default=75.0)
    trail_tolerance_meters: float = _policy("trail_tolerance_meters", default=10.0)
    expected_version: int | None = None


@strawberry.type
class TrackingPolicyPayload(Payload):
    policy: TrackingPolicyType | None = strawberry.field(
        default=None, description="The policy as saved; null when the change was refused."
    )


@strawberry.type(description="A technician's newest position, as reported by their app.")
class TechnicianLocation:
    technician_id: strawberry.ID
    location: GeoPoint = strawberry.field(description="Where the technician is.")
    recorded_at: datetime = strawberry.field(description="When the phone took the fix (UTC).")
    accuracy_meters: float | None = strawberry.field(
        description="Accuracy radius reported by the phone, in metres; null if unknown."
    )
    speed_mps: float | None = strawberry.field(
        description="Ground speed in metres per second; null if unknown."
    )
    heading: float | None = strawberry.field(
        description="Degrees clockwise from north, 0 <= heading < 360; null if unknown."
    )
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
    status: StatusRef = strawberry.field(description="The task's status now.")
    tracking: bool = strawberry.field(
        description="True while the technician's position is shown; the last message of a "
        "stream that ends (work started, task closed or reassigned) carries false."
    )
    location: GeoPoint | None = strawberry.field(
        description="The technician's latest position; null while not tracking."
    )
    recorded_at: datetime | None = strawberry.field(
        description="When that position was recorded (UTC); null while not tracking."
    )
    eta_minutes: int | None = strawberry.field(
        description="Estimated driving minutes from that position to the site, 0 once on "
        "site; null while not tracking or before the first position."
    )
    eta_at: datetime | None = strawberry.field(
        description="Estimated arrival time (UTC): recordedAt plus etaMinutes; null while not "
        "tracking or before the first position."
    )
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
    action: str = strawberry.field(
        description="The lifecycle step, e.g. CREATE, ASSIGN, ACCEPT, START_TRAVEL, CHECK_IN, "
        "START_WORK, COMPLETE, RESCHEDULE, CANCEL."
    )
    from_status: StatusRef | None = strawberry.field(
        description="Status before the change; null for a newly created task."
    )
    to_status: StatusRef = strawberry.field(description="Status after the change.")
    at: datetime = strawberry.field(description="When the change was made (UTC).")
    actor: str = strawberry.field(
        extensions=[internal()], description="Login subject of who made the change."
    )
    actor_role: Role | None = strawberry.field(  # type: ignore[valid-type]
        description="The role the actor acted in."
    )
    reason: str | None = strawberry.field(
        description="The reason given with the change (e.g. for a rejection); null if none."
    )
    task_row: strawberry.Private[Any]

    @strawberry.field(description="The task as it is now, as the task query shows it.")
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
    location: GeoPoint = strawberry.field(description="The centre of the pings of the stay.")
    arrived_at: datetime = strawberry.field(description="First ping of the stay (UTC).")
    left_at: datetime = strawberry.field(description="Last ping of the stay (UTC).")
    duration_minutes: int = strawberry.field(description="Whole minutes from arrivedAt to leftAt.")
    ping_count: int = strawberry.field(description="Pings recorded during the stay.")
    checked_in_at: datetime | None = strawberry.field(
        description="When the technician checked in to a task here; null without a check-in."
    )
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
    ping_count: int = strawberry.field(description="Pings recorded in the period.")
    stops: list[TrailStop] = strawberry.field(
        extensions=[FirstItems(100)],
        description="Places the technician stayed (per the policy's stay rule), in time order.",
    )

    @classmethod
    def from_trail(cls, trail: DomainTrail) -> Trail:
        return cls(
            technician_id=strawberry.ID(encode_id("Technician", trail.technician_id)),
            path=None if trail.path is None else GeoJSON(trail.path),
            distance_meters=round(trail.distance_meters, 1),
            ping_count=trail.ping_count,
            stops=[TrailStop.from_stop(stop) for stop in trail.stops],
        )
