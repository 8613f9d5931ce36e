"""The session hooks that write noted status changes into their threads as the transaction
commits (`before_commit`, where the session may still run statements): one query finds the
threads of every noted subject (usually none, and then that is all), one INSERT posts the
messages; live events for the new messages join the
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


SUBJECTS = ("task_id", "service_request_id", "repair_order_id")


def _threads(session: Session, notes: list[Note]) -> list[Any]:
    """The threads of every noted subject, in one query: (id, task_id, service_request_id,
    repair_order_id) rows; none most of the time."""
    from app.conversations.models import Conversation

    table: Any = Conversation.__table__  # type: ignore[attr-defined]
    wanted = [
        table.c[name].in_(ids)
        for name in SUBJECTS
        if (ids := {getattr(n, name) for n in notes if getattr(n, name) is not None})
    ]
    if not wanted:
        return []
    columns = [table.c.id, *(table.c[name] for name in SUBJECTS)]
    return list(session.execute(sa.select(*columns).where(sa.or_(*wanted))).all())


def _post(session: Session, notes: list[Note]) -> list[tuple[int, int]]:
    """Each note as a system message in the existing threads of its subjects, in one INSERT;
    each thread's activity moved to its newest message. (thread, message) pairs."""
    from app.conversations.models import Conversation, Message

    threads = _threads(session, notes)
    rows = [
        {
            "conversation_id": thread.id,
            "kind": "SYSTEM",
            "via": "SYSTEM",
            "body": note.text,
            "sender_subject": "system",
            "sender_role": "SYSTEM",
            "sender_name": "Fieldgraph",
            "created_at": note.at,
            "version": 1,
        }
        for note in notes
        for thread in threads
        if any(
            getattr(note, name) is not None and getattr(note, name) == getattr(thread, name)
            for name in SUBJECTS
        )
    ]
    if not rows:
        return []
    messages: Any = Message.__table__  # type: ignore[attr-defined]
    conversations: Any = Conversation.__table__  # type: ignore[attr-defined]
    inserted = session.execute(
        messages.insert().values(rows).returning(messages.c.id, messages.c.conversation_id)
    ).all()
    newest: dict[int, int] = {}
    for message_id, conversation_id in inserted:
        newest[conversation_id] = max(message_id, newest.get(conversation_id, 0))
    at = max(note.at for note in notes)
    for conversation_id, message_id in newest.items():
        session.execute(
            conversations.update()
            .where(conversations.c.id == conversation_id)
            .values(last_message_id=message_id, last_activity_seq=message_id, last_activity_at=at)
        )
    return [(int(c), int(m)) for m, c in inserted]


@event.listens_for(Session, "before_commit")
def _write_notes(session: Session) -> None:
    notes: list[Note] = session.info.pop(NOTES, [])
    if not notes:
        return
    pending = pending_events(session)  # type: ignore[arg-type]
    queued = {id(event) for event in pending}
    live = [note for note in notes if id(note.event) in queued]
    for conversation_id, message_id in _post(session, live) if live else []:
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
