"""GraphQL types of conversations: threads, participants, messages and their inputs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.conversations import models, repository
from app.conversations.models import Conversation, Message, MessageEdit, Participant
from schema.attachments import AttachmentType
from schema.context import Info
from schema.errors import Payload
from schema.ids import encode_id
from schema.node import Node
from schema.pagination import Connection, FirstItems, paginate
from schema.permissions import internal, not_for_partners

if TYPE_CHECKING:
    from schema.depot_repair import RepairOrderType
    from schema.service_requests import ServiceRequestType
    from schema.work_orders import TaskType

SubjectKind = strawberry.enum(
    models.SubjectKind, name="ConversationSubjectKind", description="What a thread is about."
)
ParticipantRole = strawberry.enum(
    models.ParticipantRole,
    name="ConversationParticipantRole",
    description="Why someone is in a conversation.",
)
MessageKind = strawberry.enum(
    models.MessageKind, name="ConversationMessageKind", description="What a message is."
)
MessageVia = strawberry.enum(
    models.MessageVia, name="ConversationMessageVia", description="Where a message came from."
)


@strawberry.type(
    name="ConversationParticipant",
    description="Someone in a conversation, in a role, with how far they have read.",
)
class ParticipantType:
    name: str = strawberry.field(description="Display name.")
    role: ParticipantRole = strawberry.field(  # type: ignore[valid-type]
        description="Customer, agent, technician, partner or expert."
    )
    joined_at: datetime = strawberry.field(description="When they joined the thread.")
    last_read_message_id: strawberry.ID | None = strawberry.field(
        description="The last message they have read (read receipt); null before any."
    )
    last_read_at: datetime | None = strawberry.field(description="When they last read it.")

    @classmethod
    def from_model(cls, row: Participant) -> ParticipantType:
        read = row.last_read_message_id
        return cls(
            name=row.name,
            role=row.role,
            joined_at=row.joined_at,
            last_read_message_id=strawberry.ID(encode_id("ConversationMessage", read))
            if read
            else None,
            last_read_at=row.last_read_at,
        )


@strawberry.type(
    name="ConversationMessageEdit",
    description="An earlier text of an edited or deleted message, for audit.",
)
class MessageEditType:
    previous_body: str = strawberry.field(description="The text before the change.")
    edited_by: str = strawberry.field(description="Who changed it (user subject).")
    edited_at: datetime = strawberry.field(description="When.")

    @classmethod
    def from_model(cls, row: MessageEdit) -> MessageEditType:
        return cls(
            previous_body=row.previous_body, edited_by=row.edited_by, edited_at=row.edited_at
        )


@strawberry.type(
    name="ConversationMessage",
    description="A message in a conversation: text with attachments, or a system event.",
)
class MessageType(Node):
    kind: MessageKind = strawberry.field(  # type: ignore[valid-type]
        description="Written by a participant, or posted by the platform."
    )
    via: MessageVia = strawberry.field(  # type: ignore[valid-type]
        description="The app, a WhatsApp or SMS reply, a chatbot, or the platform."
    )
    body: str = strawberry.field(description="The text; empty once deleted.")
    sender_name: str = strawberry.field(description="Who sent it, as shown.")
    sender_role: str = strawberry.field(description="The sender's role (SYSTEM for events).")
    client_message_id: str | None = strawberry.field(
        description="The sender's own id for the message (makes sending idempotent)."
    )
    created_at: datetime = strawberry.field(description="When it was sent.")
    edited_at: datetime | None = strawberry.field(description="When it was last edited.")
    deleted_at: datetime | None = strawberry.field(description="When it was deleted.")
    deleted_by: str | None = strawberry.field(description="Who deleted it (user subject).")
    version: int = strawberry.field(description="Changes with each edit; for expectedVersion.")
    conversation_db_id: strawberry.Private[int]
    sender_subject: strawberry.Private[str]

    @classmethod
    def from_model(cls, row: Message) -> MessageType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            kind=row.kind,
            via=row.via,
            body=row.body,
            sender_name=row.sender_name,
            sender_role=row.sender_role,
            client_message_id=row.client_message_id,
            created_at=row.created_at,
            edited_at=row.edited_at,
            deleted_at=row.deleted_at,
            deleted_by=row.deleted_by,
            version=row.version,
            conversation_db_id=row.conversation_id,
            sender_subject=row.sender_subject,
        )

    @strawberry.field(description="Whether the caller sent it.")
    def mine(self, info: Info) -> bool:
        return info.context.subject == self.sender_subject

    @strawberry.field(description="The thread's global ID.")
    def conversation_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Conversation", self.conversation_db_id))

    @strawberry.field(
        extensions=[FirstItems(10)], description="Attachments shown with it, in order."
    )
    async def attachments(self, info: Info) -> list[AttachmentType]:
        session = info.context.session

        async def load(ids: list[int]) -> list[list[object]]:
            return await repository.attachments_of(session, ids)  # type: ignore[return-value]

        loader = info.context.loaders.custom("conversation.attachments", load)
        return [AttachmentType.from_model(a) for a in await loader.load(self.db_id)]

    @strawberry.field(
        extensions=[internal(), FirstItems(50)],
        description="Earlier texts (edits and the deletion), oldest first: the audit trail "
        "(staff and technicians).",
    )
    async def edits(self, info: Info) -> list[MessageEditType]:
        session = info.context.session

        async def load(ids: list[int]) -> list[list[object]]:
            return await repository.edits_of(session, ids)  # type: ignore[return-value]

        loader = info.context.loaders.custom("conversation.edits", load)
        return [MessageEditType.from_model(e) for e in await loader.load(self.db_id)]


MessageConnection = Connection[MessageType]


@strawberry.type(
    name="Conversation",
    description="A thread about a service request, a task, a repair order, or direct between "
    "a customer and the service desk.",
)
class ConversationType(Node):
    subject_kind: SubjectKind = strawberry.field(  # type: ignore[valid-type]
        description="What the thread is about."
    )
    title: str = strawberry.field(description="A short title: the subject's reference.")
    last_activity_at: datetime = strawberry.field(description="When its last message came.")
    created_at: datetime = strawberry.field(description="When it was opened.")
    row: strawberry.Private[Conversation]

    @classmethod
    def from_model(cls, row: Conversation) -> ConversationType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            subject_kind=row.subject_kind,
            title=row.title,
            last_activity_at=row.last_activity_at,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="Messages from others the caller has not read yet.")
    async def unread_count(self, info: Info) -> int:
        session, subject = info.context.session, info.context.subject

        async def load(ids: list[int]) -> list[int]:
            return await repository.unread_counts(session, subject, ids)

        loader = info.context.loaders.custom("conversation.unread", load)
        count: int = await loader.load(self.db_id)
        return count

    @strawberry.field(
        extensions=[FirstItems(50)], description="Who is in the thread, in joining order."
    )
    async def participants(self, info: Info) -> list[ParticipantType]:
        session = info.context.session

        async def load(ids: list[int]) -> list[list[object]]:
            return await repository.participants_of(session, ids)  # type: ignore[return-value]

        loader = info.context.loaders.custom("conversation.participants", load)
        return [ParticipantType.from_model(p) for p in await loader.load(self.db_id)]

    @strawberry.field(description="The last message; null before any.")
    async def last_message(self, info: Info) -> MessageType | None:
        if self.row.last_message_id is None:
            return None
        row = await info.context.loaders.by_id(Message).load(self.row.last_message_id)
        return MessageType.from_model(row) if row else None

    @strawberry.field(description="Its messages, newest first (page back with `after`).")
    async def messages(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> MessageConnection:
        return await paginate(
            info.context.session,
            repository.messages(self.db_id),
            Message.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=MessageType.from_model,
            newest_first=True,
        )

    @strawberry.field(description="The task it is about, as the caller may read it.")
    async def task(
        self, info: Info
    ) -> Annotated[TaskType, strawberry.lazy("schema.work_orders")] | None:
        from app.work_orders import repository as tasks
        from schema.work_orders import TaskType

        if self.row.task_id is None:
            return None
        row = await tasks.get_readable(
            info.context.session, info.context.principal, self.row.task_id
        )
        return TaskType.from_model(row) if row else None

    @strawberry.field(description="The service request it is about, as the caller may read it.")
    async def service_request(
        self, info: Info
    ) -> Annotated[ServiceRequestType, strawberry.lazy("schema.service_requests")] | None:
        from app.service_requests import repository as requests
        from schema.service_requests import ServiceRequestType

        if self.row.service_request_id is None:
            return None
        row = await requests.get_readable(
            info.context.session, info.context.principal, self.row.service_request_id
        )
        return ServiceRequestType.from_model(row) if row else None

    @strawberry.field(
        extensions=[not_for_partners()],
        description="The repair order it is about, as the caller may read it.",
    )
    async def repair_order(
        self, info: Info
    ) -> Annotated[RepairOrderType, strawberry.lazy("schema.depot_repair")] | None:
        from app.depot_repair import repository as orders
        from schema.depot_repair import RepairOrderType

        if self.row.repair_order_id is None:
            return None
        row = await orders.get_readable(
            info.context.session, info.context.principal, self.row.repair_order_id
        )
        return RepairOrderType.from_model(row) if row else None


ConversationConnection = Connection[ConversationType]


@strawberry.type(description="A message of a conversation as it changed, live.")
class ConversationMessageEvent:
    action: str = strawberry.field(description="POSTED, EDITED or DELETED.")
    message: MessageType = strawberry.field(description="The message as it is now.")


@strawberry.input(
    description="Open (or find) the thread of a subject: give exactly one of the ids."
)
class OpenConversationInput:
    service_request_id: strawberry.ID | None = strawberry.field(
        default=None, description="A service request the caller may read."
    )
    task_id: strawberry.ID | None = strawberry.field(
        default=None, description="A task the caller may read."
    )
    repair_order_id: strawberry.ID | None = strawberry.field(
        default=None, description="A depot repair order the caller may read."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A customer, for the direct thread with the service desk (a customer: "
        "their own, or leave every id out).",
    )


@strawberry.input(description="A message to send into a conversation.")
class SendConversationMessageInput:
    conversation_id: strawberry.ID = strawberry.field(description="The thread.")
    body: str = strawberry.field(
        default="", description="The text, up to 4,000 characters (may be empty with files)."
    )
    client_message_id: str | None = strawberry.field(
        default=None,
        description="The sender's own id (1 to 100 characters): sending again with it returns "
        "the first message and sends nothing new.",
    )
    attachment_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Up to 10 attachments the sender may read (uploaded through the "
        "attachments path onto the request, task or repair order).",
    )


@strawberry.input(description="Change the text of one's own message.")
class EditConversationMessageInput:
    message_id: strawberry.ID = strawberry.field(description="The message.")
    body: str = strawberry.field(description="The new text, 1 to 4,000 characters.")
    expected_version: int | None = strawberry.field(
        default=None, description="The version read; a changed message is STALE_VERSION."
    )


@strawberry.input(description="Delete a message (one's own; staff: any).")
class DeleteConversationMessageInput:
    message_id: strawberry.ID = strawberry.field(description="The message.")
    expected_version: int | None = strawberry.field(
        default=None, description="The version read; a changed message is STALE_VERSION."
    )


@strawberry.input(description="A read receipt: the caller read the thread up to a message.")
class MarkConversationReadInput:
    conversation_id: strawberry.ID = strawberry.field(description="The thread.")
    message_id: strawberry.ID | None = strawberry.field(
        default=None, description="The last message read; null: the thread's last message."
    )


@strawberry.type
class ConversationPayload(Payload):
    conversation: ConversationType | None = strawberry.field(
        default=None, description="The thread; null when the change failed."
    )


@strawberry.type
class ConversationMessagePayload(Payload):
    message: MessageType | None = strawberry.field(
        default=None, description="The message as saved; null when the change failed."
    )


@strawberry.type
class MarkConversationReadPayload(Payload):
    conversation: ConversationType | None = strawberry.field(
        default=None, description="The thread, with the caller's new unread count."
    )
