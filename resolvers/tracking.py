"""Location ingest and tracking policies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.core.auth import Role
from app.core.errors import Forbidden, collect
from app.policies import domains as policy_changes
from app.technicians import repository as technicians
from app.tracking import repository, service, trails
from app.tracking.models import TrackingPolicySet
from resolvers.base import execute
from schema.context import Info
from schema.ids import decode_id, decode_optional_id
from schema.node import register_node
from schema.permissions import STAFF, allow, staff
from schema.scalars import offset_problems
from schema.tracking import (
    POLICY_SETTINGS,
    ReportLocationsInput,
    ReportLocationsPayload,
    SetTrackingPolicyInput,
    TrackingPolicyPayload,
    TrackingPolicyType,
    Trail,
)

register_node(TrackingPolicyType, repository.get_readable_policy, TrackingPolicyType.from_model)


@strawberry.type
class TrackingQuery:
    @strawberry.field(
        extensions=[staff()],
        description="Every tracking policy in force: the default one (no territory) first, "
        "then each territory's own. Staff.",
    )
    async def tracking_policies(self, info: Info) -> list[TrackingPolicyType]:
        rows = await repository.policies(info.context.session)
        return [TrackingPolicyType.from_model(row) for row in rows]

    @strawberry.field(
        extensions=[allow(*STAFF, Role.PARTNER, Role.TECHNICIAN)],
        description="Where a technician went between two times: the simplified path and the "
        "stops, with the check-ins made there. Staff, the technician's partner and the "
        "technician themselves.",
    )
    async def technician_trail(
        self,
        info: Info,
        technician_id: strawberry.ID,
        from_: Annotated[
            datetime,
            strawberry.argument(
                name="from", description="Start of the period, with a zone offset."
            ),
        ],
        to: Annotated[
            datetime,
            strawberry.argument(
                description="End of the period, with a zone offset: after from, at most 31 "
                "days later."
            ),
        ],
    ) -> Trail | None:
        session = info.context.session
        technician = decode_id(technician_id, "Technician", "technicianId")
        collect(offset_problems(from_, "from") + offset_problems(to, "to"))
        principal = info.context.require_principal()
        if await technicians.get_readable(session, principal, technician) is None:
            return None
        return Trail.from_trail(await trails.technician_trail(session, technician, from_, to))


@strawberry.type
class TrackingMutation:
    @strawberry.mutation(
        extensions=[allow(Role.TECHNICIAN)],
        description="Send a batch of the calling technician's positions (at most 500). Each "
        "ping is checked against their territory's tracking policy; refused ones are counted "
        "by reason and repeats ignored. The newest accepted position goes to "
        "technicianLocations and, for a task they travel to or are at, updates its ETA on "
        "taskTracking and may raise the one-off running-late alert and nearby notice. "
        "Technicians only.",
    )
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

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description="Create or replace the tracking policy of a territory, or the default one "
        "without territoryId; every setting left out takes its default. The change is "
        "audited. Admins only.",
    )
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
            policy = await policy_changes.set_tracking_policy(
                info.context.session,
                info.context.require_principal(),
                data,
                input.expected_version,
            )
            return TrackingPolicyPayload(policy=TrackingPolicyType.from_model(policy))

        return await execute(info, TrackingPolicyPayload, action)
