"""The confirmation ladder for agents: the call queue, retention cases and the report."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.confirmations import repository, service
from app.confirmations.models import (
    CallStatus,
    ConfirmationCall,
    RetentionCase,
    RetentionStatus,
)
from app.core.auth import Role
from app.core.errors import collect
from resolvers.base import execute
from schema.confirmations import (
    CallStatus as CallStatusEnum,
)
from schema.confirmations import (
    ConfirmationCallConnection,
    ConfirmationCallType,
    ConfirmationChannelReport,
    RecordCallOutcomeInput,
    RecordCallOutcomePayload,
    ResolveRetentionCaseInput,
    RetentionCaseConnection,
    RetentionCasePayload,
    RetentionCaseType,
)
from schema.confirmations import (
    RetentionStatus as RetentionStatusEnum,
)
from schema.context import Info
from schema.ids import decode_id
from schema.node import register_node
from schema.pagination import paginate
from schema.permissions import allow
from schema.scalars import offset_problems

AGENTS = tuple(sorted(repository.AGENTS))
REPORT_READERS = (Role.AGENT, Role.MANAGER, Role.ADMIN)

register_node(ConfirmationCallType, repository.get_call, ConfirmationCallType.from_model)
register_node(RetentionCaseType, repository.get_case, RetentionCaseType.from_model)


@strawberry.type
class ConfirmationsQuery:
    @strawberry.field(
        extensions=[allow(*AGENTS)],
        description=(
            "Confirmation calls to make, oldest first (agents, dispatchers, managers, admins)."
        ),
    )
    async def call_queue(
        self,
        info: Info,
        status: Annotated[
            list[CallStatusEnum] | None,  # type: ignore[valid-type]
            strawberry.argument(
                description=("Only calls in these states; null means QUEUED and IN_PROGRESS.")
            ),
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ConfirmationCallConnection:
        statuses = tuple(CallStatus(s) for s in status) if status else repository.OPEN_CALLS
        return await paginate(
            info.context.session,
            repository.call_queue(statuses),
            ConfirmationCall.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=ConfirmationCallType.from_model,
        )

    @strawberry.field(
        extensions=[allow(*AGENTS)],
        description=(
            "Retention cases of customers who refused or never confirmed a visit (agents, "
            "dispatchers, managers, admins)."
        ),
    )
    async def retention_cases(
        self,
        info: Info,
        status: Annotated[
            RetentionStatusEnum | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only cases in this state; null means all."),
        ] = None,
        sales_channel: Annotated[
            str | None,
            strawberry.argument(
                description=("Only cases from this channel, e.g. PHONE or DIRECT; null means all.")
            ),
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> RetentionCaseConnection:
        return await paginate(
            info.context.session,
            repository.retention_cases(RetentionStatus(status) if status else None, sales_channel),
            RetentionCase.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=RetentionCaseType.from_model,
        )

    @strawberry.field(
        extensions=[allow(*REPORT_READERS)],
        description=(
            "Confirmation outcomes per sales channel for confirmations requested in [from, to) "
            "(agents, managers, admins)."
        ),
    )
    async def confirmation_report(
        self,
        info: Info,
        from_: Annotated[
            datetime,
            strawberry.argument(
                name="from", description=("Start of the period, inclusive; needs a UTC offset.")
            ),
        ],
        to: Annotated[
            datetime,
            strawberry.argument(
                description=(
                    "End of the period, exclusive; must be after from and have a UTC offset."
                )
            ),
        ],
    ) -> list[ConfirmationChannelReport]:
        collect(offset_problems(from_, "from") + offset_problems(to, "to"))
        rows = await service.confirmation_report(info.context.session, from_, to)
        return [ConfirmationChannelReport.from_counts(row) for row in rows]


@strawberry.type
class ConfirmationsMutation:
    @strawberry.mutation(
        extensions=[allow(*AGENTS)],
        description=(
            "Record the result of an open call (agents, dispatchers, managers, admins): CONFIRM "
            "confirms the appointment, REJECT opens a retention case, RESCHEDULE queues a call to "
            "agree a new time, NO_ANSWER on a confirm call returns the visit to sales with a "
            "retention case; sends a confirmation.answered webhook when the customer answered."
        ),
    )
    async def record_call_outcome(
        self, info: Info, input: RecordCallOutcomeInput
    ) -> RecordCallOutcomePayload:
        async def action() -> RecordCallOutcomePayload:
            call = await service.record_call_outcome(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.call_id, "ConfirmationCall", "callId"),
                str(input.outcome),
                notes=input.notes,
                reason=input.reason,
            )
            return RecordCallOutcomePayload(call=ConfirmationCallType.from_model(call))

        return await execute(info, RecordCallOutcomePayload, action)

    @strawberry.mutation(
        extensions=[allow(*AGENTS)],
        description=(
            "Close an open retention case as WON_BACK or LOST (agents, dispatchers, managers, "
            "admins); a closed case cannot change again."
        ),
    )
    async def resolve_retention_case(
        self, info: Info, input: ResolveRetentionCaseInput
    ) -> RetentionCasePayload:
        async def action() -> RetentionCasePayload:
            case = await service.resolve_retention_case(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.case_id, "RetentionCase", "caseId"),
                RetentionStatus(input.status),
                input.notes,
            )
            return RetentionCasePayload(retention_case=RetentionCaseType.from_model(case))

        return await execute(info, RetentionCasePayload, action)
