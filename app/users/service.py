"""Users: login, and the links that tie a user to a technician, customer or partner."""

from __future__ import annotations

import asyncio
import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal, Role, hash_password, issue_token, verify_password
from app.core.config import Settings
from app.core.errors import DomainError, ErrorCode, FieldProblem, collect
from app.core.models import utcnow
from app.core.ratelimit import LoginAttempts
from app.core.repository import apply_changes, check_version, flush_unique, get_for_update
from app.users import repository
from app.users.models import User, UserCreate, UserUpdate

# The link a role needs: a technician user must point at a technician, and so on.
REQUIRED_LINK = {
    Role.TECHNICIAN: "technician_id",
    Role.CUSTOMER: "customer_id",
    Role.PARTNER: "partner_id",
}


def principal_of(user: User) -> Principal:
    assert user.id is not None
    return Principal(
        subject=f"user:{user.id}",
        role=user.role,
        name=user.name,
        user_id=user.id,
        technician_id=user.technician_id,
        customer_id=user.customer_id,
        partner_id=user.partner_id,
    )


# Verified in place of a missing account's hash, so that an unknown email costs the same
# argon2 work as a wrong password and the answer's timing does not tell which accounts exist.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(24))


def _password_matches(user: User | None, password: str) -> bool:
    """Always one argon2 verification, whether or not the account exists or is archived."""
    matches = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    return matches and user is not None and user.archived_at is None


async def login(
    session: AsyncSession,
    settings: Settings,
    email: str,
    password: str,
    attempts: LoginAttempts | None = None,
) -> tuple[User, str]:
    if attempts is not None and (wait := await attempts.retry_after(email)):
        raise DomainError(
            f"too many failed logins for this account: try again in {wait} seconds",
            ErrorCode.RATE_LIMITED,
            ["email"],
        )
    user = await repository.find_by_email(session, email)
    # The same answer, after the same work, for an unknown email, an archived account and a
    # wrong password. The hash runs in a thread: it takes tenths of a second of CPU.
    if not await asyncio.to_thread(_password_matches, user, password):
        if attempts is not None:
            await attempts.failed(email)
        raise DomainError("wrong email or password", ErrorCode.UNAUTHENTICATED, ["password"])
    assert user is not None
    user.last_login_at = utcnow()
    await session.flush()
    return user, issue_token(settings, principal_of(user))


def _check_links(role: Role, links: dict[str, int | None]) -> None:
    needed = REQUIRED_LINK.get(role)
    problems = []
    if needed and links.get(needed) is None:
        problems.append(FieldProblem(f"a {role} user needs {needed}", ErrorCode.INVALID, [needed]))
    for name, value in links.items():
        if value is not None and name != needed:
            problems.append(
                FieldProblem(f"a {role} user cannot have {name}", ErrorCode.INVALID, [name])
            )
    collect(problems)


async def create_user(session: AsyncSession, data: UserCreate) -> User:
    links = {k: getattr(data, k) for k in ("technician_id", "customer_id", "partner_id")}
    _check_links(data.role, links)
    user = User(
        email=data.email.lower(),
        name=data.name,
        role=data.role,
        password_hash=hash_password(data.password),
        **links,
    )
    session.add(user)
    await flush_unique(session, "email", "a user with this email exists")
    return user


async def update_user(
    session: AsyncSession, user_id: int, changes: UserUpdate, expected_version: int | None
) -> User:
    user = await get_for_update(session, User, user_id, what="user")
    check_version(user, expected_version)
    values = changes.model_dump(exclude_unset=True)
    if (password := values.pop("password", None)) is not None:
        user.password_hash = hash_password(password)
    apply_changes(user, values)
    _check_links(
        user.role, {k: getattr(user, k) for k in ("technician_id", "customer_id", "partner_id")}
    )
    user.touch()
    await session.flush()
    return user


async def archive_user(session: AsyncSession, user_id: int, expected_version: int | None) -> User:
    user = await get_for_update(session, User, user_id, what="user")
    check_version(user, expected_version)
    if user.archived_at is None:
        user.archived_at = utcnow()
        user.touch()
        await session.flush()
    return user
