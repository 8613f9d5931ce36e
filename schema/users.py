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


@strawberry.type(
    name="User",
    description=(
        "An account that logs in with email and password; a technician, customer or partner "
        "user stands for that technician, customer or partner."
    ),
)
class UserType(Node):
    email: str = strawberry.field(
        description="Login email, unique across users; cannot be changed."
    )
    name: str = strawberry.field(description="The person's name, as shown in the apps.")
    role: Role = strawberry.field(  # type: ignore[valid-type]
        description="What the user may read and do."
    )
    version: int
    created_at: datetime
    last_login_at: datetime | None = strawberry.field(
        description="When the user last logged in successfully (UTC); null if never."
    )
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


@strawberry.input(description="Credentials to exchange for a bearer token.")
class LoginInput:
    email: str = strawberry.field(
        description="The account's email; case and surrounding spaces are ignored."
    )
    password: str = strawberry.field(description="The account's password.")


@strawberry.type
class LoginPayload(Payload):
    token: str | None = strawberry.field(
        default=None,
        description=(
            "Bearer token (JWT) to send as `Authorization: Bearer <token>`; it expires after "
            "the server's token lifetime (12 hours by default). Null if the login was refused."
        ),
    )
    user: UserType | None = strawberry.field(
        default=None, description="The user who logged in; null if the login was refused."
    )


@strawberry.input(description="A new user account.")
class CreateUserInput:
    email: str = strawberry.field(
        description=(
            "Login email: a valid address, stored in lower case; one already in use is refused "
            "with DUPLICATE."
        )
    )
    name: str = strawberry.field(description="The person's name, up to 200 characters.")
    role: Role = strawberry.field(  # type: ignore[valid-type]
        description=(
            "The user's role. TECHNICIAN needs technicianId, CUSTOMER customerId and PARTNER "
            "partnerId; any other link is refused."
        )
    )
    password: str = strawberry.field(
        description="Initial password, 8 to 200 characters; only its hash is stored."
    )
    technician_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    partner_id: strawberry.ID | None = None


@strawberry.input(
    description=(
        "Changes to a user: only the fields sent are changed. Tokens already issued keep the "
        "old role and links until they expire."
    )
)
class UpdateUserInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="New name, 1 to 200 characters."
    )
    role: Role | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET,
        description=(
            "New role; the user's links must then match it (TECHNICIAN needs technicianId, "
            "CUSTOMER customerId, PARTNER partnerId, and no other link)."
        ),
    )
    password: str | None = strawberry.field(
        default=strawberry.UNSET, description="New password, 8 to 200 characters."
    )
    technician_id: strawberry.ID | None = strawberry.UNSET
    customer_id: strawberry.ID | None = strawberry.UNSET
    partner_id: strawberry.ID | None = strawberry.UNSET


@strawberry.type
class UserPayload(Payload):
    user: UserType | None = strawberry.field(
        default=None, description="The user as it now stands; null if the mutation was refused."
    )
