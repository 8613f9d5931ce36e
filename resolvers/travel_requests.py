"""Travel and advance request queries and mutations: requests, decisions, the advance's payout
and settlement, and the travel policies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry

from app.core.auth import Role
from app.core.errors import DomainError, ErrorCode
from app.travel_requests import policy, repository, service
from app.travel_requests.models import TravelPolicySet, TravelRequest, TravelRequestCreate
from resolvers.base import execute
from schema.context import Info
from schema.ids import decode_id, decode_optional_id, split_id
from schema.node import register_node
from schema.pagination import FirstItems, paginate
from schema.permissions import allow, staff
from schema.travel_requests import (
    ApproveTravelRequestInput,
    DecideTravelRequestInput,
    RequestTravelInput,
    SetTravelPolicyInput,
    TravelAdvanceInput,
    TravelPolicyPayload,
    TravelPolicyType,
    TravelRequestConnection,
    TravelRequestFilter,
    TravelRequestPayload,
    TravelRequestType,
)

register_node(TravelRequestType, repository.get_readable, TravelRequestType.from_model)

REQUESTERS = (Role.TECHNICIAN, Role.DISPATCHER, Role.MANAGER, Role.ADMIN)
APPROVERS = (Role.DISPATCHER, Role.MANAGER, Role.ADMIN)
"""Roles that may decide at all; the request's cost says which of them may approve it (any of
them may reject)."""
TREASURY = (Role.MANAGER, Role.ADMIN)
"""Roles that record advances paid out and settle them."""
READERS = (*REQUESTERS, Role.AGENT, Role.PARTNER)
MAX_FILTER_VALUES = 10

Step = Callable[[], Awaitable[TravelRequest]]


def _payload(row: TravelRequest) -> TravelRequestPayload:
    return TravelRequestPayload(request=TravelRequestType.from_model(row))


async def _run(info: Info, step: Step, key: str | None = None) -> TravelRequestPayload:
    async def action() -> TravelRequestPayload:
        return _payload(await step())

    return await execute(info, TravelRequestPayload, action, idempotency_key=key)


def _request_id(value: strawberry.ID) -> int:
    return decode_id(value, "TravelRequest", "requestId")


@strawberry.type
class TravelRequestsQuery:
    @strawberry.field(
        extensions=[allow(*READERS)],
        description=(
            "Travel and advance requests, newest first: staff see all, technicians their own, "
            "partners their technicians'."
        ),
    )
    async def travel_requests(
        self,
        info: Info,
        filter: Annotated[
            TravelRequestFilter | None, strawberry.argument(description="Narrow the list.")
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> TravelRequestConnection:
        f = filter or TravelRequestFilter()
        for name in ("status", "settlement_status"):
            if len(getattr(f, name) or []) > MAX_FILTER_VALUES:
                raise DomainError(
                    f"at most {MAX_FILTER_VALUES} values", ErrorCode.INVALID, ["filter", name]
                )
        return await paginate(
            info.context.session,
            repository.listed(
                info.context.principal,
                statuses=f.status,
                settlement=f.settlement_status,
                task_id=decode_optional_id(f.task_id, "Task", ["filter", "taskId"]),
                technician_id=decode_optional_id(
                    f.technician_id, "Technician", ["filter", "technicianId"]
                ),
                departs_from=f.departs_from,
                departs_to=f.departs_to,
            ),
            TravelRequest.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=TravelRequestType.from_model,
            newest_first=True,
        )

    @strawberry.field(
        extensions=[allow(*READERS)],
        description="One travel request the caller may read; null otherwise.",
    )
    async def travel_request(self, info: Info, id: strawberry.ID) -> TravelRequestType | None:
        parts = split_id(id)
        if parts is None or parts[0] != "TravelRequest":
            return None
        row = await repository.get_readable(info.context.session, info.context.principal, parts[1])
        return TravelRequestType.from_model(row) if row else None

    @strawberry.field(
        extensions=[staff(), FirstItems(20)],
        description="Travel policies in force: the default row first, then by task type.",
    )
    async def travel_policies(self, info: Info) -> list[TravelPolicyType]:
        return [TravelPolicyType.from_model(r) for r in await policy.policies(info.context.session)]


@strawberry.type
class TravelRequestsMutation:
    @strawberry.mutation(
        extensions=[allow(*REQUESTERS)],
        description=(
            "Request travel and a cash advance for a task (a technician: their own task). "
            "Under the policy's floor it is approved at once; otherwise its cost sets the "
            "approver (dispatcher, manager or admin)."
        ),
    )
    async def request_travel(self, info: Info, input: RequestTravelInput) -> TravelRequestPayload:
        async def step() -> TravelRequest:
            data = TravelRequestCreate(
                task_id=decode_id(input.task_id, "Task", "taskId"),
                technician_id=decode_optional_id(input.technician_id, "Technician", "technicianId"),
                mode=input.mode,
                origin=input.origin,
                destination=input.destination,
                departs_on=input.departs_on,
                returns_on=input.returns_on,
                estimated_cost=input.estimated_cost,
                lodging_nights=input.lodging_nights,
                advance_amount=input.advance_amount,
                currency=input.currency,
                notes=input.notes,
            )
            return await service.request_travel(
                info.context.session, info.context.require_principal(), data
            )

        return await _run(info, step, input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*APPROVERS)],
        description=(
            "Approve a pending travel request (the role its cost requires, or above); its "
            "task is then released for execution."
        ),
    )
    async def approve_travel_request(
        self, info: Info, input: ApproveTravelRequestInput
    ) -> TravelRequestPayload:
        async def step() -> TravelRequest:
            return await service.approve(
                info.context.session,
                info.context.require_principal(),
                _request_id(input.request_id),
                input.expected_version,
            )

        return await _run(info, step, input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*APPROVERS)],
        description="Reject a pending travel request, saying why.",
    )
    async def reject_travel_request(
        self, info: Info, input: DecideTravelRequestInput
    ) -> TravelRequestPayload:
        async def step() -> TravelRequest:
            return await service.reject(
                info.context.session,
                info.context.require_principal(),
                _request_id(input.request_id),
                input.reason,
                input.expected_version,
            )

        return await _run(info, step, input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*REQUESTERS)],
        description=(
            "Cancel a pending or approved travel request whose advance was not paid out (a "
            "technician: their own), saying why; an approved one no longer releases the task."
        ),
    )
    async def cancel_travel_request(
        self, info: Info, input: DecideTravelRequestInput
    ) -> TravelRequestPayload:
        async def step() -> TravelRequest:
            return await service.cancel(
                info.context.session,
                info.context.require_principal(),
                _request_id(input.request_id),
                input.reason,
                input.expected_version,
            )

        return await _run(info, step, input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*TREASURY)],
        description=(
            "Manager or admin: record an approved request's advance paid out to the "
            "technician; it then settles against their approved expense claims for the task."
        ),
    )
    async def record_travel_advance_payout(
        self, info: Info, input: TravelAdvanceInput
    ) -> TravelRequestPayload:
        async def step() -> TravelRequest:
            return await service.record_payout(
                info.context.session,
                info.context.require_principal(),
                _request_id(input.request_id),
                input.expected_version,
            )

        return await _run(info, step, input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*TREASURY)],
        description=(
            "Manager or admin: settle a paid-out advance now against the expense claims "
            "approved so far (none: all of it is recovered); refused while a claim waits."
        ),
    )
    async def settle_travel_advance(
        self, info: Info, input: TravelAdvanceInput
    ) -> TravelRequestPayload:
        async def step() -> TravelRequest:
            return await service.settle(
                info.context.session,
                info.context.require_principal(),
                _request_id(input.request_id),
                input.expected_version,
            )

        return await _run(info, step, input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description=(
            "Admin only: create or replace a task type's travel policy (null type: the "
            "default row); the release rule applies at once, the limits to new requests."
        ),
    )
    async def set_travel_policy(
        self, info: Info, input: SetTravelPolicyInput
    ) -> TravelPolicyPayload:
        async def action() -> TravelPolicyPayload:
            data = TravelPolicySet(
                task_type=input.task_type,
                requires_approval=input.requires_approval,
                approval_beyond_km=input.approval_beyond_km,
                currency=input.currency,
                auto_approve_below=input.auto_approve_below,
                dispatcher_limit=input.dispatcher_limit,
                manager_limit=input.manager_limit,
            )
            row = await policy.set_policy(info.context.session, data, input.expected_version)
            return TravelPolicyPayload(policy=TravelPolicyType.from_model(row))

        return await execute(info, TravelPolicyPayload, action)
