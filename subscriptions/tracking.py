"""Live technician positions for the map: by territory or bounding box, scoped by role.

Staff see every technician, a partner only its own people, a technician only themselves;
customers follow their technician through `taskTracking` instead. Access is decided once, at
subscribe time, from the caller's token; each event carries the technician's partner, so the
per-event check is a comparison, not a query. One broker subscription per channel is shared by
all sockets of the instance, each fed through a bounded queue that keeps only the latest
position per technician: a slow map never stalls the others.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Hashable
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLError

from app.core.auth import STAFF_ROLES, Principal, Role
from app.realtime.hub import Delivery
from app.tracking import channels
from schema.common import BBoxInput
from schema.context import Info
from schema.ids import decode_optional_id
from schema.permissions import allow
from schema.tracking import TechnicianLocation

LOCATION_QUEUE = 64
"""Technicians a subscriber may fall behind on before the oldest ones are dropped."""


def by_technician(delivery: Delivery) -> Hashable | None:
    technician: Hashable | None = delivery.data.get("technician_id")
    return technician


@dataclass(frozen=True, slots=True)
class Box:
    south: float
    west: float
    north: float
    east: float

    @classmethod
    def of(cls, bbox: BBoxInput | None) -> Box | None:
        if bbox is None:
            return None
        if not (-90 <= bbox.south <= bbox.north <= 90):
            raise _invalid("bbox needs -90 <= south <= north <= 90", "bbox")
        if not (-180 <= bbox.west <= 180 and -180 <= bbox.east <= 180):
            raise _invalid("bbox longitudes must be within -180..180", "bbox")
        return cls(bbox.south, bbox.west, bbox.north, bbox.east)

    def contains(self, lat: float, lng: float) -> bool:
        if not self.south <= lat <= self.north:
            return False
        if self.west <= self.east:
            return self.west <= lng <= self.east
        return lng >= self.west or lng <= self.east  # the box crosses the antimeridian


def _invalid(message: str, field: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "INVALID", "field": [field]})


def location_audience(
    principal: Principal, territory_id: int | None
) -> tuple[str, Callable[[dict[str, Any]], bool]]:
    """The channel a caller listens on and which of its events they may see."""
    if principal.role is Role.TECHNICIAN:
        own = principal.technician_id
        if own is None:
            raise GraphQLError("not linked to a technician", extensions={"code": "FORBIDDEN"})
        return channels.technician_locations(own), lambda data: data.get("technician_id") == own
    channel = (
        channels.ALL_LOCATIONS
        if territory_id is None
        else channels.territory_locations(territory_id)
    )
    if principal.role in STAFF_ROLES:
        return channel, lambda data: True
    partner = principal.partner_id
    if principal.role is Role.PARTNER and partner is not None:
        return channel, lambda data: data.get("partner_id") == partner
    raise GraphQLError("not allowed to follow technicians", extensions={"code": "FORBIDDEN"})


def rendered(delivery: Delivery) -> TechnicianLocation:
    """The event as a GraphQL object, built once per event for every subscriber."""
    location = delivery.memo.get(TechnicianLocation)
    if location is None:
        location = delivery.memo[TechnicianLocation] = TechnicianLocation.from_event(delivery.data)
    return location


@strawberry.type
class TrackingSubscription:
    @strawberry.subscription(
        extensions=[allow(*sorted(STAFF_ROLES), Role.PARTNER, Role.TECHNICIAN)]
    )
    async def technician_locations(
        self,
        info: Info,
        territory_id: strawberry.ID | None = None,
        bbox: BBoxInput | None = None,
    ) -> AsyncGenerator[TechnicianLocation, None]:
        principal = info.context.require_principal()
        territory = decode_optional_id(territory_id, "Territory", "territoryId")
        box = Box.of(bbox)
        channel, visible = location_audience(principal, territory)
        broker = info.context.broker
        async with broker.listen(
            channel, coalesce=by_technician, queue_size=LOCATION_QUEUE
        ) as deliveries:
            async for delivery in deliveries:
                data = delivery.data
                if territory is not None and data.get("territory_id") != territory:
                    continue
                if not visible(data) or (
                    box is not None and not box.contains(data["lat"], data["lng"])
                ):
                    continue
                yield rendered(delivery)
