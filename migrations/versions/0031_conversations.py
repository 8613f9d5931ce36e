"""conversations: threads on requests, tasks and repair orders (and direct threads), their
participants with read receipts, messages with edit history and attachments; the
CONVERSATION_MESSAGE notification template

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-04 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE_SUBJECT = "${title}: a new message"
MESSAGE_BODY = "${sender_name}: ${body}"


def _string(length: int) -> AutoString:
    return AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "subject_kind",
            sa.Enum(
                "SERVICE_REQUEST",
                "TASK",
                "REPAIR_ORDER",
                "DIRECT",
                name="subjectkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("service_request_id", sa.BigInteger(), nullable=True),
        sa.Column("task_id", sa.BigInteger(), nullable=True),
        sa.Column("repair_order_id", sa.BigInteger(), nullable=True),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("title", _string(200), nullable=False),
        sa.Column("last_message_id", sa.BigInteger(), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_seq", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "num_nonnulls(service_request_id, task_id, repair_order_id) <= 1", name="one_subject"
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.ForeignKeyConstraint(["repair_order_id"], ["repair_orders.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["service_request_id"], ["service_requests.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_conversations_subject",
        "conversations",
        [
            "subject_kind",
            sa.text("coalesce(service_request_id, task_id, repair_order_id, customer_id)"),
        ],
        unique=True,
    )
    op.create_index(
        "ix_conversations_activity", "conversations", ["last_activity_seq", "id"], unique=False
    )
    op.create_table(
        "conversation_participants",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("conversation_id", sa.BigInteger(), nullable=False),
        sa.Column("subject", _string(200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "CUSTOMER",
                "AGENT",
                "TECHNICIAN",
                "PARTNER",
                "EXPERT",
                name="participantrole",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("name", _string(200), nullable=False),
        sa.Column("technician_id", sa.BigInteger(), nullable=True),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_read_message_id", sa.BigInteger(), nullable=False),
        sa.Column("last_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation_id", "subject"),
    )
    op.create_table(
        "conversation_messages",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("conversation_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("TEXT", "SYSTEM", name="messagekind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "via",
            sa.Enum(
                "APP",
                "WHATSAPP",
                "SMS",
                "CHATBOT",
                "SYSTEM",
                name="messagevia",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sender_subject", _string(200), nullable=False),
        sa.Column("sender_role", _string(16), nullable=False),
        sa.Column("sender_name", _string(200), nullable=False),
        sa.Column("client_message_id", _string(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", _string(200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_conversation_messages_thread",
        "conversation_messages",
        ["conversation_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_conversation_messages_sender_time",
        "conversation_messages",
        ["sender_subject", "created_at"],
        unique=False,
    )
    op.create_index(
        "uq_conversation_messages_client_id",
        "conversation_messages",
        ["conversation_id", "sender_subject", "client_message_id"],
        unique=True,
        postgresql_where=sa.text("client_message_id IS NOT NULL"),
    )
    op.create_table(
        "conversation_message_edits",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("previous_body", sa.Text(), nullable=False),
        sa.Column("edited_by", _string(200), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["conversation_messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "conversation_message_attachments",
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("attachment_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["message_id"], ["conversation_messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("message_id", "attachment_id"),
    )
    op.create_index(
        op.f("ix_conversation_message_attachments_attachment_id"),
        "conversation_message_attachments",
        ["attachment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_conversation_message_edits_message_id"),
        "conversation_message_edits",
        ["message_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_conversation_messages_conversation_id"),
        "conversation_messages",
        ["conversation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_conversation_participants_conversation_id"),
        "conversation_participants",
        ["conversation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_conversation_participants_customer_id"),
        "conversation_participants",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_conversation_participants_technician_id"),
        "conversation_participants",
        ["technician_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_conversations_customer_id"), "conversations", ["customer_id"], unique=False
    )
    op.create_index(
        op.f("ix_conversations_repair_order_id"), "conversations", ["repair_order_id"], unique=False
    )
    op.create_index(
        op.f("ix_conversations_service_request_id"),
        "conversations",
        ["service_request_id"],
        unique=False,
    )
    op.create_index(op.f("ix_conversations_task_id"), "conversations", ["task_id"], unique=False)
    templates = sa.table(
        "notification_templates",
        sa.column("event"),
        sa.column("channel"),
        sa.column("language"),
        sa.column("subject"),
        sa.column("body"),
        sa.column("version"),
        sa.column("created_at"),
        sa.column("updated_at"),
    )
    op.execute(
        templates.insert().values(
            event="CONVERSATION_MESSAGE",
            channel=None,
            language="en",
            subject=MESSAGE_SUBJECT,
            body=MESSAGE_BODY,
            version=1,
            created_at=sa.func.now(),
            updated_at=sa.func.now(),
        )
    )


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE event = 'CONVERSATION_MESSAGE'")
    op.execute("DELETE FROM notification_templates WHERE event = 'CONVERSATION_MESSAGE'")
    op.drop_index(
        op.f("ix_conversation_message_edits_message_id"), table_name="conversation_message_edits"
    )
    op.drop_index(
        op.f("ix_conversation_messages_conversation_id"), table_name="conversation_messages"
    )
    op.drop_index(
        op.f("ix_conversation_participants_conversation_id"), table_name="conversation_participants"
    )
    op.drop_index(
        op.f("ix_conversation_participants_customer_id"), table_name="conversation_participants"
    )
    op.drop_index(
        op.f("ix_conversation_participants_technician_id"), table_name="conversation_participants"
    )
    op.drop_index(op.f("ix_conversations_customer_id"), table_name="conversations")
    op.drop_index(op.f("ix_conversations_repair_order_id"), table_name="conversations")
    op.drop_index(op.f("ix_conversations_service_request_id"), table_name="conversations")
    op.drop_index(op.f("ix_conversations_task_id"), table_name="conversations")
    op.drop_index(
        op.f("ix_conversation_message_attachments_attachment_id"),
        table_name="conversation_message_attachments",
    )
    op.drop_table("conversation_message_attachments")
    op.drop_table("conversation_message_edits")
    op.drop_index("uq_conversation_messages_client_id", table_name="conversation_messages")
    op.drop_index("ix_conversation_messages_sender_time", table_name="conversation_messages")
    op.drop_index("ix_conversation_messages_thread", table_name="conversation_messages")
    op.drop_table("conversation_messages")
    op.drop_table("conversation_participants")
    op.drop_index("ix_conversations_activity", table_name="conversations")
    op.drop_index("uq_conversations_subject", table_name="conversations")
    op.drop_table("conversations")
