"""repairOrderUpdates: repair order steps as they commit, for the people allowed to see them.

A customer follows their own orders (all of them, or one), a bench technician the orders of
their depot, staff any order or depot (or all). Access is checked when the subscription
starts and again on every event: each event re-reads its order through the same row scoping
as the `repairOrder` query.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from graphql import GraphQLError

from app.core.auth import Principal, Role
from app.depot_repair import channels, repository
from app.depot_repair.models import RepairStatus
from schema.context import Info
from schema.depot_repair import RepairOrderType, RepairOrderUpdate
from schema.ids import decode_optional_id
from schema.permissions import STAFF, allow

QUEUE = 256


def _refuse(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "FORBIDDEN"})


async def _channel(
    info: Info, principal: Principal, order_id: int | None, depot_id: int | None
) -> str:
    async with info.context.sessions() as session:
        if order_id is not None:
            if await repository.get_readable(session, principal, order_id) is None:
                raise GraphQLError("repair order not found", extensions={"code": "NOT_FOUND"})
            return channels.order_channel(order_id)
        if principal.role is Role.CUSTOMER:
            if principal.customer_id is None:
                raise _refuse("a customer follows their own repair orders")
            return channels.customer_channel(principal.customer_id)
        if principal.role is Role.TECHNICIAN:
            own = await repository.depot_of(session, principal.technician_id or 0)
            if own is None or depot_id not in (None, own):
                raise _refuse("a technician follows the orders of their own depot")
            return channels.depot_channel(own)
    return channels.depot_channel(depot_id) if depot_id is not None else channels.ALL


@strawberry.type
class DepotRepairSubscription:
    @strawberry.subscription(
        extensions=[allow(*STAFF, Role.TECHNICIAN, Role.CUSTOMER)],
        description="Repair order steps as they commit, for one order, one depot or all: a "
        "customer follows their own orders, a bench technician their depot's, staff any.",
    )
    async def repair_order_updates(
        self,
        info: Info,
        repair_order_id: strawberry.ID | None = None,
        depot_id: strawberry.ID | None = None,
    ) -> AsyncGenerator[RepairOrderUpdate, None]:
        principal = info.context.require_principal()
        order_id = decode_optional_id(repair_order_id, "RepairOrder", "repairOrderId")
        wanted_depot = decode_optional_id(depot_id, "Depot", "depotId")
        channel = await _channel(info, principal, order_id, wanted_depot)
        return _updates(info, principal, channel)


async def _updates(
    info: Info, principal: Principal, channel: str
) -> AsyncGenerator[RepairOrderUpdate, None]:
    async with info.context.broker.listen(channel, queue_size=QUEUE) as feed:
        async for delivery in feed:
            if delivery.message.get("kind") != channels.REPAIR_ORDER_CHANGED:
                continue
            data = delivery.data
            state = info.context.begin_operation()
            try:
                row = await repository.get_readable(
                    state.session, principal, int(data["repair_order_id"])
                )
                if row is None:
                    continue
                yield RepairOrderUpdate(
                    action=data["action"],
                    from_status=RepairStatus(data["from"]) if data.get("from") else None,
                    to_status=RepairStatus(data["to"]),
                    at=datetime.fromisoformat(data["at"]),
                    actor_role=data["actor_role"],
                    reason=data.get("reason"),
                    repair_order=RepairOrderType.from_model(row),
                )
            finally:
                await asyncio.shield(state.session.close())
                info.context.end_operation()
