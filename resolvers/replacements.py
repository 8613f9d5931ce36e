"""Warranty replacement queries and mutations: requests, decisions, policies and the report."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import strawberry

from app.core.auth import Role
from app.core.errors import DomainError, ErrorCode
from app.core.models import utcnow
from app.replacements import policy, repository, service
from app.replacements.models import (
    ReplacementApproval,
    ReplacementPolicySet,
    ReplacementRequest,
    ReplacementRequestCreate,
)
from resolvers.base import execute
from schema.context import Info
from schema.ids import decode_id, decode_ids, decode_optional_id
from schema.node import register_node
from schema.pagination import FirstItems, paginate
from schema.permissions import allow, staff
from schema.replacements import (
    ApproveReplacementInput,
    RejectReplacementInput,
    RemoveReplacementPolicyInput,
    ReplacementPolicyPayload,
    ReplacementPolicyType,
    ReplacementReportRow,
    ReplacementRequestConnection,
    ReplacementRequestPayload,
    ReplacementRequestType,
    ReplacementStatus,
    ReportPeriod,
    RequestReplacementInput,
    SetReplacementPolicyInput,
    WithdrawReplacementInput,
)

register_node(ReplacementRequestType, repository.get_readable, ReplacementRequestType.from_model)

REQUESTERS = (Role.TECHNICIAN, Role.DISPATCHER, Role.AGENT, Role.MANAGER, Role.ADMIN)
APPROVERS = (Role.DISPATCHER, Role.MANAGER, Role.ADMIN)
"""Roles that may decide at all; the request's value and category say which of them may
approve it (any of them may reject)."""
READERS = (*REQUESTERS, Role.CUSTOMER)
LONGEST_REPORT = timedelta(days=731)


def _payload(row: ReplacementRequest) -> ReplacementRequestPayload:
    return ReplacementRequestPayload(request=ReplacementRequestType.from_model(row))


@strawberry.type
class ReplacementsQuery:
    @strawberry.field(
        extensions=[allow(*READERS)],
        description=(
            "Warranty replacement requests, newest first: staff see all, technicians those of "
            "their tasks, customers their own."
        ),
    )
    async def replacement_requests(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: Annotated[
            list[ReplacementStatus] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only these statuses; null or empty: all."),
        ] = None,
        task_id: strawberry.ID | None = None,
        asset_id: strawberry.ID | None = None,
        stock_location_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only requests issuing from this depot."),
        ] = None,
    ) -> ReplacementRequestConnection:
        return await paginate(
            info.context.session,
            repository.listed(
                info.context.principal,
                statuses=status,
                task_id=decode_optional_id(task_id, "Task", "taskId"),
                asset_id=decode_optional_id(asset_id, "Asset", "assetId"),
                stock_location_id=decode_optional_id(
                    stock_location_id, "StockLocation", "stockLocationId"
                ),
            ),
            ReplacementRequest.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=ReplacementRequestType.from_model,
            newest_first=True,
        )

    @strawberry.field(
        extensions=[staff(), FirstItems(20)],
        description="Replacement policies in force: the default row first, then by category.",
    )
    async def replacement_policies(self, info: Info) -> list[ReplacementPolicyType]:
        rows = await policy.policies(info.context.session)
        return [ReplacementPolicyType.from_model(row) for row in rows]

    @strawberry.field(
        extensions=[allow(Role.ADMIN, Role.MANAGER, Role.DISPATCHER), FirstItems(100)],
        description=(
            "Replacement rate and value by depot (stock location) and period, over at most two "
            "years (default: the last 12 months); by period, then depot."
        ),
    )
    async def replacement_report(
        self,
        info: Info,
        since: Annotated[
            date | None, strawberry.argument(description="First day; default a year ago.")
        ] = None,
        until: Annotated[
            date | None, strawberry.argument(description="Last day; default today.")
        ] = None,
        period: Annotated[
            ReportPeriod,  # type: ignore[valid-type]
            strawberry.argument(description="Length of each period; MONTH by default."),
        ] = repository.Period.MONTH,
        stock_location_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this depot.")
        ] = None,
    ) -> list[ReplacementReportRow]:
        today = utcnow().date()
        last = until or today
        first_day = since or last - timedelta(days=365)
        if first_day > last:
            raise DomainError("since is after until", ErrorCode.INVALID, ["since"])
        if last - first_day > LONGEST_REPORT:
            raise DomainError("at most two years at a time", ErrorCode.INVALID, ["since"])
        rows = await repository.report(
            info.context.session,
            first_day,
            last,
            period,
            decode_optional_id(stock_location_id, "StockLocation", "stockLocationId"),
        )
        return [ReplacementReportRow.from_value(row) for row in rows]


@strawberry.type
class ReplacementsMutation:
    @strawberry.mutation(
        extensions=[allow(*REQUESTERS)],
        description=(
            "Request a warranty replacement from a field task (a technician: their own), with "
            "a diagnosis and the task's photos or documents as evidence; the policy sets who "
            "approves it by value and product category."
        ),
    )
    async def request_replacement(
        self, info: Info, input: RequestReplacementInput
    ) -> ReplacementRequestPayload:
        async def action() -> ReplacementRequestPayload:
            data = ReplacementRequestCreate(
                task_id=decode_optional_id(input.task_id, "Task", "taskId"),
                repair_order_id=decode_optional_id(
                    input.repair_order_id, "RepairOrder", "repairOrderId"
                ),
                asset_id=decode_optional_id(input.asset_id, "Asset", "assetId"),
                replacement_part_id=decode_id(
                    input.replacement_part_id, "Part", "replacementPartId"
                ),
                replacement_model_id=decode_optional_id(
                    input.replacement_model_id, "ProductModel", "replacementModelId"
                ),
                stock_location_id=decode_id(
                    input.stock_location_id, "StockLocation", "stockLocationId"
                ),
                diagnosis=input.diagnosis,
                evidence_attachment_ids=decode_ids(
                    [str(i) for i in input.evidence_attachment_ids],
                    "Attachment",
                    "evidenceAttachmentIds",
                ),
            )
            row = await service.request_replacement(
                info.context.session, info.context.require_principal(), data
            )
            return _payload(row)

        return await execute(
            info, ReplacementRequestPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(*APPROVERS)],
        description=(
            "Approve a pending request (the role its value and category require, or above) and "
            "carry it out: the unit leaves the depot through the ledger exactly once, the old "
            "serial is retired, the new asset registered with the policy's warranty, and the "
            "customer told."
        ),
    )
    async def approve_replacement(
        self, info: Info, input: ApproveReplacementInput
    ) -> ReplacementRequestPayload:
        async def action() -> ReplacementRequestPayload:
            row = await service.approve(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.request_id, "ReplacementRequest", "requestId"),
                ReplacementApproval(new_serial_number=input.new_serial_number),
                input.expected_version,
            )
            return _payload(row)

        return await execute(
            info, ReplacementRequestPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(*APPROVERS)],
        description="Reject a pending request with a reason; the customer is told.",
    )
    async def reject_replacement(
        self, info: Info, input: RejectReplacementInput
    ) -> ReplacementRequestPayload:
        async def action() -> ReplacementRequestPayload:
            row = await service.reject(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.request_id, "ReplacementRequest", "requestId"),
                input.reason,
                input.expected_version,
            )
            return _payload(row)

        return await execute(
            info, ReplacementRequestPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(*REQUESTERS)],
        description="Withdraw a pending request: staff, or the technician of its source task.",
    )
    async def withdraw_replacement(
        self, info: Info, input: WithdrawReplacementInput
    ) -> ReplacementRequestPayload:
        async def action() -> ReplacementRequestPayload:
            row = await service.withdraw(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.request_id, "ReplacementRequest", "requestId"),
                input.expected_version,
            )
            return _payload(row)

        return await execute(info, ReplacementRequestPayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description=(
            "Admin only: create or replace a category's replacement policy (null category: the "
            "default row); applies to requests raised afterwards. Audited."
        ),
    )
    async def set_replacement_policy(
        self, info: Info, input: SetReplacementPolicyInput
    ) -> ReplacementPolicyPayload:
        async def action() -> ReplacementPolicyPayload:
            data = ReplacementPolicySet(
                product_category=input.product_category,
                currency=input.currency,
                dispatcher_limit=input.dispatcher_limit,
                manager_limit=input.manager_limit,
                warranty_mode=input.warranty_mode,
            )
            row = await policy.set_policy(
                info.context.session, info.context.require_principal(), data, input.expected_version
            )
            return ReplacementPolicyPayload(policy=ReplacementPolicyType.from_model(row))

        return await execute(info, ReplacementPolicyPayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description="Admin only: remove a category's own policy; it then follows the default.",
    )
    async def remove_replacement_policy(
        self, info: Info, input: RemoveReplacementPolicyInput
    ) -> ReplacementPolicyPayload:
        async def action() -> ReplacementPolicyPayload:
            row = await policy.remove_policy(
                info.context.session,
                info.context.require_principal(),
                input.product_category,
                input.expected_version,
            )
            return ReplacementPolicyPayload(policy=ReplacementPolicyType.from_model(row))

        return await execute(info, ReplacementPolicyPayload, action)
