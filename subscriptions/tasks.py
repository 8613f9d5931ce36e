"""taskUpdates: status changes of tasks as they commit, for the people allowed to see them.

A customer follows one of their own tasks, a technician their own tasks, a partner its
technicians' tasks, staff any task (by task, technician or territory). Access is checked when
the subscription starts and again on every event: each event re-reads its task through the
same row scoping as the `task` query, so a technician reassigned away, or a partner whose
technician no longer holds the task, stops receiving it at once. Task events are rare next to
positions, so one short read per event and subscriber is affordable; it also gives the `task`
field its current state.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncGenerator, Hashable
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLError

from app.core.auth import Principal, Role
from app.tracking import repository as tracking
from app.work_orders import channels
from app.work_orders import repository as tasks
from schema.context import Info
from schema.ids import decode_optional_id
from schema.permissions import EVERYONE, allow
from schema.tracking import TaskEvent

TASK_EVENT_QUEUE = 256


def _refuse(message: str, code: str = "FORBIDDEN", field: str | None = None) -> GraphQLError:
    extensions: dict[str, Any] = {"code": code}
    if field is not None:
        extensions["field"] = [field]
    return GraphQLError(message, extensions=extensions)


@dataclass(frozen=True, slots=True)
class Filters:
    task_id: int | None
    technician_id: int | None
    territory_id: int | None

    def keep(self, data: dict[str, Any]) -> bool:
        return (
            (self.task_id is None or data.get("task_id") == self.task_id)
            and (self.technician_id is None or data.get("technician_id") == self.technician_id)
            and (self.territory_id is None or data.get("territory_id") == self.territory_id)
        )


async def _channels(info: Info, principal: Principal, wanted: Filters) -> list[str]:
    """The channels to listen on, after checking the caller may follow what they asked for."""
    async with info.context.sessions() as session:
        if wanted.task_id is not None:
            if await tasks.get_readable(session, principal, wanted.task_id) is None:
                raise _refuse("task not found", "NOT_FOUND", "taskId")
            return [channels.task_channel(wanted.task_id)]
        if principal.role is Role.CUSTOMER:
            raise _refuse("a customer follows one task: give taskId", "INVALID", "taskId")
        if principal.role is Role.TECHNICIAN:
            own = principal.technician_id
            if own is None or wanted.technician_id not in (None, own):
                raise _refuse("a technician follows only their own tasks")
            return [channels.technician_channel(own)]
        if principal.role is Role.PARTNER:
            return await _partner_channels(session, principal, wanted)
        if wanted.technician_id is not None:
            return [channels.technician_channel(wanted.technician_id)]
        if wanted.territory_id is not None:
            return [channels.territory_channel(wanted.territory_id)]
        return [channels.territory_channel(t) for t in await tracking.territory_ids(session)]


async def _partner_channels(session: Any, principal: Principal, wanted: Filters) -> list[str]:
    partner = principal.partner_id
    if partner is None:
        raise _refuse("not linked to a partner")
    if wanted.technician_id is not None:
        if await tracking.partner_of(session, wanted.technician_id) != partner:
            raise _refuse("a partner follows only its own technicians")
        return [channels.technician_channel(wanted.technician_id)]
    if wanted.territory_id is not None:
        return [channels.territory_channel(wanted.territory_id)]
    own = await tracking.partner_technicians(session, partner)
    return [channels.technician_channel(t) for t in own]


class Seen:
    """The same change reaches a listener on several channels (task, technician, territory)."""

    def __init__(self, size: int = 512) -> None:
        self._keys: OrderedDict[Hashable, None] = OrderedDict()
        self._size = size

    def first_time(self, key: Hashable) -> bool:
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)
        return True


@strawberry.type
class TaskSubscription:
    @strawberry.subscription(
        extensions=[allow(*EVERYONE)],
        description="Status changes of tasks as they are committed, filtered by task, "
        "technician or territory (all given filters must match). A customer must give taskId "
        "of their own task, a technician follows only their own tasks, a partner its "
        "technicians' tasks, staff any task. A task no longer readable stops being sent.",
    )
    async def task_updates(
        self,
        info: Info,
        task_id: strawberry.ID | None = None,
        technician_id: strawberry.ID | None = None,
        territory_id: strawberry.ID | None = None,
    ) -> AsyncGenerator[TaskEvent, None]:
        # Checked before the stream starts, so a refusal is the protocol's `error` message.
        principal = info.context.require_principal()
        wanted = Filters(
            decode_optional_id(task_id, "Task", "taskId"),
            decode_optional_id(technician_id, "Technician", "technicianId"),
            decode_optional_id(territory_id, "Territory", "territoryId"),
        )
        listened = await _channels(info, principal, wanted)
        return _task_events(info, principal, wanted, listened)


async def _task_events(
    info: Info, principal: Principal, wanted: Filters, listened: list[str]
) -> AsyncGenerator[TaskEvent, None]:
    seen = Seen()
    async with info.context.broker.listen(*listened, queue_size=TASK_EVENT_QUEUE) as feed:
        async for delivery in feed:
            data = delivery.data
            if delivery.message.get("kind") != channels.TASK_STATUS_CHANGED:
                continue
            key = (data.get("task_id"), data.get("version"), data.get("action"))
            if not wanted.keep(data) or not seen.first_time(key):
                continue
            # One operation per event: the `task` field and its relations read through this
            # session and its loaders, scoped to the caller as the `task` query is.
            state = info.context.begin_operation()
            try:
                row = await tasks.get_readable(state.session, principal, data["task_id"])
                if row is not None:
                    yield TaskEvent.from_event(data, row)
                elif wanted.task_id is not None:
                    return  # no longer theirs to follow
            finally:
                await asyncio.shield(state.session.close())
                info.context.end_operation()
