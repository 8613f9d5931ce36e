"""GraphQL types for users, the viewer and login."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.core.auth import Role as DomainRole
from app.users.models import User
from schema.errors import Payload
from schema.node import Node
from schema.pagination import Connection

Role = strawberry.enum(DomainRole, name="Role")


@strawberry.type(name="User")
class UserType(Node):
    email: str
    name: str
    role: Role  # type: ignore[valid-type]
    version: int
    created_at: datetime
    last_login_at: datetime | None
    archived_at: datetime | None
    technician_db_id: strawberry.Private[int | None]
    customer_db_id: strawberry.Private[int | None]
    partner_db_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: User) -> UserType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            email=row.email,
            name=row.name,
            role=row.role,
            version=row.version,
            created_at=row.created_at,
            last_login_at=row.last_login_at,
            archived_at=row.archived_at,
            technician_db_id=row.technician_id,
            customer_db_id=row.customer_id,
            partner_db_id=row.partner_id,
        )


UserConnection = Connection[UserType]


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.type
class LoginPayload(Payload):
    token: str | None = None
    user: UserType | None = None


@strawberry.input
class CreateUserInput:
    email: str
    name: str
    role: Role  # type: ignore[valid-type]
    password: str
    technician_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    partner_id: strawberry.ID | None = None


@strawberry.input
class UpdateUserInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.UNSET
    role: Role | None = strawberry.UNSET  # type: ignore[valid-type]
    password: str | None = strawberry.UNSET
    technician_id: strawberry.ID | None = strawberry.UNSET
    customer_id: strawberry.ID | None = strawberry.UNSET
    partner_id: strawberry.ID | None = strawberry.UNSET


@strawberry.type
class UserPayload(Payload):
    user: UserType | None = None
