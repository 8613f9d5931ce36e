"""Territory queries and mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.core.auth import Role
from app.core.errors import collect
from app.territories import repository, service
from app.territories.models import TerritoryCreate, TerritoryHolidayCreate, TerritoryUpdate
from resolvers.base import execute
from schema.common import GeoPointInput
from schema.context import Info
from schema.ids import decode_id
from schema.inputs import ArchiveInput, provided
from schema.node import register_node
from schema.pagination import FirstItems
from schema.permissions import allow, authenticated
from schema.territories import (
    AddHolidayInput,
    CreateTerritoryInput,
    RemoveHolidayInput,
    TerritoryPayload,
    TerritoryType,
    UpdateTerritoryInput,
)

register_node(TerritoryType, repository.get_readable, TerritoryType.from_model)


@strawberry.type
class TerritoriesQuery:
    @strawberry.field(
        extensions=[authenticated(), FirstItems(100)], description="Territories by name."
    )
    async def territories(self, info: Info, include_archived: bool = False) -> list[TerritoryType]:
        statement = repository.listed(info.context.principal, include_archived=include_archived)
        rows = (await info.context.session.scalars(statement)).all()
        return [TerritoryType.from_model(row) for row in rows]

    @strawberry.field(
        extensions=[authenticated()],
        description="The active territory that contains the point (the smallest if several).",
    )
    async def territory_at(
        self,
        info: Info,
        point: Annotated[
            GeoPointInput, strawberry.argument(description="The location to look up.")
        ],
    ) -> TerritoryType | None:
        collect(point.problems())
        row = await repository.containing(
            info.context.session, info.context.principal, point.to_lat_lng()
        )
        return TerritoryType.from_model(row) if row else None


@strawberry.type
class TerritoriesMutation:
    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description="Creates a territory (admins only).",
    )
    async def create_territory(self, info: Info, input: CreateTerritoryInput) -> TerritoryPayload:
        async def action() -> TerritoryPayload:
            data = TerritoryCreate.model_validate(provided(input, exclude=("idempotency_key",)))
            territory = await service.create_territory(info.context.session, data)
            return TerritoryPayload(territory=TerritoryType.from_model(territory))

        return await execute(info, TerritoryPayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description="Changes a territory's name, time zone, notes or area (admins only).",
    )
    async def update_territory(self, info: Info, input: UpdateTerritoryInput) -> TerritoryPayload:
        async def action() -> TerritoryPayload:
            changes = TerritoryUpdate.model_validate(
                provided(input, exclude=("id", "expected_version"))
            )
            territory = await service.update_territory(
                info.context.session,
                decode_id(input.id, "Territory"),
                changes,
                input.expected_version,
            )
            return TerritoryPayload(territory=TerritoryType.from_model(territory))

        return await execute(info, TerritoryPayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description="Archives a territory so it no longer matches territoryAt (admins only); "
        "repeating it is harmless.",
    )
    async def archive_territory(self, info: Info, input: ArchiveInput) -> TerritoryPayload:
        async def action() -> TerritoryPayload:
            territory = await service.archive_territory(
                info.context.session, decode_id(input.id, "Territory"), input.expected_version
            )
            return TerritoryPayload(territory=TerritoryType.from_model(territory))

        return await execute(info, TerritoryPayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description="Adds a holiday to a territory's calendar and bumps the territory's version "
        "(admins only).",
    )
    async def add_territory_holiday(self, info: Info, input: AddHolidayInput) -> TerritoryPayload:
        async def action() -> TerritoryPayload:
            holiday = TerritoryHolidayCreate.model_validate({"day": input.day, "name": input.name})
            territory = await service.add_holiday(
                info.context.session,
                decode_id(input.territory_id, "Territory", "territoryId"),
                holiday,
                input.expected_version,
            )
            return TerritoryPayload(territory=TerritoryType.from_model(territory))

        return await execute(info, TerritoryPayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description="Removes a holiday from a territory's calendar; NOT_FOUND if that day is no "
        "holiday (admins only).",
    )
    async def remove_territory_holiday(
        self, info: Info, input: RemoveHolidayInput
    ) -> TerritoryPayload:
        async def action() -> TerritoryPayload:
            territory = await service.remove_holiday(
                info.context.session,
                decode_id(input.territory_id, "Territory", "territoryId"),
                input.day,
                input.expected_version,
            )
            return TerritoryPayload(territory=TerritoryType.from_model(territory))

        return await execute(info, TerritoryPayload, action)
