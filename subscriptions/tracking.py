"""Live technician positions for the map: by territory or bounding box, scoped by role.

Staff see every technician, a partner only its own people, a technician only themselves;
customers follow their technician through `taskTracking`, and only while that technician is
on the way to, or at, the customer's own task. Access is decided once, at
subscribe time, from the caller's token; each event carries the technician's partner, so the
per-event check is a comparison, not a query. One broker subscription per channel is shared by
all sockets of the instance, each fed through a bounded queue that keeps only the latest
position per technician: a slow map never stalls the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Hashable
from dataclasses import dataclass
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError

from app.core.auth import STAFF_ROLES, Principal, Role
from app.realtime.hub import Delivery
from app.tracking import channels, repository
from app.tracking.repository import TRACKED_STATUSES, TrackingView
from app.work_orders.channels import TASK_STATUS_CHANGED, TASK_UPDATED, task_channel
from schema.common import BBoxInput, GeoPoint
from schema.context import Info
from schema.ids import decode_id, decode_optional_id, encode_id
from schema.permissions import allow
from schema.tracking import TaskTracking, TechnicianLocation, _status
from subscriptions.fanout import deliver

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


# --- taskTracking: the customer's view of their technician ---------------------------------

WAITING_STATUSES = frozenset({"UNSCHEDULED", "SCHEDULED", "DISPATCHED", "ACCEPTED"})
"""Before travel the stream stays open (status only, no position) until the trip starts."""
RECHECK_SECONDS = 30.0
"""Access is re-read at least this often even without events (say, events lost in an outage)."""
TRACKING_QUEUE = 16


def _tracked(delivery: Delivery) -> Hashable | None:
    """Positions coalesce to the latest; status changes are never dropped for them."""
    return "position" if delivery.message.get("kind") == channels.TASK_TRACKING else None


@dataclass(slots=True)
class Watch:
    """What a taskTracking stream may show now; re-read on every task event."""

    view: TrackingView
    was_tracked: bool = False

    @property
    def tracked(self) -> bool:
        return self.view.status in TRACKED_STATUSES and self.view.technician_id is not None

    def update(self, view: TrackingView) -> bool:
        """Take the task as it is now; False when the stream must end (the technician left
        the task, work started, or the task closed), which shows no position any more."""
        reassigned = self.was_tracked and view.technician_id != self.view.technician_id
        self.view = view
        if reassigned:
            return False
        if self.tracked:
            self.was_tracked = True
            return True
        return view.status in WAITING_STATUSES and not self.was_tracked

    def shows(self, data: dict[str, Any]) -> bool:
        """A position is shown only for the task's current technician while tracked."""
        return (
            self.tracked
            and data.get("technician_id") == self.view.technician_id
            and data.get("status") in TRACKED_STATUSES
        )

    def snapshot(self) -> TaskTracking:
        view, tracked = self.view, self.tracked
        position = view.position if tracked else None
        return TaskTracking(
            task_id=strawberry.ID(encode_id("Task", view.task_id)),
            status=_status(view.status),
            tracking=tracked,
            location=None if position is None else GeoPoint(lat=position.lat, lng=position.lng),
            recorded_at=view.seen_at if tracked else None,
            eta_minutes=view.eta_minutes if tracked else None,
            eta_at=view.eta_at if tracked else None,
        )


def tracking_position(delivery: Delivery) -> TaskTracking:
    """The position event as a GraphQL object, built once per event for every subscriber."""
    found = delivery.memo.get(TaskTracking)
    if found is None:
        found = delivery.memo[TaskTracking] = TaskTracking.from_event(delivery.data)
    return found


async def _view(info: Info, principal: Principal, task_id: int) -> TrackingView:
    async with info.context.sessions() as session:
        view = await repository.tracking_view(session, task_id)
    if view is None or (not principal.is_staff and view.customer_id != principal.customer_id):
        raise GraphQLError("task not found", extensions={"code": "NOT_FOUND", "field": ["taskId"]})
    return view


