"""The viewer: who is calling, and the technician, customer or partner they stand for."""

from __future__ import annotations

import strawberry

from app.core.auth import Principal
from app.customers.models import Customer
from app.partners.models import Partner
from app.technicians.models import Technician
from schema.context import Info
from schema.customers import CustomerType
from schema.partners import PartnerType
from schema.technicians import TechnicianType
from schema.users import Role


@strawberry.type(
    description=(
        "The caller, as their bearer token describes them: role, name, and the technician, "
        "customer or partner they stand for."
    )
)
class Viewer:
    subject: strawberry.Private[str]
    role: Role = strawberry.field(  # type: ignore[valid-type]
        description="The caller's role, which decides what they may read and do."
    )
    name: str = strawberry.field(
        description="The caller's name as written in their token (the user's name at login)."
    )
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

    @strawberry.field(description="The technician this user stands for (TECHNICIAN role).")
    async def technician(self, info: Info) -> TechnicianType | None:
        if self.technician_db_id is None:
            return None
        row = await info.context.loaders.by_id(Technician).load(self.technician_db_id)
        return TechnicianType.from_model(row) if row else None

    @strawberry.field(description="The customer this user stands for (CUSTOMER role).")
    async def customer(self, info: Info) -> CustomerType | None:
        if self.customer_db_id is None:
            return None
        row = await info.context.loaders.by_id(Customer).load(self.customer_db_id)
        return CustomerType.from_model(row) if row else None

    @strawberry.field(description="The partner company this user stands for (PARTNER role).")
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
