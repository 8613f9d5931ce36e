"""Broker channels and event kinds of conversations."""

from __future__ import annotations

MESSAGE_CHANGED = "CONVERSATION_MESSAGE"
POSTED = "POSTED"
EDITED = "EDITED"
DELETED = "DELETED"


def thread_channel(conversation_id: int) -> str:
    return f"conversation.{conversation_id}"
