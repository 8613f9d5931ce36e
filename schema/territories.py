"""GraphQL types for territories and their holiday calendars."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.core.geo import to_geojson
from app.technicians import repository as technicians
from app.territories.models import Territory, TerritoryHoliday
from schema.context import Info
from schema.errors import Payload
from schema.node import Node
from schema.pagination import FirstItems
from schema.scalars import GeoJSON

if TYPE_CHECKING:
    from schema.technicians import TechnicianType


@strawberry.type(name="Holiday", description="A day off for the whole territory (local date).")
class HolidayType:
    day: date
    name: str


@strawberry.type(name="Territory")
class TerritoryType(Node):
    name: str
    code: str
    time_zone: str = strawberry.field(description="IANA time zone of the weekly hours.")
    description: str | None
    area: GeoJSON = strawberry.field(description="A GeoJSON MultiPolygon.")
    version: int
    created_at: datetime
    archived_at: datetime | None

    @strawberry.field(
        extensions=[FirstItems(50)],
        description="Holidays from `from` on (all when omitted), by date.",
    )
    async def holidays(
        self,
        info: Info,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
    ) -> list[HolidayType]:
        loader = info.context.loaders.children(TerritoryHoliday, TerritoryHoliday.territory_id)
        rows = sorted(await loader.load(self.db_id), key=lambda h: h.day)
        return [
            HolidayType(day=h.day, name=h.name) for h in rows if from_ is None or h.day >= from_
        ]

    @strawberry.field(
        extensions=[FirstItems(20)], description="Technicians who belong to the territory today."
    )
    async def technicians(
        self, info: Info
    ) -> list[Annotated[TechnicianType, strawberry.lazy("schema.technicians")]]:
        from schema.technicians import TechnicianType

        session, principal = info.context.session, info.context.principal

        async def load(ids: list[int]) -> list[list[Any]]:
            return await technicians.current_members(session, principal, ids)

        rows = await info.context.loaders.custom("territory.technicians", load).load(self.db_id)
        return [TechnicianType.from_model(row) for row in rows]

    @classmethod
    def from_model(cls, row: Territory) -> TerritoryType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            name=row.name,
            code=row.code,
            time_zone=row.time_zone,
            description=row.description,
            area=GeoJSON(to_geojson(row.area) or {}),
            version=row.version,
            created_at=row.created_at,
            archived_at=row.archived_at,
        )


@strawberry.input
class CreateTerritoryInput:
    name: str
    code: str
    time_zone: str
    area: GeoJSON
    description: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class UpdateTerritoryInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.UNSET
    time_zone: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    area: GeoJSON | None = strawberry.UNSET


@strawberry.input
class AddHolidayInput:
    territory_id: strawberry.ID
    day: date
    name: str
    expected_version: int | None = None


@strawberry.input
class RemoveHolidayInput:
    territory_id: strawberry.ID
    day: date
    expected_version: int | None = None


@strawberry.type
class TerritoryPayload(Payload):
    territory: TerritoryType | None = None
