"""Conversation queries and mutations: the caller's threads with unread counts, opening a
subject's thread, sending, editing and deleting messages, and read receipts."""

from __future__ import annotations

import base64
from typing import Annotated

import strawberry

from app.conversations import repository, service
from app.conversations.models import Conversation
from app.conversations.service import Draft, Subject
from app.core.auth import Role
from app.core.errors import DomainError, ErrorCode
from resolvers.base import execute
from schema.context import Info
from schema.conversations import (
    ConversationConnection,
    ConversationMessagePayload,
    ConversationPayload,
    ConversationType,
    DeleteConversationMessageInput,
    EditConversationMessageInput,
    MarkConversationReadInput,
    MarkConversationReadPayload,
    MessageType,
    OpenConversationInput,
    SendConversationMessageInput,
)
from schema.ids import decode_id, decode_ids, decode_optional_id, parse_db_id
from schema.node import register_node
from schema.pagination import build_connection, page_size
from schema.permissions import STAFF, allow

register_node(ConversationType, repository.get_readable, ConversationType.from_model)
register_node(MessageType, repository.get_readable_message, MessageType.from_model)

TALKERS = (*STAFF, Role.TECHNICIAN, Role.CUSTOMER, Role.PARTNER)


def _cursor(row: Conversation) -> str:
    return base64.urlsafe_b64encode(f"activity:{row.last_activity_seq}:{row.id}".encode()).decode()


def _after(cursor: str) -> tuple[int, int]:
    try:
        prefix, seq, db_id = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
    except ValueError:
        prefix, seq, db_id = "", "", ""
    position, row = parse_db_id(seq), parse_db_id(db_id)
    if prefix == "activity" and position is not None and row is not None:
        return position, row
    raise DomainError("not a cursor from this API", ErrorCode.INVALID, ["after"])


def _subject(info: Info, input: OpenConversationInput) -> Subject:
    given = [
        (Subject.service_request, input.service_request_id, "ServiceRequest", "serviceRequestId"),
        (Subject.task, input.task_id, "Task", "taskId"),
        (Subject.repair_order, input.repair_order_id, "RepairOrder", "repairOrderId"),
        (Subject.direct, input.customer_id, "Customer", "customerId"),
    ]
    chosen = [(make, raw, kind, field) for make, raw, kind, field in given if raw is not None]
    if not chosen:
        own = info.context.require_principal().customer_id
        if own is None:
            raise DomainError("give the thread's subject", ErrorCode.INVALID, ["taskId"])
        return Subject.direct(own)
    if len(chosen) > 1:
        raise DomainError("give one subject only", ErrorCode.INVALID, [chosen[1][3]])
    make, raw, kind, field = chosen[0]
    return make(decode_id(str(raw), kind, field))


@strawberry.type
class ConversationsQuery:
    @strawberry.field(
        extensions=[allow(*TALKERS)],
        description=(
            "The caller's conversations, newest activity first, each with the caller's unread "
            "count: a customer their own, a technician those of their work, a partner those of "
            "its technicians' work, staff every thread (the desk's shared inbox)."
        ),
    )
    async def my_conversations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> ConversationConnection:
        session, principal = info.context.session, info.context.principal
        rows, more = await repository.inbox_page(
            session,
            principal,
            page_size(info.context.settings, first),
            _after(after) if after is not None else None,
        )

        async def total() -> int:
            return await repository.inbox_size(session, principal)

        connection = build_connection(
            rows, has_next=more, total=total, to_node=ConversationType.from_model
        )
        for edge, row in zip(connection.edges, rows, strict=True):
            edge.cursor = _cursor(row)
        if connection.edges:
            connection.page_info.end_cursor = connection.edges[-1].cursor
        return connection

    @strawberry.field(
        extensions=[allow(*TALKERS)],
        description="One conversation the caller may read; null otherwise.",
    )
    async def conversation(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The thread.")],
    ) -> ConversationType | None:
        row = await repository.get_readable(
            info.context.session, info.context.principal, decode_id(id, "Conversation")
        )
        return ConversationType.from_model(row) if row else None


@strawberry.type
class ConversationsMutation:
    @strawberry.mutation(
        extensions=[allow(*TALKERS)],
        description="Open the thread of a request, task or repair order the caller may read "
        "(or a direct thread with the desk), joining it; the same thread every time.",
    )
    async def open_conversation(
        self, info: Info, input: OpenConversationInput
    ) -> ConversationPayload:
        async def action() -> ConversationPayload:
            row = await service.open_for(
                info.context.session, info.context.require_principal(), _subject(info, input)
            )
            return ConversationPayload(conversation=ConversationType.from_model(row))

        return await execute(info, ConversationPayload, action)

    @strawberry.mutation(
        extensions=[allow(*TALKERS)],
        description="Send a message into a thread the caller may read (at most 30 a minute). "
        "A clientMessageId makes it idempotent; a message from staff also reaches the "
        "customer on their preferred channel.",
    )
    async def send_conversation_message(
        self, info: Info, input: SendConversationMessageInput
    ) -> ConversationMessagePayload:
        async def action() -> ConversationMessagePayload:
            draft = Draft(
                body=input.body,
                client_message_id=input.client_message_id,
                attachment_ids=tuple(
                    decode_ids(
                        [str(i) for i in input.attachment_ids], "Attachment", "attachmentIds"
                    )
                ),
            )
            row = await service.send_message(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.conversation_id, "Conversation", "conversationId"),
                draft,
            )
            return ConversationMessagePayload(message=MessageType.from_model(row))

        return await execute(info, ConversationMessagePayload, action)

    @strawberry.mutation(
        extensions=[allow(*TALKERS)],
        description="Edit one's own message within a day; the earlier text is kept.",
    )
    async def edit_conversation_message(
        self, info: Info, input: EditConversationMessageInput
    ) -> ConversationMessagePayload:
        async def action() -> ConversationMessagePayload:
            row = await service.edit_message(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.message_id, "ConversationMessage", "messageId"),
                input.body,
                input.expected_version,
            )
            return ConversationMessagePayload(message=MessageType.from_model(row))

        return await execute(info, ConversationMessagePayload, action)

    @strawberry.mutation(
        extensions=[allow(*TALKERS)],
        description="Delete a message (one's own; staff may delete any): it shows as deleted "
        "with who and when, and its text stays in the audit trail.",
    )
    async def delete_conversation_message(
        self, info: Info, input: DeleteConversationMessageInput
    ) -> ConversationMessagePayload:
        async def action() -> ConversationMessagePayload:
            row = await service.delete_message(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.message_id, "ConversationMessage", "messageId"),
                input.expected_version,
            )
            return ConversationMessagePayload(message=MessageType.from_model(row))

        return await execute(info, ConversationMessagePayload, action)

    @strawberry.mutation(
        extensions=[allow(*TALKERS)],
        description="Read receipt: the caller has read the thread up to a message (never "
        "moves back); their unread count drops accordingly.",
    )
    async def mark_conversation_read(
        self, info: Info, input: MarkConversationReadInput
    ) -> MarkConversationReadPayload:
        async def action() -> MarkConversationReadPayload:
            conversation_id = decode_id(input.conversation_id, "Conversation", "conversationId")
            await service.mark_read(
                info.context.session,
                info.context.require_principal(),
                conversation_id,
                decode_optional_id(input.message_id, "ConversationMessage", "messageId"),
            )
            row = await service.readable_thread(
                info.context.session, info.context.require_principal(), conversation_id
            )
            return MarkConversationReadPayload(conversation=ConversationType.from_model(row))

        return await execute(info, MarkConversationReadPayload, action)
