"""GraphQL types for partner companies."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.partners.models import Partner
from schema.errors import Payload
from schema.node import Node
from schema.pagination import Connection
from schema.permissions import internal


@strawberry.type(
    name="Partner",
    description=(
        "A partner company: a subcontractor whose technicians do work for the organisation."
    ),
)
class PartnerType(Node):
    name: str = strawberry.field(description="The company's display name.")
    code: str = strawberry.field(
        description="Short unique business code (letters, digits, _ . -); fixed at creation."
    )
    contact_email: str | None = strawberry.field(
        description="Email address to reach the partner; null if not recorded."
    )
    phone: str | None = strawberry.field(
        description="Phone number to reach the partner, as entered; null if not recorded."
    )
    notes: str | None = strawberry.field(
        description=(
            "The organisation's internal notes on the partner; null if none. Customers and "
            "partners may not read it (FORBIDDEN error)."
        ),
        extensions=[internal()],
    )
    version: int
    created_at: datetime
    archived_at: datetime | None

    @classmethod
    def from_model(cls, row: Partner) -> PartnerType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            name=row.name,
            code=row.code,
            contact_email=row.contact_email,
            phone=row.phone,
            notes=row.notes,
            version=row.version,
            created_at=row.created_at,
            archived_at=row.archived_at,
        )


PartnerConnection = Connection[PartnerType]


@strawberry.input(description="A new partner company.")
class CreatePartnerInput:
    name: str = strawberry.field(description="Display name, 1 to 200 characters.")
    code: str = strawberry.field(
        description=(
            "Unique business code, 1 to 40 letters, digits, _ . or - (spaces around it are "
            "trimmed); cannot be changed later. A code in use is refused with DUPLICATE."
        )
    )
    contact_email: str | None = strawberry.field(
        default=None, description="Email address to reach the partner; must be a valid address."
    )
    phone: str | None = strawberry.field(
        default=None, description="Phone number, free text up to 40 characters."
    )
    notes: str | None = strawberry.field(
        default=None, description="Internal notes, never shown to the partner."
    )
    idempotency_key: str | None = None


@strawberry.input(
    description="Changes to a partner: only the fields sent are changed (the code cannot be)."
)
class UpdatePartnerInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="New display name, 1 to 200 characters."
    )
    contact_email: str | None = strawberry.field(
        default=strawberry.UNSET, description="New contact email; null clears it."
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="New phone number (up to 40 characters); null clears it.",
    )
    notes: str | None = strawberry.field(
        default=strawberry.UNSET, description="New internal notes; null clears them."
    )


@strawberry.type
class PartnerPayload(Payload):
    partner: PartnerType | None = strawberry.field(
        default=None, description="The partner as it now stands; null if the mutation was refused."
    )
