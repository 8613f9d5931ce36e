"""The viewer: who is calling, and the technician, customer or partner they stand for."""

from __future__ import annotations

import strawberry

from app.core.auth import Principal
from app.partners.models import Partner
from schema.context import Info
from schema.partners import PartnerType
from schema.users import Role


@strawberry.type
class Viewer:
    subject: strawberry.Private[str]
    role: Role  # type: ignore[valid-type]
    name: str
    user_db_id: strawberry.Private[int | None]
    technician_db_id: strawberry.Private[int | None]
    customer_db_id: strawberry.Private[int | None]
    partner_db_id: strawberry.Private[int | None]

    @strawberry.field(description="The user's global ID, or the token's subject for issued tokens.")
    def id(self) -> strawberry.ID:
        from schema.ids import encode_id

        return strawberry.ID(
            encode_id("User", self.user_db_id) if self.user_db_id else self.subject
        )

    @strawberry.field
    async def partner(self, info: Info) -> PartnerType | None:
        if self.partner_db_id is None:
            return None
        row = await info.context.loaders.by_id(Partner).load(self.partner_db_id)
        return PartnerType.from_model(row) if row else None

    @classmethod
    def of(cls, principal: Principal) -> Viewer:
        return cls(
            subject=principal.subject,
            role=principal.role,
            name=principal.name,
            user_db_id=principal.user_id,
            technician_db_id=principal.technician_id,
            customer_db_id=principal.customer_id,
            partner_db_id=principal.partner_id,
        )
