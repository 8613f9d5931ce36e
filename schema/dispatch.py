"""GraphQL types for dispatch runs, appointment slots and slot holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from app.core.models import utcnow
from app.dispatch.models import DispatchRun, HoldStatus, RunKind, RunStatus, SlotHold
from app.dispatch.slots import Slot
from app.dispatch.solver.problem import UnassignedReason
from app.technicians.models import Technician
from app.territories.models import Territory
from app.work_orders.models import Task
from schema.common import GeoPointInput
from schema.context import Info
from schema.dispatch_parts import DispatchPickup
from schema.errors import Payload
from schema.ids import encode_id
from schema.node import Node
from schema.pagination import Connection, FirstItems
from schema.technicians import TechnicianType
from schema.territories import TerritoryType
from schema.work_orders import TaskType

DispatchRunStatus = strawberry.enum(RunStatus, name="DispatchRunStatus")
DispatchRunKind = strawberry.enum(
    RunKind, name="DispatchRunKind", description="A planning asked for, or an in-day re-plan."
)
UnassignedReasonEnum = strawberry.enum(UnassignedReason, name="UnassignedReason")
SlotHoldStatus = strawberry.enum(HoldStatus, name="SlotHoldStatus")


def task_global_id(task_id: int) -> strawberry.ID:
    return strawberry.ID(encode_id("Task", task_id))


async def _load_task(info: Info, task_db_id: int) -> TaskType | None:
    row = await info.context.loaders.by_id(Task).load(task_db_id)
    return None if row is None else TaskType.from_model(row)


@strawberry.type(description="One visit of a planned route, in driving order.")
class DispatchStop:
    task_db_id: strawberry.Private[int]
    arrival: datetime = strawberry.field(
        description="When the technician is planned to reach the site (UTC)."
    )
    start: datetime = strawberry.field(
        description="When the work is planned to start (UTC): the arrival, or later when the "
        "technician must wait for the task's time window to open."
    )
    end: datetime = strawberry.field(description="When the work is planned to finish (UTC).")
    pinned: bool = strawberry.field(description="Accepted or started work kept in place.")

    @strawberry.field(description="The task's global ID.")
    def task_id(self) -> strawberry.ID:
        return task_global_id(self.task_db_id)

    @strawberry.field(description="The planned task; null if it is no longer readable.")
    async def task(self, info: Info) -> TaskType | None:
        return await _load_task(info, self.task_db_id)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DispatchStop:
        return cls(
            task_db_id=int(data["task_id"]),
            arrival=datetime.fromisoformat(data["arrival"]),
            start=datetime.fromisoformat(data["start"]),
            end=datetime.fromisoformat(data["end"]),
            pinned=bool(data.get("pinned", False)),
        )


@strawberry.type(description="One technician's planned day in a dispatch run.")
class DispatchRoute:
    technician_id: strawberry.Private[int]
    stops: list[DispatchStop] = strawberry.field(
        extensions=[FirstItems(50)], description="The visits in driving order."
    )
    pickups: list[DispatchPickup] = strawberry.field(
        default_factory=list,
        extensions=[FirstItems(50)],
        description="Stops at warehouses to collect parts, each right before the visit "
        "needing them (taskId), in driving order.",
    )

    @strawberry.field(description="The technician who drives this route.")
    async def technician(self, info: Info) -> TechnicianType | None:
        row = await info.context.loaders.by_id(Technician).load(self.technician_id)
        return None if row is None else TechnicianType.from_model(row)


@strawberry.type(description="A task the dispatch run could not place in any route, and why.")
class UnassignedTask:
    task_db_id: strawberry.Private[int]
    reason: UnassignedReasonEnum = strawberry.field(  # type: ignore[valid-type]
        description="Why the planner left the task out."
    )

    @strawberry.field(description="The task's global ID.")
    def task_id(self) -> strawberry.ID:
        return task_global_id(self.task_db_id)

    @strawberry.field(description="The unplaced task; null if it is no longer readable.")
    async def task(self, info: Info) -> TaskType | None:
        return await _load_task(info, self.task_db_id)


@strawberry.type(description="Figures of a dispatch run's plan; all zero until it has succeeded.")
class DispatchStats:
    task_count: int = strawberry.field(description="Tasks in the horizon the planner considered.")
    pinned_count: int = strawberry.field(
        description="Of those, accepted or started work kept in place."
    )
    technician_count: int = strawberry.field(
        description="Technicians on shift in the horizon the planner could use."
    )
    assigned_count: int = strawberry.field(description="Tasks placed in a route.")
    unassigned_count: int = strawberry.field(description="Tasks left out of every route.")
    moved_count: int = strawberry.field(
        description="Earlier assignments this plan gives to another technician or time."
    )
    published_count: int = strawberry.field(description="Offers sent to technicians.")
    travel_minutes: float = strawberry.field(
        description="Total planned driving time of all routes, in minutes."
    )
    distance_km: float = strawberry.field(
        description="Total planned driving distance of all routes, in kilometres (estimated "
        "from straight-line distance times a detour factor)."
    )
    solve_seconds: float = strawberry.field(description="Time the solver took, in seconds.")


@strawberry.type(
    name="DispatchRun",
    description="One automatic planning of a territory over a horizon: what was asked, by "
    "whom, and the plan that came out. Runs are solved in the background: poll `status`.",
)
class DispatchRunType(Node):
    territory_id: strawberry.Private[int]
    row: strawberry.Private[DispatchRun]
    kind: DispatchRunKind = strawberry.field(  # type: ignore[valid-type]
        description="Whether a dispatcher asked for it or it is an automatic in-day re-plan."
    )
    status: DispatchRunStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where the run stands; routes and stats are filled once it SUCCEEDED."
    )
    horizon_start: datetime = strawberry.field(
        name="from", description="Start of the planned horizon (UTC)."
    )
    horizon_end: datetime = strawberry.field(
        name="to", description="End of the planned horizon (UTC)."
    )
    time_limit_seconds: float = strawberry.field(
        description="How long the solver was allowed to search, in seconds."
    )
    publish: bool = strawberry.field(
        description="Whether the plan's new or moved assignments are offered to the "
        "technicians once solved (false: a preview only)."
    )
    from_current_plan: bool = strawberry.field(
        description="Whether it started from the assignments in force, as an in-day re-plan "
        "does, rather than planning the horizon afresh."
    )
    requested_by: str = strawberry.field(
        description="Login subject of the user who asked for the run (a system subject "
        "for automatic re-plans)."
    )
    requested_at: datetime = strawberry.field(description="When the run was asked for.")
    started_at: datetime | None = strawberry.field(
        description="When a solver began it; null while QUEUED."
    )
    finished_at: datetime | None = strawberry.field(
        description="When it succeeded or failed; null while queued or running."
    )
    error: str | None = strawberry.field(description="Why a FAILED run broke; null otherwise.")

    @classmethod
    def from_model(cls, row: DispatchRun) -> DispatchRunType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            territory_id=row.territory_id,
            row=row,
            kind=row.kind,
            status=row.status,
            horizon_start=row.horizon_start,
            horizon_end=row.horizon_end,
            time_limit_seconds=row.time_limit_seconds,
            publish=row.publish,
            from_current_plan=row.from_current_plan,
            requested_by=row.requested_by,
            requested_at=row.requested_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            error=row.error,
        )

    @strawberry.field(description="0..1; while running, the share of the time limit used.")
    def progress(self) -> float:
        run = self.row
        if run.status is RunStatus.RUNNING and run.started_at is not None:
            elapsed = (utcnow() - run.started_at).total_seconds()
            return round(min(0.95, max(run.progress, elapsed / run.time_limit_seconds)), 3)
        return run.progress

    @strawberry.field(description="Figures of the plan: counts, travel and solve time.")
    def stats(self) -> DispatchStats:
        run = self.row
        return DispatchStats(
            task_count=run.task_count,
            pinned_count=run.pinned_count,
            technician_count=run.technician_count,
            assigned_count=run.assigned_count,
            unassigned_count=run.unassigned_count,
            moved_count=run.moved_count,
            published_count=run.published_count,
            travel_minutes=run.travel_minutes,
            distance_km=run.distance_km,
            solve_seconds=run.solve_seconds,
        )

    @strawberry.field(
        extensions=[FirstItems(100)],
        description="The planned route of each technician, as solved; empty until SUCCEEDED.",
    )
    def routes(self) -> list[DispatchRoute]:
        return [
            DispatchRoute(
                technician_id=route["technician_id"],
                stops=[DispatchStop.from_json(stop) for stop in route["stops"]],
                pickups=[DispatchPickup.from_json(p) for p in route.get("pickups", ())],
            )
            for route in self.row.routes
        ]

    @strawberry.field(
        extensions=[FirstItems(100)],
        description="Tasks the plan could not place, each with the reason.",
    )
    def unassigned(self) -> list[UnassignedTask]:
        return [
            UnassignedTask(task_db_id=int(item["task_id"]), reason=UnassignedReason(item["reason"]))
            for item in self.row.unassigned
        ]

    @strawberry.field(description="The territory planned.")
    async def territory(self, info: Info) -> TerritoryType | None:
        row = await info.context.loaders.by_id(Territory).load(self.territory_id)
        return None if row is None else TerritoryType.from_model(row)


DispatchRunConnection = Connection[DispatchRunType]


@strawberry.input(description="What to plan: a territory over a horizon shorter than 14 days.")
class RunDispatchInput:
    territory_id: strawberry.ID
    from_: datetime = strawberry.field(
        name="from", description="Start of the horizon; must carry a zone offset."
    )
    to: datetime = strawberry.field(
        description="End of the horizon, after from and less than 14 days later; must carry a "
        "zone offset."
    )
    time_limit_seconds: float = strawberry.field(
        default=10.0,
        description="How long the solver may search, in seconds (over 0, at most 600).",
    )
    publish: bool = strawberry.field(
        default=False,
        description="Offer the new or moved assignments to the technicians once solved; "
        "false computes a preview only.",
    )
    from_current_plan: bool = strawberry.field(
        default=False,
        description="Plan like an in-day re-plan: start from the assignments in force "
        "(scheduled and offered work), keep each within DISPATCH_REPLAN_MOVE_MINUTES of its "
        "time and give it to another technician only where that pays. Otherwise the horizon "
        "is planned afresh (current technicians are still preferred).",
    )


@strawberry.type
class DispatchRunPayload(Payload):
    dispatch_run: DispatchRunType | None = strawberry.field(
        default=None, description="The queued run; null when the request was refused."
    )


# --- appointment slots ---------------------------------------------------------------------


@strawberry.input(description="The visit to find appointment slots for.")
class SlotQueryInput:
    point: GeoPointInput = strawberry.field(description="Where the visit would be.")
    duration_minutes: int = strawberry.field(description="How long the work takes on site.")
    skills: list[str] | None = strawberry.field(
        default=None, description="Skill codes the technician needs."
    )
    from_: datetime | None = strawberry.field(
        name="from", default=None, description="Earliest slot start; default: the next hour."
    )
    to: datetime | None = strawberry.field(
        default=None, description="Latest slot end; default: three days after from."
    )
    slot_minutes: int | None = strawberry.field(
        default=None, description="Length of each offered slot (the customer's window)."
    )
    task_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The task the visit is for, when it exists: the slot then fits the task's "
        "learned 80th-percentile duration when the prediction is confident (its static "
        "duration otherwise) instead of durationMinutes.",
    )


@strawberry.type(description="An appointment window that a technician's day can still take.")
class AppointmentSlot:
    start: datetime = strawberry.field(
        description="Start of the window offered to the customer (UTC)."
    )
    end: datetime = strawberry.field(description="End of the window (UTC).")
    technician_count: int = strawberry.field(
        description="Technicians whose current day can still take the visit in this slot."
    )

    @classmethod
    def from_slot(cls, slot: Slot) -> AppointmentSlot:
        return cls(start=slot.start, end=slot.end, technician_count=slot.technician_count)


@strawberry.type(
    name="SlotHold",
    description="Capacity reserved on a technician's day for a customer's appointment window "
    "until it expires; booking the task with it makes the window the task's appointment.",
)
class SlotHoldType(Node):
    start: datetime = strawberry.field(description="Start of the held window (UTC).")
    end: datetime = strawberry.field(description="End of the held window (UTC).")
    duration_minutes: int = strawberry.field(
        description="On-site duration reserved, in minutes; the booked task must fit in it."
    )
    status: SlotHoldStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where the hold stands; only an ACTIVE one can be booked."
    )
    expires_at: datetime = strawberry.field(
        description="When an unused hold lapses and frees the capacity (UTC)."
    )

    @classmethod
    def from_model(cls, row: SlotHold) -> SlotHoldType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            start=row.slot_start,
            end=row.slot_end,
            duration_minutes=row.duration_minutes,
            status=row.status,
            expires_at=row.expires_at,
        )


@strawberry.input(description="The appointment window to reserve and the visit it is for.")
class HoldSlotInput:
    point: GeoPointInput = strawberry.field(
        description="Where the visit would be; it decides the territory."
    )
    duration_minutes: int = strawberry.field(
        description="How long the work takes on site, in minutes."
    )
    skills: list[str] | None = strawberry.field(
        default=None, description="Skill codes the technician needs; null or empty: none."
    )
    start: datetime = strawberry.field(
        description="Start of the window to hold, usually an AppointmentSlot's start."
    )
    end: datetime = strawberry.field(description="End of the window to hold.")
    customer_id: strawberry.ID | None = None
    site_id: strawberry.ID | None = None


@strawberry.input(description="The slot hold to give back.")
class ReleaseSlotHoldInput:
    id: strawberry.ID


@strawberry.type
class SlotHoldPayload(Payload):
    slot_hold: SlotHoldType | None = strawberry.field(
        default=None, description="The hold as it is now; null when the request was refused."
    )
