"""assistQueueChanges: the expert queue as it changes, for the experts who may see each
request (checked on every event through the same scoping as the `assistRequests` query)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from app.core.auth import Principal, Role
from app.remote_service import repository
from app.remote_service.channels import ASSIST_CHANGED, ASSIST_QUEUE
from app.remote_service.models import AssistStatus
from schema.context import Info
from schema.ids import encode_id
from schema.permissions import allow
from schema.remote_service import AssistQueueEvent

QUEUE = 256


@strawberry.type
class RemoteServiceSubscription:
    @strawberry.subscription(
        extensions=[allow(Role.TECHNICIAN, Role.AGENT, Role.DISPATCHER, Role.MANAGER, Role.ADMIN)],
        description=(
            "Changes of assist requests the caller may see, as they commit: one entering the "
            "queue (OPEN), taken, answered, cancelled or escalated. Experts see those they "
            "qualify for, technicians their own, admins and managers all."
        ),
    )
    async def assist_queue_changes(self, info: Info) -> AsyncGenerator[AssistQueueEvent, None]:
        return _changes(info, info.context.require_principal())


async def _changes(info: Info, principal: Principal) -> AsyncGenerator[AssistQueueEvent, None]:
    async with info.context.broker.listen(ASSIST_QUEUE, queue_size=QUEUE) as feed:
        async for delivery in feed:
            if delivery.message.get("kind") != ASSIST_CHANGED:
                continue
            data = delivery.data
            state = info.context.begin_operation()
            try:
                row = await repository.get_assist(
                    state.session, principal, int(data["assist_request_id"])
                )
                if row is None or row.id is None:
                    continue
                yield AssistQueueEvent(
                    assist_request_id=strawberry.ID(encode_id("AssistRequest", row.id)),
                    status=AssistStatus(data["status"]),
                    escalation_level=int(data["escalation_level"]),
                    at=datetime.fromisoformat(delivery.message["at"]),
                )
            finally:
                await asyncio.shield(state.session.close())
                info.context.end_operation()
