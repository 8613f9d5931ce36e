"""conversationMessages: a thread's messages as they are posted, edited or deleted, on every
instance (the broker fans them out over Redis).

Access is checked when the subscription starts (a thread the caller may not read is
NOT_FOUND) and again on every event: each event re-reads its message through the same
scoping as the `conversation` query, so a caller who lost access stops receiving.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from app.conversations import channels, repository
from app.core.auth import Principal
from resolvers.conversations import TALKERS
from schema.context import Info
from schema.conversations import ConversationMessageEvent, MessageType
from schema.ids import decode_id
from schema.permissions import allow

QUEUE = 256


@strawberry.type
class ConversationsSubscription:
    @strawberry.subscription(
        extensions=[allow(*TALKERS)],
        description="A thread's messages as they are posted, edited or deleted, for anyone "
        "who may read the thread.",
    )
    async def conversation_messages(
        self, info: Info, conversation_id: strawberry.ID
    ) -> AsyncGenerator[ConversationMessageEvent, None]:
        principal = info.context.require_principal()
        db_id = decode_id(conversation_id, "Conversation", "conversationId")
        async with info.context.sessions() as session:
            if await repository.get_readable(session, principal, db_id) is None:
                raise GraphQLError("conversation not found", extensions={"code": "NOT_FOUND"})
        return _messages(info, principal, channels.thread_channel(db_id))


async def _messages(
    info: Info, principal: Principal, channel: str
) -> AsyncGenerator[ConversationMessageEvent, None]:
    async with info.context.broker.listen(channel, queue_size=QUEUE) as feed:
        async for delivery in feed:
            if delivery.message.get("kind") != channels.MESSAGE_CHANGED:
                continue
            data = delivery.data
            state = info.context.begin_operation()
            try:
                row = await repository.get_readable_message(
                    state.session, principal, int(data["message_id"])
                )
                if row is None:
                    continue
                yield ConversationMessageEvent(
                    action=str(data["action"]), message=MessageType.from_model(row)
                )
            finally:
                await asyncio.shield(state.session.close())
                info.context.end_operation()
