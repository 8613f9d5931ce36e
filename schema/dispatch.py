"""GraphQL types for dispatch runs, appointment slots and slot holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from app.core.models import utcnow
from app.dispatch.models import DispatchRun, HoldStatus, RunKind, RunStatus, SlotHold
from app.dispatch.problem import UnassignedReason
from app.dispatch.slots import Slot
from app.technicians.models import Technician
from app.territories.models import Territory
from app.work_orders.models import Task
from schema.common import GeoPointInput
from schema.context import Info
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


@strawberry.type
class DispatchStop:
    task_db_id: strawberry.Private[int]
    arrival: datetime
    start: datetime
    end: datetime
    pinned: bool = strawberry.field(description="Accepted or started work kept in place.")

    @strawberry.field(description="The task's global ID.")
    def task_id(self) -> strawberry.ID:
        return task_global_id(self.task_db_id)

    @strawberry.field
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


@strawberry.type
class DispatchRoute:
    technician_id: strawberry.Private[int]
    stops: list[DispatchStop] = strawberry.field(extensions=[FirstItems(50)])

    @strawberry.field
    async def technician(self, info: Info) -> TechnicianType | None:
        row = await info.context.loaders.by_id(Technician).load(self.technician_id)
        return None if row is None else TechnicianType.from_model(row)


@strawberry.type
class UnassignedTask:
    task_db_id: strawberry.Private[int]
    reason: UnassignedReasonEnum  # type: ignore[valid-type]

    @strawberry.field(description="The task's global ID.")
    def task_id(self) -> strawberry.ID:
        return task_global_id(self.task_db_id)

    @strawberry.field
    async def task(self, info: Info) -> TaskType | None:
        return await _load_task(info, self.task_db_id)


@strawberry.type
class DispatchStats:
    task_count: int
    pinned_count: int
    technician_count: int
    assigned_count: int
    unassigned_count: int
    moved_count: int = strawberry.field(
        description="Earlier assignments this plan gives to another technician or time."
    )
    published_count: int = strawberry.field(description="Offers sent to technicians.")
    travel_minutes: float
    distance_km: float
    solve_seconds: float


@strawberry.type(name="DispatchRun")
class DispatchRunType(Node):
    territory_id: strawberry.Private[int]
    row: strawberry.Private[DispatchRun]
    kind: DispatchRunKind  # type: ignore[valid-type]
    status: DispatchRunStatus  # type: ignore[valid-type]
    horizon_start: datetime = strawberry.field(name="from")
    horizon_end: datetime = strawberry.field(name="to")
    time_limit_seconds: float
    publish: bool
    from_current_plan: bool
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None

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

    @strawberry.field
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

    @strawberry.field(extensions=[FirstItems(100)])
    def routes(self) -> list[DispatchRoute]:
        return [
            DispatchRoute(
                technician_id=route["technician_id"],
                stops=[DispatchStop.from_json(stop) for stop in route["stops"]],
            )
            for route in self.row.routes
        ]

    @strawberry.field(extensions=[FirstItems(100)])
    def unassigned(self) -> list[UnassignedTask]:
        return [
            UnassignedTask(task_db_id=int(item["task_id"]), reason=UnassignedReason(item["reason"]))
            for item in self.row.unassigned
        ]

    @strawberry.field
    async def territory(self, info: Info) -> TerritoryType | None:
        row = await info.context.loaders.by_id(Territory).load(self.territory_id)
        return None if row is None else TerritoryType.from_model(row)


DispatchRunConnection = Connection[DispatchRunType]


@strawberry.input
class RunDispatchInput:
    territory_id: strawberry.ID
    from_: datetime = strawberry.field(name="from")
    to: datetime
    time_limit_seconds: float = 10.0
    publish: bool = False
    from_current_plan: bool = strawberry.field(
        default=False,
        description="Plan like an in-day re-plan: start from the assignments in force "
        "(scheduled and offered work), keep each within DISPATCH_REPLAN_MOVE_MINUTES of its "
        "time and give it to another technician only where that pays. Otherwise the horizon "
        "is planned afresh (current technicians are still preferred).",
    )


@strawberry.type
class DispatchRunPayload(Payload):
    dispatch_run: DispatchRunType | None = None


# --- appointment slots ---------------------------------------------------------------------


@strawberry.input
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


@strawberry.type
class AppointmentSlot:
    start: datetime
    end: datetime
    technician_count: int = strawberry.field(
        description="Technicians whose current day can still take the visit in this slot."
    )

    @classmethod
    def from_slot(cls, slot: Slot) -> AppointmentSlot:
        return cls(start=slot.start, end=slot.end, technician_count=slot.technician_count)


@strawberry.type(name="SlotHold")
class SlotHoldType(Node):
    start: datetime
    end: datetime
    duration_minutes: int
    status: SlotHoldStatus  # type: ignore[valid-type]
    expires_at: datetime

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


@strawberry.input
class HoldSlotInput:
    point: GeoPointInput
    duration_minutes: int
    skills: list[str] | None = None
    start: datetime
    end: datetime
    customer_id: strawberry.ID | None = None
    site_id: strawberry.ID | None = None


@strawberry.input
class ReleaseSlotHoldInput:
    id: strawberry.ID


@strawberry.type
class SlotHoldPayload(Payload):
    slot_hold: SlotHoldType | None = None