async def _with_rechecks(
    feed: AsyncIterator[Delivery], every: float
) -> AsyncIterator[Delivery | None]:
    """The feed's deliveries, and None whenever `every` seconds pass without one."""
    pending: asyncio.Future[Delivery] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(feed))
            done, _ = await asyncio.wait({pending}, timeout=every)
            if not done:
                yield None
                continue
            finished, pending = pending, None
            try:
                yield finished.result()
            except StopAsyncIteration:
                return
    finally:
        if pending is not None:
            pending.cancel()


@strawberry.type
class TaskTrackingSubscription:
    @strawberry.subscription(
        extensions=[allow(Role.CUSTOMER, *sorted(STAFF_ROLES))],
        description="Follow a task's technician as a customer sees it: first the current "
        "state, then each new position and ETA while the technician is EN_ROUTE or ON_SITE "
        "(status only before travel starts). The stream ends with tracking false once work "
        "starts, the task closes or is reassigned. Customers (their own tasks) and staff.",
    )
    async def task_tracking(
        self, info: Info, task_id: strawberry.ID
    ) -> AsyncGenerator[TaskTracking, None]:
        # Checked before the stream starts, so a refusal is the protocol's `error` message.
        principal = info.context.require_principal()
        task = decode_id(task_id, "Task", "taskId")
        watch = Watch(await _view(info, principal, task))
        return deliver(_tracking(info, principal, watch))


async def _tracking(
    info: Info, principal: Principal, watch: Watch
) -> AsyncGenerator[TaskTracking, None]:
    task = watch.view.task_id
    topics = (channels.task_tracking(task), task_channel(task))
    async with info.context.broker.listen(
        *topics, coalesce=_tracked, queue_size=TRACKING_QUEUE
    ) as feed:
        going = watch.update(watch.view)
        yield watch.snapshot()
        if not going:
            return
        async for delivery in _with_rechecks(feed, RECHECK_SECONDS):
            kind = None if delivery is None else delivery.message.get("kind")
            if delivery is not None and kind == channels.TASK_TRACKING:
                if watch.shows(delivery.data):
                    yield tracking_position(delivery)
                continue
            if kind not in (None, TASK_STATUS_CHANGED, TASK_UPDATED):
                continue
            before = (watch.view.status, watch.view.technician_id)
            going = watch.update(await _view(info, principal, task))
            if not going or before != (watch.view.status, watch.view.technician_id):
                yield watch.snapshot()
            if not going:
                return


@strawberry.type
class TrackingSubscription(TaskTrackingSubscription):
    @strawberry.subscription(
        extensions=[allow(*sorted(STAFF_ROLES), Role.PARTNER, Role.TECHNICIAN)],
        description="Technicians' new positions for a live map, as they are reported, of "
        "every territory or only of territoryId; no snapshot on subscribe. A slow client "
        "gets only the latest position of each technician. Staff see everyone, a partner its "
        "own technicians, a technician only themselves.",
    )
    async def technician_locations(
        self,
        info: Info,
        territory_id: strawberry.ID | None = None,
        bbox: Annotated[
            BBoxInput | None,
            strawberry.argument(
                description="Only positions inside this box (it may cross the antimeridian); "
                "null: anywhere."
            ),
        ] = None,
    ) -> AsyncGenerator[TechnicianLocation, None]:
        principal = info.context.require_principal()
        territory = decode_optional_id(territory_id, "Territory", "territoryId")
        box = Box.of(bbox)
        channel, visible = location_audience(principal, territory)
        locations = _locations(info, channel, visible, territory, box)
        async for location in deliver(locations):
            yield location


async def _locations(
    info: Info,
    channel: str,
    visible: Callable[[dict[str, Any]], bool],
    territory: int | None,
    box: Box | None,
) -> AsyncGenerator[TechnicianLocation, None]:
    async with info.context.broker.listen(
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
