"""Stock changes pushed as they commit: per location, per part, or all (staff)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode
from app.inventory import channels, repository
from schema.context import Info
from schema.ids import decode_optional_id
from schema.inventory import StockChange
from schema.permissions import STAFF, allow


async def _channel(info: Info, location_id: int | None, part_id: int | None) -> str:
    """The one channel to listen on, after checking the caller may watch it."""
    principal: Principal | None = info.context.principal
    assert principal is not None
    if principal.role is Role.TECHNICIAN:
        async with info.context.sessions() as session:
            van = (
                await repository.van_of(session, principal.technician_id)
                if principal.technician_id is not None
                else None
            )
        if van is None or (location_id is not None and location_id != van.id):
            raise DomainError(
                "a technician may only watch their own van", ErrorCode.FORBIDDEN, ["locationId"]
            )
        assert van.id is not None
        return channels.location(van.id)
    if location_id is not None:
        return channels.location(location_id)
    if part_id is not None:
        return channels.part(part_id)
    return channels.ALL


@strawberry.type
class InventorySubscription:
    @strawberry.subscription(extensions=[allow(*STAFF, Role.TECHNICIAN)])
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
                data = event["data"]
                if wanted_part is not None and data.get("part_id") != wanted_part:
                    continue
                yield StockChange.from_event(event)
