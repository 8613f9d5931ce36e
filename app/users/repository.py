"""User queries: administrators and managers see all users, anyone else only themselves."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, func, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal, Role
from app.users.models import User


def readable(principal: Principal | None) -> SelectOfScalar[User]:
    statement = select(User)
    if principal is not None and principal.role in (Role.ADMIN, Role.MANAGER):
        return statement
    if principal is not None and principal.user_id is not None:
        return statement.where(col(User.id) == principal.user_id)
    return statement.where(false())


async def get_readable(
    session: AsyncSession, principal: Principal | None, user_id: int
) -> User | None:
    return await session.scalar(readable(principal).where(col(User.id) == user_id))


async def find_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
