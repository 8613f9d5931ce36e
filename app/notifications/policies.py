"""Thresholds of customer communication, read from `communication_policies` with defaults."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from app.notifications.models import CommunicationPolicy


@dataclass(frozen=True, slots=True)
class Policy:
    max_attempts: int = 5
    backoff_base_seconds: int = 30
    backoff_cap_seconds: int = 3600
    lease_seconds: int = 120
    reminder_hours_before: int = 24
    confirmation_reply_minutes: int = 120
    confirmation_call_minutes: int = 240
    confirmation_call_mode: str = "AGENT"
    survey_link_days: int = 14
    webhook_max_attempts: int = 8
    webhook_tolerance_seconds: int = 300

    def backoff_seconds(self, attempts: int) -> int:
        """Exponential: base, 2 base, 4 base... capped."""
        return int(
            min(self.backoff_cap_seconds, self.backoff_base_seconds * 2 ** max(0, attempts - 1))
        )


DEFAULTS = Policy()
KEYS = frozenset(f.name for f in fields(Policy))


async def load_policy(session: AsyncSession) -> Policy:
    rows = (await session.scalars(select(CommunicationPolicy))).all()
    values: dict[str, Any] = {row.key: row.value for row in rows if row.key in KEYS}
    return Policy(**values)
