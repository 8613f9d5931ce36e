"""GraphQL types for partner companies."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.partners.models import Partner
from schema.errors import Payload
from schema.node import Node
from schema.pagination import Connection
from schema.permissions import internal


@strawberry.type(name="Partner")
class PartnerType(Node):
    name: str
    code: str
    contact_email: str | None
    phone: str | None
    notes: str | None = strawberry.field(extensions=[internal()])
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


@strawberry.input
class CreatePartnerInput:
    name: str
    code: str
    contact_email: str | None = None
    phone: str | None = None
    notes: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class UpdatePartnerInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.UNSET
    contact_email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET


@strawberry.type
class PartnerPayload(Payload):
    partner: PartnerType | None = None
