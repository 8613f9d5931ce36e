"""Idempotency keys: a client retry with the same key returns the first result.

The key is claimed inside the mutation's own transaction (its savepoint, or the whole
transaction when the mutation is the operation's first database work). A concurrent retry
waits on the unique index until the first attempt commits or rolls back; a refused first
attempt leaves no claim, so the retry runs afresh.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from app.core.errors import DomainError, ErrorCode
from app.core.models import id_field, timestamp

MAX_KEY_LENGTH = 200


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("subject", "key"),)

    id: int | None = id_field()
    subject: str = Field(max_length=200)
    key: str = Field(max_length=MAX_KEY_LENGTH)
    operation: str = Field(max_length=100)
    result: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    created_at: datetime = timestamp(index=True)


def _check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            f"idempotencyKey must be 1..{MAX_KEY_LENGTH} characters",
            ErrorCode.INVALID,
            ["idempotencyKey"],
        )


async def claim(
    session: AsyncSession, subject: str, key: str, operation: str
) -> dict[str, Any] | None:
    """Claim the key for this call, or return the result recorded by the first call."""
    _check_key(key)
    claimed = await session.execute(
        insert(IdempotencyRecord)
        .values(subject=subject, key=key, operation=operation)
        .on_conflict_do_nothing(index_elements=["subject", "key"])
        .returning(col(IdempotencyRecord.id))
    )
    if claimed.scalar_one_or_none() is not None:
        return None
    first = (
        await session.execute(
            sa.select(col(IdempotencyRecord.operation), col(IdempotencyRecord.result)).where(
                col(IdempotencyRecord.subject) == subject, col(IdempotencyRecord.key) == key
            )
        )
    ).one()
    if first.operation != operation:
        raise DomainError(
            f"idempotencyKey was already used for {first.operation}",
            ErrorCode.INVALID,
            ["idempotencyKey"],
        )
    return first.result or {}


async def record(session: AsyncSession, subject: str, key: str, result: dict[str, Any]) -> None:
    await session.execute(
        sa.update(IdempotencyRecord)
        .where(col(IdempotencyRecord.subject) == subject, col(IdempotencyRecord.key) == key)
        .values(result=result)
    )


async def purge_older_than(session: AsyncSession, cutoff: datetime) -> int:
    deleted = await session.execute(
        sa.delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) < cutoff)
    )
    return deleted.rowcount  # type: ignore[attr-defined]
