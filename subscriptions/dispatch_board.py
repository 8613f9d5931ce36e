"""dispatchBoardUpdates: what changes on a territory's board as it commits (moves, any other
task step, pins), so dispatchers looking at the same board see each other's work.

It listens on the territory's task channel, where task steps already go, and where pins go
too under their own kind; each event re-reads its task (and pin) for the current state.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from graphql import GraphQLError

from app.core.auth import Principal
from app.dispatch_board import channels as board_channels
from app.dispatch_board import repository, service
from app.territories.models import Territory
from app.work_orders import channels
from app.work_orders import repository as tasks
from schema.context import Info
from schema.dispatch_board import DispatchBoardUpdate
from schema.ids import decode_id
from schema.permissions import allow
from schema.work_orders import TaskType
from subscriptions.tasks import Seen

QUEUE = 256
KINDS = frozenset({channels.TASK_STATUS_CHANGED, board_channels.BOARD_CHANGED})


@strawberry.type
class DispatchBoardSubscription:
    @strawberry.subscription(
        extensions=[allow(*service.READERS)],
        description="Changes on a territory's dispatch board as they commit: moves and every "
        "other step of its tasks, pins and unpins. Dispatchers, managers and admins.",
    )
    async def dispatch_board_updates(
        self, info: Info, territory_id: strawberry.ID
    ) -> AsyncGenerator[DispatchBoardUpdate, None]:
        principal = info.context.require_principal()
        territory = decode_id(territory_id, "Territory", "territoryId")
        async with info.context.sessions() as session:
            found = await session.get(Territory, territory)
            if found is None or found.archived_at is not None:
                raise GraphQLError(
                    "territory not found",
                    extensions={"code": "NOT_FOUND", "field": ["territoryId"]},
                )
        return _updates(info, principal, channels.territory_channel(territory))


async def _updates(
    info: Info, principal: Principal, channel: str
) -> AsyncGenerator[DispatchBoardUpdate, None]:
    seen = Seen()
    async with info.context.broker.listen(channel, queue_size=QUEUE) as feed:
        async for delivery in feed:
            data = delivery.data
            if delivery.message.get("kind") not in KINDS:
                continue
            # A pin leaves the task's version as it was: its time tells a re-pin from a repeat.
            key = (data.get("task_id"), data.get("version"), data["action"], data.get("at"))
            if not seen.first_time(key):
                continue
            state = info.context.begin_operation()
            try:
                task = await tasks.get_readable(state.session, principal, int(data["task_id"]))
                if task is None or task.id is None:
                    continue
                pinned = task.id in await repository.pinned_ids(state.session, [task.id])
                yield DispatchBoardUpdate(
                    action=data["action"],
                    task=TaskType.from_model(task),
                    pinned=pinned,
                    at=datetime.fromisoformat(data["at"]),
                    actor_role=data.get("actor_role"),
                    actor_name=data.get("actor_name"),
                )
            finally:
                await asyncio.shield(state.session.close())
                info.context.end_operation()
