"""Partner queries and mutations."""

from __future__ import annotations

import strawberry

from app.core.auth import Role
from app.partners import repository, service
from app.partners.models import Partner, PartnerCreate, PartnerUpdate
from resolvers.base import execute
from schema.context import Info
from schema.ids import decode_id
from schema.inputs import ArchiveInput, provided
from schema.node import register_node
from schema.pagination import paginate
from schema.partners import (
    CreatePartnerInput,
    PartnerConnection,
    PartnerPayload,
    PartnerType,
    UpdatePartnerInput,
)
from schema.permissions import allow, staff

register_node(PartnerType, repository.get_readable, PartnerType.from_model)


@strawberry.type
class PartnerQuery:
    @strawberry.field(
        description=(
            "Partner companies, oldest first. Staff (ADMIN, DISPATCHER, AGENT, MANAGER) see "
            "all; a PARTNER sees only itself."
        ),
        extensions=[allow(*staff().roles, Role.PARTNER)],
    )
    async def partners(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        include_archived: bool = False,
    ) -> PartnerConnection:
        return await paginate(
            info.context.session,
            repository.listed(info.context.principal, include_archived=include_archived),
            Partner.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=PartnerType.from_model,
        )


@strawberry.type
class PartnerMutation:
    @strawberry.mutation(
        description="Register a partner company (ADMIN only). A code in use gives DUPLICATE.",
        extensions=[allow(Role.ADMIN)],
    )
    async def create_partner(self, info: Info, input: CreatePartnerInput) -> PartnerPayload:
        async def action() -> PartnerPayload:
            data = PartnerCreate.model_validate(provided(input, exclude=("idempotency_key",)))
            partner = await service.create_partner(info.context.session, data)
            return PartnerPayload(partner=PartnerType.from_model(partner))

        return await execute(info, PartnerPayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        description="Change a partner's name, contact details or notes (ADMIN only).",
        extensions=[allow(Role.ADMIN)],
    )
    async def update_partner(self, info: Info, input: UpdatePartnerInput) -> PartnerPayload:
        async def action() -> PartnerPayload:
            changes = PartnerUpdate.model_validate(
                provided(input, exclude=("id", "expected_version"))
            )
            partner = await service.update_partner(
                info.context.session,
                decode_id(input.id, "Partner"),
                changes,
                input.expected_version,
            )
            return PartnerPayload(partner=PartnerType.from_model(partner))

        return await execute(info, PartnerPayload, action)

    @strawberry.mutation(
        description=(
            "Archive a partner (ADMIN only): it leaves the partners list but keeps its "
            "history; archiving an archived partner changes nothing."
        ),
        extensions=[allow(Role.ADMIN)],
    )
    async def archive_partner(self, info: Info, input: ArchiveInput) -> PartnerPayload:
        async def action() -> PartnerPayload:
            partner = await service.archive_partner(
                info.context.session, decode_id(input.id, "Partner"), input.expected_version
            )
            return PartnerPayload(partner=PartnerType.from_model(partner))

        return await execute(info, PartnerPayload, action)
