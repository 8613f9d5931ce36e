"""Helpers every domain repository uses: fetch for update, versions, unique violations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from asyncpg.exceptions import UniqueViolationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from app.core.errors import DomainError, ErrorCode, NotFound, StaleVersion

M = TypeVar("M", bound=SQLModel)


async def get_for_update(
    session: AsyncSession, model: type[M], db_id: int, *, what: str, field: str = "id"
) -> M:
    """The row locked for this transaction, or NOT_FOUND on `field`."""
    id_column: Any = model.id  # type: ignore[attr-defined]
    row = await session.scalar(select(model).where(id_column == db_id).with_for_update())
    if row is None:
        raise NotFound(what, [field])
    return row


def check_version(row: Any, expected: int | None) -> None:
    if expected is not None and row.version != expected:
        raise StaleVersion(expected, row.version)


def apply_changes(row: SQLModel, changes: Mapping[str, Any]) -> None:
    for name, value in changes.items():
        setattr(row, name, value)


async def flush_unique(session: AsyncSession, field: str, message: str) -> None:
    """Flush, turning a unique violation into a DUPLICATE error on `field`."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        if (
            isinstance(getattr(exc.orig, "__cause__", None), UniqueViolationError)
            or "unique" in str(exc.orig).lower()
        ):
            raise DomainError(message, ErrorCode.DUPLICATE, [field]) from exc
        raise
