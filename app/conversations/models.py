"""Conversations: threads about a service request, a task or a depot repair order (or a direct
thread between a customer and the desk), their participants and their messages.

A message is text (bounded), may reference attachments its sender may read, or is a system
event (a status change posted by the platform). Edits keep the earlier text; a deletion keeps
the row, shown as deleted with who and when. Read receipts are each participant's last read
message.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field, timestamp

MAX_BODY = 4000
"""Longest message text, in characters."""
MAX_ATTACHMENTS = 10
"""Most attachments one message may reference."""


class SubjectKind(StrEnum):
    """What a conversation is about."""

    SERVICE_REQUEST = "SERVICE_REQUEST"
    """A customer's service request."""
    TASK = "TASK"
    """A field task (a visit)."""
    REPAIR_ORDER = "REPAIR_ORDER"
    """A depot repair order."""
    DIRECT = "DIRECT"
    """A direct thread between a customer and the service desk."""


class ParticipantRole(StrEnum):
    """Why someone is in a conversation."""

    CUSTOMER = "CUSTOMER"
    """The customer the subject belongs to."""
    AGENT = "AGENT"
    """Service desk or other staff."""
    TECHNICIAN = "TECHNICIAN"
    """The technician of the task or repair order."""
    PARTNER = "PARTNER"
    """The partner company of the technician."""
    EXPERT = "EXPERT"
    """An expert asked to help (remote assistance)."""


class MessageKind(StrEnum):
    """What a message is."""

    TEXT = "TEXT"
    """Written by a participant (text and attachments)."""
    SYSTEM = "SYSTEM"
    """Posted by the platform: a status change, a hand-over."""


class MessageVia(StrEnum):
    """Where a message came from."""

    APP = "APP"
    """The API (an app or the console)."""
    WHATSAPP = "WHATSAPP"
    """A WhatsApp reply on the inbound webhook."""
    SMS = "SMS"
    """A text message reply on the inbound webhook."""
    CHATBOT = "CHATBOT"
    """A chatbot platform's hand-over."""
    SYSTEM = "SYSTEM"
    """The platform itself."""


class Conversation(Audited, table=True):
    """A thread about one subject; one thread per subject (a direct thread per customer)."""

    __tablename__ = "conversations"
    __table_args__ = (
        sa.CheckConstraint(
            "num_nonnulls(service_request_id, task_id, repair_order_id) <= 1", name="one_subject"
        ),
        sa.Index(
            "uq_conversations_subject",
            "subject_kind",
            sa.text("coalesce(service_request_id, task_id, repair_order_id, customer_id)"),
            unique=True,
        ),
        sa.Index("ix_conversations_activity", "last_activity_seq", "id"),
    )

    id: int | None = id_field()
    subject_kind: SubjectKind = Field(sa_type=enum_type(SubjectKind, 16))
    service_request_id: int | None = fk("service_requests.id", nullable=True, ondelete="CASCADE")
    task_id: int | None = fk("tasks.id", nullable=True, ondelete="CASCADE")
    repair_order_id: int | None = fk("repair_orders.id", nullable=True, ondelete="CASCADE")
    customer_id: int | None = fk("customers.id", nullable=True)
    """The customer of the subject (who may read the thread), if any."""
    title: str = Field(max_length=200)
    last_message_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    last_activity_at: datetime = timestamp()
    last_activity_seq: int = Field(default=0, sa_type=sa.BigInteger)
    """The last message's id (0 before any): orders threads by newest activity."""


class Participant(SQLModel, table=True):
    """Someone in a conversation, with their read receipt."""

    __tablename__ = "conversation_participants"
    __table_args__ = (sa.UniqueConstraint("conversation_id", "subject"),)

    id: int | None = id_field()
    conversation_id: int = fk("conversations.id", ondelete="CASCADE")
    subject: str = Field(max_length=200)
    """The user's subject (as in their token)."""
    role: ParticipantRole = Field(sa_type=enum_type(ParticipantRole, 16))
    name: str = Field(default="", max_length=200)
    technician_id: int | None = fk("technicians.id", nullable=True)
    customer_id: int | None = fk("customers.id", nullable=True)
    joined_at: datetime = timestamp()
    last_read_message_id: int = Field(default=0, sa_type=sa.BigInteger)
    last_read_at: datetime | None = timestamp(nullable=True, default_now=False)


class Message(SQLModel, table=True):
    """One message of a conversation."""

    __tablename__ = "conversation_messages"
    __table_args__ = (
        sa.Index("ix_conversation_messages_thread", "conversation_id", "id"),
        sa.Index("ix_conversation_messages_sender_time", "sender_subject", "created_at"),
        sa.Index(
            "uq_conversation_messages_client_id",
            "conversation_id",
            "sender_subject",
            "client_message_id",
            unique=True,
            postgresql_where=sa.text("client_message_id IS NOT NULL"),
        ),
    )

    id: int | None = id_field()
    conversation_id: int = fk("conversations.id", ondelete="CASCADE")
    kind: MessageKind = Field(sa_type=enum_type(MessageKind, 16))
    via: MessageVia = Field(default=MessageVia.APP, sa_type=enum_type(MessageVia, 16))
    body: str = Field(sa_type=sa.Text)
    sender_subject: str = Field(max_length=200)
    sender_role: str = Field(max_length=16)
    sender_name: str = Field(default="", max_length=200)
    client_message_id: str | None = Field(default=None, max_length=100)
    created_at: datetime = timestamp()
    edited_at: datetime | None = timestamp(nullable=True, default_now=False)
    deleted_at: datetime | None = timestamp(nullable=True, default_now=False)
    deleted_by: str | None = Field(default=None, max_length=200)
    version: int = Field(default=1, nullable=False)


class MessageEdit(SQLModel, table=True):
    """An earlier text of an edited message: who changed it and when."""

    __tablename__ = "conversation_message_edits"

    id: int | None = id_field()
    message_id: int = fk("conversation_messages.id", ondelete="CASCADE")
    previous_body: str = Field(sa_type=sa.Text)
    edited_by: str = Field(max_length=200)
    edited_at: datetime = timestamp()


class MessageAttachment(SQLModel, table=True):
    """An attachment a message shows (uploaded through the attachments path)."""

    __tablename__ = "conversation_message_attachments"

    message_id: int = Field(
        sa_type=sa.BigInteger,
        foreign_key="conversation_messages.id",
        primary_key=True,
        ondelete="CASCADE",
    )
    attachment_id: int = Field(
        sa_type=sa.BigInteger,
        foreign_key="attachments.id",
        primary_key=True,
        index=True,
        ondelete="CASCADE",
    )
    position: int = 0


from app.conversations import hooks as _hooks  # noqa: E402,F401  (installs the session hooks)
