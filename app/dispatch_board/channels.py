"""Board events: what is not a task status change (pins) goes on the territory's task channel
with its own kind, so `dispatchBoardUpdates` hears both on one channel."""

from __future__ import annotations

BOARD_CHANGED = "DISPATCH_BOARD_CHANGED"
