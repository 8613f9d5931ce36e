"""Event kinds and broker channels of remote service."""

from __future__ import annotations

ASSIST_QUEUE = "assist_queue"
"""Every change of an assist request (asked, accepted, answered, cancelled, escalated)."""

ASSIST_CHANGED = "ASSIST_REQUEST_CHANGED"
ASSIST_UNACCEPTED = "ASSIST_UNACCEPTED"
"""The alert kind raised when an assist request waits past an escalation step."""
