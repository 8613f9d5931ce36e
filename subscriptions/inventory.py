"""Stock changes pushed as they commit: per location, per part, or all (staff)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from graphql import GraphQLError

from app.core.auth import Principal, Role
from app.core.errors import ErrorCode
from app.inventory import channels, repository
from app.inventory.models import Part, StockLocation
from schema.context import Info
from schema.ids import decode_optional_id
from schema.inventory import PartType, StockChange, StockLocationType
from schema.permissions import STAFF, allow


async def _channel(info: Info, location_id: int | None, part_id: int | None) -> str:
    """The one channel to listen on, after checking the caller may watch it."""
    principal: Principal | None = info.context.principal
    assert principal is not None
    if principal.role is Role.TECHNICIAN:
        van = None
        if principal.technician_id is not None:
            async with info.context.sessions() as session:
                van = await repository.van_of(session, principal.technician_id)
        if van is None or van.id is None or location_id not in (None, van.id):
            raise GraphQLError(
                "a technician may only watch their own van",
                extensions={"code": ErrorCode.FORBIDDEN.value},
            )
        return channels.location(van.id)
    if location_id is not None:
        return channels.location(location_id)
    if part_id is not None:
        return channels.part(part_id)
    return channels.ALL


async def _change(info: Info, event: dict[str, Any]) -> StockChange:
    """The change with its part and location as they are now (one short read per event)."""
    data = event["data"]
    async with info.context.sessions() as session:
        part = await session.get(Part, int(data["part_id"]))
        location = await session.get(StockLocation, int(data["location_id"]))
    return StockChange.from_event(
        event,
        part=PartType.from_model(part) if part else None,
        location=StockLocationType.from_model(location) if location else None,
    )


@strawberry.type
class InventorySubscription:
    @strawberry.subscription(
        extensions=[allow(*STAFF, Role.TECHNICIAN)],
        description=(
            "Stock level changes as they commit, for one location, one part or all; "
            "technicians may watch only their own van."
        ),
    )
    async def inventory_changes(
        self,
        info: Info,
        location_id: strawberry.ID | None = None,
        part_id: strawberry.ID | None = None,
    ) -> AsyncGenerator[StockChange, None]:
        wanted_location = decode_optional_id(location_id, "StockLocation", "locationId")
        wanted_part = decode_optional_id(part_id, "Part", "partId")
        channel = await _channel(info, wanted_location, wanted_part)
        async with info.context.broker.subscribe(channel) as events:
            async for event in events:
                if wanted_part is not None and event["data"].get("part_id") != wanted_part:
                    continue
                yield await _change(info, event)
