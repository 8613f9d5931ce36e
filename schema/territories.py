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
    day: date = strawberry.field(
        description="The holiday's calendar date in the territory's time zone."
    )
    name: str = strawberry.field(description="Holiday name, e.g. Diwali.")


@strawberry.type(
    name="Territory",
    description="A service area with its own time zone and holiday calendar; technicians "
    "belong to territories.",
)
class TerritoryType(Node):
    name: str = strawberry.field(description="Display name of the territory.")
    code: str = strawberry.field(description="Unique short code of the territory.")
    time_zone: str = strawberry.field(description="IANA time zone of the weekly hours.")
    description: str | None = strawberry.field(description="Free-text notes; null when none.")
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
        from_: Annotated[
            date | None,
            strawberry.argument(
                name="from", description="First local date to include; omit for all holidays."
            ),
        ] = None,
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


@strawberry.input(description="A new territory.")
class CreateTerritoryInput:
    name: str = strawberry.field(description="Display name, 1 to 120 characters.")
    code: str = strawberry.field(description="Unique short code; a duplicate is refused.")
    time_zone: str = strawberry.field(description="IANA time zone name, e.g. Asia/Kolkata.")
    area: GeoJSON = strawberry.field(description="The area as a GeoJSON Polygon or MultiPolygon.")
    description: str | None = strawberry.field(
        default=None, description="Optional free-text notes."
    )
    idempotency_key: str | None = None


@strawberry.input(description="Changes to a territory; omitted fields stay as they are.")
class UpdateTerritoryInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.field(default=strawberry.UNSET, description="New display name.")
    time_zone: str | None = strawberry.field(
        default=strawberry.UNSET, description="New IANA time zone name, e.g. Asia/Kolkata."
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="New free-text notes; null clears them."
    )
    area: GeoJSON | None = strawberry.field(
        default=strawberry.UNSET, description="New area as a GeoJSON Polygon or MultiPolygon."
    )


@strawberry.input(description="A holiday to add to a territory's calendar.")
class AddHolidayInput:
    territory_id: strawberry.ID
    day: date = strawberry.field(
        description="Local calendar date; a territory has at most one holiday a day."
    )
    name: str = strawberry.field(description="Holiday name, 1 to 120 characters.")
    expected_version: int | None = None


@strawberry.input(description="A holiday to remove from a territory's calendar.")
class RemoveHolidayInput:
    territory_id: strawberry.ID
    day: date = strawberry.field(description="Local date of the holiday to remove.")
    expected_version: int | None = None


@strawberry.type
class TerritoryPayload(Payload):
    territory: TerritoryType | None = strawberry.field(
        default=None, description="The territory after the change; null when it failed."
    )
