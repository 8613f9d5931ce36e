"""Pins: assignments a dispatcher fixed on the board, which the optimizer keeps as they are."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.models import timestamp


class TaskPin(SQLModel, table=True):
    """A task pinned to its technician and time: a plan keeps it as it keeps accepted work.

    The pin holds while the task is assigned (SCHEDULED or DISPATCHED: accepted work is kept
    anyway); it goes with the task.
    """

    __tablename__ = "task_pins"

    task_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="tasks.id", primary_key=True, ondelete="CASCADE"
    )
    pinned_by: str = Field(max_length=200)
    pinned_at: datetime = timestamp()
