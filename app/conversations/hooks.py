"""The session hooks that write noted status changes into their threads as the transaction
commits (`before_commit`, where the session may still run statements), one INSERT ... SELECT
per change into the threads that exist; live events for the new messages join the
transaction's pending events and leave after the commit like any other. Installed when the
models are imported, before any session commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.conversations import channels
from app.core.events import Event, pending_events

NOTES = "conversation_system_notes"


@dataclass(frozen=True, slots=True)
class Note:
    event: Event
    """The change's event: the note is written only while the event is still pending (a
    change rolled back to a savepoint drops its event, and so its note)."""
    text: str
    at: datetime
    task_id: int | None = None
    service_request_id: int | None = None
    repair_order_id: int | None = None


def _post(session: Session, note: Note) -> list[tuple[int, int]]:
    """The note as a system message in each existing thread of its subjects: (thread,
    message) pairs."""
    from app.conversations.models import Conversation, Message

    conversations: Any = Conversation.__table__  # type: ignore[attr-defined]
    messages: Any = Message.__table__  # type: ignore[attr-defined]
    subjects = [
        conversations.c[name] == value
        for name, value in (
            ("task_id", note.task_id),
            ("service_request_id", note.service_request_id),
            ("repair_order_id", note.repair_order_id),
        )
        if value is not None
    ]
    if not subjects:
        return []
    source = sa.select(
        conversations.c.id,
        sa.literal("SYSTEM"),
        sa.literal("SYSTEM"),
        sa.literal(note.text),
        sa.literal("system"),
        sa.literal("SYSTEM"),
        sa.literal("Fieldgraph"),
        sa.literal(note.at, sa.DateTime(timezone=True)),
        sa.literal(1),
    ).where(sa.or_(*subjects))
    columns = ["conversation_id", "kind", "via", "body", "sender_subject", "sender_role"]
    columns += ["sender_name", "created_at", "version"]
    inserted = session.execute(
        messages.insert()
        .from_select(columns, source)
        .returning(messages.c.id, messages.c.conversation_id)
    ).all()
    for message_id, conversation_id in inserted:
        session.execute(
            conversations.update()
            .where(conversations.c.id == conversation_id)
            .values(
                last_message_id=message_id,
                last_activity_seq=message_id,
                last_activity_at=note.at,
            )
        )
    return [(int(c), int(m)) for m, c in inserted]


@event.listens_for(Session, "before_commit")
def _write_notes(session: Session) -> None:
    notes: list[Note] = session.info.pop(NOTES, [])
    if not notes:
        return
    pending = pending_events(session)  # type: ignore[arg-type]
    for note in notes:
        if not any(queued is note.event for queued in pending):
            continue
        for conversation_id, message_id in _post(session, note):
            pending.append(
                Event(
                    channels.thread_channel(conversation_id),
                    channels.MESSAGE_CHANGED,
                    {
                        "conversation_id": conversation_id,
                        "message_id": message_id,
                        "action": channels.POSTED,
                    },
                )
            )


@event.listens_for(Session, "after_transaction_end")
def _forget_notes(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(NOTES, None)
