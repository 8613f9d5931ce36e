"""Who is calling: roles, the principal, JWT bearer tokens and password hashing."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.core.config import Settings


class Role(StrEnum):
    """What a caller is to the organisation; it decides what they may read and do."""

    ADMIN = "ADMIN"
    """Runs the organisation: every read and change, settings and policies."""
    DISPATCHER = "DISPATCHER"
    """Plans and assigns the work; sees every row."""
    AGENT = "AGENT"
    """Takes customers' requests at the desk or call centre; sees every row."""
    MANAGER = "MANAGER"
    """Oversees service and money (margins, reports); sees every row."""
    TECHNICIAN = "TECHNICIAN"
    """Works in the field: their own tasks, van stock and expenses."""
    CUSTOMER = "CUSTOMER"
    """A customer: their own sites, assets, requests, visits and invoices."""
    PARTNER = "PARTNER"
    """A partner company: its own technicians and their work."""


STAFF_ROLES = frozenset({Role.ADMIN, Role.DISPATCHER, Role.AGENT, Role.MANAGER})
"""Roles that see every row of the organisation."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, as the services see it (no transport details)."""

    subject: str
    role: Role
    name: str = ""
    user_id: int | None = None
    technician_id: int | None = None
    customer_id: int | None = None
    partner_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


class InvalidToken(Exception):
    pass


WEBSOCKET_FORBIDDEN = (
    "Forbidden: send a valid token in the connection_init payload: "
    '{"Authorization": "Bearer <token>"}'
)
"""The close reason of a socket whose token was refused (a close reason fits in 123 bytes)."""


def unauthenticated_body(reason: str) -> dict[str, Any]:
    """The GraphQL error body answered with 401 to a request whose bearer token is refused."""
    message = (
        f"Invalid bearer token ({reason}): get one with the login mutation or "
        "`fieldgraph token --role ROLE`, and send it as `Authorization: Bearer <token>`"
    )
    return {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}


_CLAIM_LINKS = ("uid", "tid", "cid", "pid")


def issue_token(settings: Settings, principal: Principal, ttl: timedelta | None = None) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": principal.subject,
        "role": principal.role.value,
        "name": principal.name,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + (ttl or timedelta(minutes=settings.jwt_ttl_minutes)),
    }
    links = (
        principal.user_id,
        principal.technician_id,
        principal.customer_id,
        principal.partner_id,
    )
    claims.update({k: v for k, v in zip(_CLAIM_LINKS, links, strict=True) if v is not None})
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


_VERIFIED_MAX = 10_000
_verified: dict[tuple[str, str, str, str], tuple[float, Principal]] = {}
"""Tokens that verified, with their expiry: a client sends the same token with every request,
and checking its signature and claims again each time cost more CPU than the request's own
query. Keyed by the token and the settings that judged it; a token is served from here only
until its `exp` (then it is checked afresh, and refused). Tokens that fail are not kept, so
each made-up token still costs its own check."""


def read_token(settings: Settings, token: str) -> Principal:
    key = (token, settings.jwt_secret, settings.jwt_audience, settings.jwt_issuer)
    known = _verified.get(key)
    if known is not None:
        expires, principal = known
        if time.time() < expires:
            return principal
        _verified.pop(key, None)
    principal, expires = _verify(settings, token)
    _verified[key] = (expires, principal)
    if len(_verified) > _VERIFIED_MAX:
        _verified.pop(next(iter(_verified)), None)  # the oldest
    return principal


def _verify(settings: Settings, token: str) -> tuple[Principal, float]:
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=["HS256"],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "sub", "role"]},
        )
        role = Role(claims["role"])
        expires = float(claims["exp"])
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc
    principal = Principal(
        subject=str(claims["sub"]),
        role=role,
        name=str(claims.get("name", "")),
        user_id=claims.get("uid"),
        technician_id=claims.get("tid"),
        customer_id=claims.get("cid"),
        partner_id=claims.get("pid"),
    )
    return principal, expires


def principal_from_header(settings: Settings, header: str | None) -> Principal | None:
    """Read `Bearer <jwt>`; no header means anonymous, a bad one raises InvalidToken."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise InvalidToken("expected 'Bearer <token>'")
    return read_token(settings, token.strip())


_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
