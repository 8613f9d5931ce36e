"""Partner queries, scoped to what the caller may read."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal, Role
from app.partners.models import Partner


def readable(principal: Principal | None) -> SelectOfScalar[Partner]:
    """Staff see every partner; a partner sees itself; others see none."""
    statement = select(Partner)
    if principal is not None and principal.is_staff:
        return statement
    if principal is not None and principal.role is Role.PARTNER and principal.partner_id:
        return statement.where(col(Partner.id) == principal.partner_id)
    return statement.where(false())


def listed(
    principal: Principal | None, *, include_archived: bool = False
) -> SelectOfScalar[Partner]:
    statement = readable(principal)
    return statement if include_archived else statement.where(col(Partner.archived_at).is_(None))


async def get_readable(
    session: AsyncSession, principal: Principal | None, partner_id: int
) -> Partner | None:
    return await session.scalar(readable(principal).where(col(Partner.id) == partner_id))
