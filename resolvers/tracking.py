"""Location ingest and tracking policies."""

from __future__ import annotations

import strawberry

from app.core.auth import Role
from app.core.errors import Forbidden
from app.tracking import repository, service
from app.tracking.models import TrackingPolicySet
from resolvers.base import execute
from schema.context import Info
from schema.ids import decode_optional_id
from schema.node import register_node
from schema.permissions import allow, staff
from schema.tracking import (
    POLICY_SETTINGS,
    ReportLocationsInput,
    ReportLocationsPayload,
    SetTrackingPolicyInput,
    TrackingPolicyPayload,
    TrackingPolicyType,
)

register_node(TrackingPolicyType, repository.get_readable_policy, TrackingPolicyType.from_model)


@strawberry.type
class TrackingQuery:
    @strawberry.field(extensions=[staff()])
    async def tracking_policies(self, info: Info) -> list[TrackingPolicyType]:
        rows = await repository.policies(info.context.session)
        return [TrackingPolicyType.from_model(row) for row in rows]


@strawberry.type
class TrackingMutation:
    @strawberry.mutation(extensions=[allow(Role.TECHNICIAN)])
    async def report_locations(
        self, info: Info, input: ReportLocationsInput
    ) -> ReportLocationsPayload:
        async def action() -> ReportLocationsPayload:
            principal = info.context.require_principal()
            if principal.technician_id is None:
                raise Forbidden("this login is not linked to a technician")
            result = await service.report_locations(
                info.context.session, principal, [ping.to_ping() for ping in input.pings]
            )
            return ReportLocationsPayload.from_result(result)

        return await execute(
            info, ReportLocationsPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(extensions=[allow(Role.ADMIN)])
    async def set_tracking_policy(
        self, info: Info, input: SetTrackingPolicyInput
    ) -> TrackingPolicyPayload:
        async def action() -> TrackingPolicyPayload:
            data = TrackingPolicySet.model_validate(
                {
                    "territory_id": decode_optional_id(
                        input.territory_id, "Territory", "territoryId"
                    ),
                    **{name: getattr(input, name) for name in POLICY_SETTINGS},
                }
            )
            policy = await service.set_policy(info.context.session, data, input.expected_version)
            return TrackingPolicyPayload(policy=TrackingPolicyType.from_model(policy))

        return await execute(info, TrackingPolicyPayload, action)
