"""GraphQL types for the parts a task needs and the pickups a dispatch plan makes for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from app.dispatch.part_needs import NeedSource, PartNeed, PartsView
from app.inventory.models import Part, StockLocation
from schema.context import Info
from schema.errors import Payload
from schema.ids import encode_id
from schema.inventory import PartType, StockLocationType
from schema.pagination import FirstItems

PartNeedSource = strawberry.enum(NeedSource, name="PartNeedSource")


async def _part(info: Info, part_id: int) -> PartType | None:
    row = await info.context.loaders.by_id(Part).load(part_id)
    return None if row is None else PartType.from_model(row)


async def _location(info: Info, location_id: int) -> StockLocationType | None:
    row = await info.context.loaders.by_id(StockLocation).load(location_id)
    return None if row is None else StockLocationType.from_model(row)


@strawberry.type(description="Units of a part a task needs, and where the need comes from.")
class TaskPartNeedType:
    part_db_id: strawberry.Private[int]
    quantity: int = strawberry.field(description="Units needed.")
    source: PartNeedSource = strawberry.field(  # type: ignore[valid-type]
        description="DIAGNOSIS (suspected by the remote diagnosis) or DISPATCHER (set on the task)."
    )

    @strawberry.field(description="The part's global ID.")
    def part_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Part", self.part_db_id))

    @strawberry.field(description="The part; null if it is no longer readable.")
    async def part(self, info: Info) -> PartType | None:
        return await _part(info, self.part_db_id)

    @classmethod
    def from_need(cls, need: PartNeed) -> TaskPartNeedType:
        return cls(part_db_id=need.part_id, quantity=need.quantity, source=need.source)


@strawberry.type(description="Units of a part collected at a pickup.")
class PickupPart:
    part_db_id: strawberry.Private[int]
    quantity: int = strawberry.field(description="Units collected.")

    @strawberry.field(description="The part's global ID.")
    def part_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Part", self.part_db_id))

    @strawberry.field(description="The part; null if it is no longer readable.")
    async def part(self, info: Info) -> PartType | None:
        return await _part(info, self.part_db_id)


@strawberry.type(
    description="A planned stop at a warehouse to collect the parts of the route's next visit."
)
class DispatchPickup:
    task_db_id: strawberry.Private[int]
    location_db_id: strawberry.Private[int]
    arrival: datetime = strawberry.field(description="When the technician reaches the warehouse.")
    start: datetime = strawberry.field(description="When the pickup starts (UTC).")
    end: datetime = strawberry.field(description="When the technician leaves with the parts.")
    parts: list[PickupPart] = strawberry.field(
        extensions=[FirstItems(20)], description="The parts collected, with their units."
    )

    @strawberry.field(description="Global ID of the task the parts are for.")
    def task_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Task", self.task_db_id))

    @strawberry.field(description="Global ID of the warehouse (stock location).")
    def location_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("StockLocation", self.location_db_id))

    @strawberry.field(description="The warehouse; null if it is no longer readable.")
    async def location(self, info: Info) -> StockLocationType | None:
        return await _location(info, self.location_db_id)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DispatchPickup:
        return cls(
            task_db_id=int(data["task_id"]),
            location_db_id=int(data["location_id"]),
            arrival=datetime.fromisoformat(data["arrival"]),
            start=datetime.fromisoformat(data["start"]),
            end=datetime.fromisoformat(data["end"]),
            parts=[
                PickupPart(part_db_id=int(p["part_id"]), quantity=int(p["quantity"]))
                for p in data["parts"]
            ],
        )


@strawberry.type(description="Units a published plan reserved at a warehouse for a pickup.")
class PickupReservationType:
    location_db_id: strawberry.Private[int]
    part_db_id: strawberry.Private[int]
    technician_db_id: strawberry.Private[int]
    quantity: int = strawberry.field(description="Units reserved.")
    reserved_at: datetime = strawberry.field(description="When they were reserved.")

    @strawberry.field(description="The warehouse; null if it is no longer readable.")
    async def location(self, info: Info) -> StockLocationType | None:
        return await _location(info, self.location_db_id)

    @strawberry.field(description="The part; null if it is no longer readable.")
    async def part(self, info: Info) -> PartType | None:
        return await _part(info, self.part_db_id)

    @strawberry.field(description="Global ID of the technician who picks them up.")
    def technician_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Technician", self.technician_db_id))


@strawberry.type(description="The parts a task needs, where they are, and what is reserved.")
class TaskPartNeeds:
    task_db_id: strawberry.Private[int]
    needs: list[TaskPartNeedType] = strawberry.field(
        extensions=[FirstItems(20)], description="Each needed part with its units and source."
    )
    reservations: list[PickupReservationType] = strawberry.field(
        extensions=[FirstItems(50)],
        description="Warehouse units reserved for the task's planned pickups, in force.",
    )
    explanation: list[str] = strawberry.field(
        extensions=[FirstItems(50)],
        description="What decides the task's parts for dispatch, one line each: which vans "
        "hold them, which warehouses stock them, or that no stock is anywhere.",
    )

    @strawberry.field(description="The task's global ID.")
    def task_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Task", self.task_db_id))

    @classmethod
    def from_view(cls, view: PartsView) -> TaskPartNeeds:
        return cls(
            task_db_id=view.task_id,
            needs=[TaskPartNeedType.from_need(n) for n in view.needs],
            reservations=[
                PickupReservationType(
                    location_db_id=r.location_id,
                    part_db_id=r.part_id,
                    technician_db_id=r.technician_id,
                    quantity=r.quantity,
                    reserved_at=r.reserved_at,
                )
                for r in view.reservations
            ],
            explanation=list(view.explanation),
        )


@strawberry.input(description="Units of a part a task needs.")
class PartNeedInput:
    part_id: strawberry.ID
    quantity: int = strawberry.field(
        default=1, description="Units, 0 to 999; 0 drops a part a diagnosis suspected."
    )


@strawberry.input(description="Replace the part needs a dispatcher set on a task.")
class SetTaskPartNeedsInput:
    task_id: strawberry.ID
    parts: list[PartNeedInput] = strawberry.field(
        description="At most 20 parts, each once; an empty list clears the dispatcher's needs "
        "(the diagnosis's remain)."
    )
    expected_version: int | None = strawberry.field(
        default=None, description="The task's version as last read; refused when it moved on."
    )


@strawberry.type(description="The result of setTaskPartNeeds.")
class TaskPartNeedsPayload(Payload):
    part_needs: TaskPartNeeds | None = strawberry.field(
        default=None, description="The task's part needs now; null when userErrors are returned."
    )
    task_version: int | None = strawberry.field(
        default=None, description="The task's version after the change."
    )
