"""Pins: assignments a dispatcher fixed on the board, which the optimizer keeps as they are."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.models import timestamp


class TaskPin(SQLModel, table=True):
    """A task pinned to its technician and time: a plan keeps it as it keeps accepted work.

    The pin holds the task to the technician and start it was pinned at: anything that gives
    the task another technician or start, sends it back to waiting or cancels it ends the pin
    (`app.dispatch_board.hooks`), except moveAssignment, which moves a pinned task with its pin.
    """

    __tablename__ = "task_pins"

    task_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="tasks.id", primary_key=True, ondelete="CASCADE"
    )
    pinned_by: str = Field(max_length=200)
    pinned_at: datetime = timestamp()


from app.dispatch_board import hooks as _hooks  # noqa: E402,F401  (installs the session hook)
