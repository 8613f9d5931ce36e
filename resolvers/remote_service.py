"""Remote service queries and mutations: remote triage and resolution, the catalogue and
policies, expert assistance and their figures."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import strawberry

from app.core.auth import Role
from app.core.errors import DomainError, ErrorCode
from app.core.models import utcnow
from app.remote_service import assist, policy, repository, service
from app.remote_service.models import (
    AssistCreate,
    AssistRequest,
    Diagnosis,
    RemoteCase,
    SkillNeed,
)
from app.service_requests.models import ServiceRequest
from resolvers.base import execute
from schema.context import Info
from schema.ids import decode_id, decode_ids, decode_optional_id
from schema.node import register_node
from schema.pagination import FirstItems, paginate
from schema.permissions import allow, staff
from schema.remote_service import (
    AcceptAssistInput,
    AnswerAssistInput,
    AssistEscalationStepPayload,
    AssistEscalationStepType,
    AssistFigures,
    AssistRequestConnection,
    AssistRequestPayload,
    AssistRequestType,
    AssistStatus,
    CancelAssistInput,
    DiagnoseRemotelyInput,
    EscalateRemoteCaseInput,
    ExpertProfilePayload,
    ExpertProfileType,
    RemoteCaseConnection,
    RemoteCasePayload,
    RemoteCaseType,
    RemoteFirstPolicyPayload,
    RemoteFirstPolicyType,
    RemoteReportPeriod,
    RemoteResolutionCodePayload,
    RemoteResolutionCodeType,
    RemoteResolutionRateRow,
    RemoteStage,
    RequestAssistInput,
    ResolveRemotelyInput,
    SetAssistCallLinkInput,
    SetAssistEscalationStepInput,
    SetExpertProfileInput,
    SetRemoteFirstPolicyInput,
    SetRemoteResolutionCodeInput,
)
from schema.service_requests import ServiceRequestType

register_node(RemoteCaseType, repository.get_case, RemoteCaseType.from_model)
register_node(AssistRequestType, repository.get_assist, AssistRequestType.from_model)

AGENTS = (Role.AGENT, Role.DISPATCHER, Role.MANAGER, Role.ADMIN)
"""Who works requests remotely."""
MANAGERS = (Role.ADMIN, Role.MANAGER)
EXPERTS = (Role.TECHNICIAN, Role.AGENT, Role.DISPATCHER, Role.MANAGER, Role.ADMIN)
"""Roles that may hold an expert profile (or ask for help, for technicians)."""
LONGEST_REPORT = timedelta(days=731)


def _days(since: date | None, until: date | None) -> tuple[date, date]:
    last = until or utcnow().date()
    first = since or last - timedelta(days=90)
    if first > last:
        raise DomainError("since is after until", ErrorCode.INVALID, ["since"])
    if last - first > LONGEST_REPORT:
        raise DomainError("at most two years at a time", ErrorCode.INVALID, ["since"])
    return first, last


async def _case_payload(info: Info, case: RemoteCase) -> RemoteCasePayload:
    request = await info.context.session.get(ServiceRequest, case.service_request_id)
    assert request is not None
    return RemoteCasePayload(
        remote_case=RemoteCaseType.from_model(case),
        service_request=ServiceRequestType.from_model(request),
    )


def _assist_payload(row: AssistRequest) -> AssistRequestPayload:
    return AssistRequestPayload(assist_request=AssistRequestType.from_model(row))


def _request_id(global_id: str) -> int:
    return decode_id(global_id, "ServiceRequest", "serviceRequestId")


def _assist_id(global_id: str) -> int:
    return decode_id(global_id, "AssistRequest", "assistRequestId")


Since = Annotated[
    date | None, strawberry.argument(description="First day (UTC); default 90 days ago.")
]
Until = Annotated[date | None, strawberry.argument(description="Last day (UTC); default today.")]
TerritoryArg = Annotated[
    strawberry.ID | None, strawberry.argument(description="Only this territory.")
]


@strawberry.type
class RemoteServiceQuery:
    @strawberry.field(
        extensions=[staff()],
        description="Requests worked remotely (staff only), oldest first: by stage, territory.",
    )
    async def remote_cases(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        stage: Annotated[
            list[RemoteStage] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only these stages; null or empty: all."),
        ] = None,
        territory_id: TerritoryArg = None,
    ) -> RemoteCaseConnection:
        return await paginate(
            info.context.session,
            repository.listed_cases(
                info.context.principal,
                stage,
                decode_optional_id(territory_id, "Territory", "territoryId"),
            ),
            RemoteCase.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=RemoteCaseType.from_model,
        )

    @strawberry.field(
        extensions=[staff()], description="The remote case of a request; null if it has none."
    )
    async def remote_case(
        self,
        info: Info,
        service_request_id: Annotated[
            strawberry.ID, strawberry.argument(description="The request.")
        ],
    ) -> RemoteCaseType | None:
        request_id = _request_id(service_request_id)
        statement = repository.readable_cases(info.context.principal).where(
            RemoteCase.service_request_id == request_id
        )
        row = await info.context.session.scalar(statement)
        return RemoteCaseType.from_model(row) if row else None

    @strawberry.field(
        extensions=[staff(), FirstItems(100)],
        description="The resolution code catalogue, by code (inactive codes too when asked).",
    )
    async def remote_resolution_codes(
        self,
        info: Info,
        include_inactive: Annotated[
            bool, strawberry.argument(description="Also codes agents may no longer pick.")
        ] = False,
    ) -> list[RemoteResolutionCodeType]:
        rows = await policy.codes(info.context.session, include_archived=include_inactive)
        return [RemoteResolutionCodeType.from_model(row) for row in rows]

    @strawberry.field(
        extensions=[staff(), FirstItems(100)],
        description="Remote-first policies in force, by request category then product category.",
    )
    async def remote_first_policies(self, info: Info) -> list[RemoteFirstPolicyType]:
        rows = await policy.policies(info.context.session)
        return [RemoteFirstPolicyType.from_model(row) for row in rows]

    @strawberry.field(
        extensions=[allow(*MANAGERS, Role.DISPATCHER), FirstItems(500)],
        description=(
            "Remote resolution rate (resolved remotely / triaged remotely) by period of triage "
            "and territory, over at most two years (default: the last 90 days)."
        ),
    )
    async def remote_resolution_rate(
        self,
        info: Info,
        since: Since = None,
        until: Until = None,
        period: Annotated[
            RemoteReportPeriod,  # type: ignore[valid-type]
            strawberry.argument(description="Length of each period; MONTH by default."),
        ] = repository.Period.MONTH,
        territory_id: TerritoryArg = None,
    ) -> list[RemoteResolutionRateRow]:
        first_day, last_day = _days(since, until)
        rows = await repository.resolution_rate(
            info.context.session,
            first_day,
            last_day,
            period,
            decode_optional_id(territory_id, "Territory", "territoryId"),
        )
        return [RemoteResolutionRateRow.from_value(row) for row in rows]

    @strawberry.field(
        extensions=[allow(*EXPERTS)],
        description=(
            "Assist requests, newest first: admins and managers see all; experts those they "
            "qualify for or took; a technician their own."
        ),
    )
    async def assist_requests(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: Annotated[
            list[AssistStatus] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only these statuses; null or empty: all."),
        ] = None,
        task_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only those of this task.")
        ] = None,
    ) -> AssistRequestConnection:
        return await paginate(
            info.context.session,
            repository.listed_assists(
                info.context.principal,
                statuses=status,
                task_id=decode_optional_id(task_id, "Task", "taskId"),
            ),
            AssistRequest.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=AssistRequestType.from_model,
            newest_first=True,
        )

    @strawberry.field(
        extensions=[allow(*EXPERTS)],
        description=(
            "The caller's expert queue, oldest first: open assist requests needing a skill "
            "they hold an expert profile for, at their level or below (not their own)."
        ),
    )
    async def assist_queue(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> AssistRequestConnection:
        return await paginate(
            info.context.session,
            repository.queue(info.context.require_principal()),
            AssistRequest.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=AssistRequestType.from_model,
        )

    @strawberry.field(
        extensions=[allow(*MANAGERS, Role.DISPATCHER), FirstItems(500)],
        description="Expert profiles in force, by name.",
    )
    async def expert_profiles(self, info: Info) -> list[ExpertProfileType]:
        return [ExpertProfileType.from_model(r) for r in await policy.experts(info.context.session)]

    @strawberry.field(
        extensions=[allow(*MANAGERS, Role.DISPATCHER), FirstItems(3)],
        description="Assist escalation steps in force, by level.",
    )
    async def assist_escalation_steps(self, info: Info) -> list[AssistEscalationStepType]:
        rows = await policy.steps(info.context.session)
        return [AssistEscalationStepType.from_model(row) for row in rows]

    @strawberry.field(
        extensions=[allow(*MANAGERS, Role.DISPATCHER)],
        description=(
            "Expert assistance over some days (default: the last 90): assists per task, and "
            "average minutes to an expert accepting and to the first answer."
        ),
    )
    async def assist_figures(
        self,
        info: Info,
        since: Since = None,
        until: Until = None,
        territory_id: TerritoryArg = None,
    ) -> AssistFigures:
        first_day, last_day = _days(since, until)
        figures = await repository.assist_figures(
            info.context.session,
            first_day,
            last_day,
            decode_optional_id(territory_id, "Territory", "territoryId"),
        )
        return AssistFigures.from_value(figures)


@strawberry.type
class RemoteServiceMutation:
    @strawberry.mutation(
        extensions=[allow(*AGENTS)],
        description=(
            "Record or change the diagnosis of a request in remote triage: notes, a resolution "
            "code, suspected parts, the request's attachments, skills a visit would need."
        ),
    )
    async def diagnose_remotely(
        self, info: Info, input: DiagnoseRemotelyInput
    ) -> RemoteCasePayload:
        async def action() -> RemoteCasePayload:
            skills = input.required_skills
            data = Diagnosis(
                notes=input.notes,
                resolution_code=input.resolution_code,
                suspected_part_ids=None
                if input.suspected_part_ids is None
                else decode_ids(
                    [str(i) for i in input.suspected_part_ids], "Part", "suspectedPartIds"
                ),
                attachment_ids=None
                if input.attachment_ids is None
                else decode_ids(
                    [str(i) for i in input.attachment_ids], "Attachment", "attachmentIds"
                ),
                required_skills=None
                if skills is None
                else [SkillNeed(code=s.code, min_level=s.min_level) for s in skills],
            )
            case = await service.diagnose(
                info.context.session,
                info.context.require_principal(),
                _request_id(input.service_request_id),
                data,
                input.expected_version,
            )
            return await _case_payload(info, case)

        return await execute(info, RemoteCasePayload, action)

    @strawberry.mutation(
        extensions=[allow(*AGENTS)],
        description=(
            "Close a request in remote triage as resolved remotely, with a resolution code and "
            "a summary: counted as a remote resolution; its SLA resolution clock stops."
        ),
    )
    async def resolve_remotely(self, info: Info, input: ResolveRemotelyInput) -> RemoteCasePayload:
        async def action() -> RemoteCasePayload:
            if len(input.summary) > 2000:
                raise DomainError("at most 2,000 characters", ErrorCode.INVALID, ["summary"])
            case = await service.resolve(
                info.context.session,
                info.context.require_principal(),
                _request_id(input.service_request_id),
                input.summary,
                input.resolution_code,
                input.expected_version,
            )
            return await _case_payload(info, case)

        return await execute(info, RemoteCasePayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*AGENTS)],
        description=(
            "Send a request in remote triage to the field: a task is created on its work order "
            "requiring the diagnosed skills and described by the diagnosis (notes, suspected "
            "parts, code); the SLA clock keeps running."
        ),
    )
    async def escalate_remote_case(
        self, info: Info, input: EscalateRemoteCaseInput
    ) -> RemoteCasePayload:
        async def action() -> RemoteCasePayload:
            duration = input.duration_minutes
            if duration is not None and not 5 <= duration <= 1440:
                raise DomainError("5 to 1,440 minutes", ErrorCode.INVALID, ["durationMinutes"])
            case, _ = await service.escalate(
                info.context.session,
                info.context.require_principal(),
                _request_id(input.service_request_id),
                input.expected_version,
                duration,
            )
            return await _case_payload(info, case)

        return await execute(info, RemoteCasePayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description="Admin only: create or change a resolution code (inactive: no longer picked).",
    )
    async def set_remote_resolution_code(
        self, info: Info, input: SetRemoteResolutionCodeInput
    ) -> RemoteResolutionCodePayload:
        async def action() -> RemoteResolutionCodePayload:
            _bounded(input.code, 1, 40, "code")
            _bounded(input.name, 1, 200, "name")
            _bounded(input.description, 0, 1000, "description")
            if not all(c.isalnum() or c in "_.-" for c in input.code.strip()):
                raise DomainError("letters, digits, _ . - only", ErrorCode.INVALID, ["code"])
            row = await policy.set_code(
                info.context.session,
                input.code,
                input.name,
                input.description,
                input.active,
                input.expected_version,
            )
            return RemoteResolutionCodePayload(
                resolution_code=RemoteResolutionCodeType.from_model(row)
            )

        return await execute(info, RemoteResolutionCodePayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description=(
            "Admin only: whether requests of a request category and/or product category start "
            "in remote triage (applies to requests received afterwards)."
        ),
    )
    async def set_remote_first_policy(
        self, info: Info, input: SetRemoteFirstPolicyInput
    ) -> RemoteFirstPolicyPayload:
        async def action() -> RemoteFirstPolicyPayload:
            row = await policy.set_policy(
                info.context.session,
                input.request_category,
                input.product_category,
                input.remote_first,
                input.expected_version,
            )
            return RemoteFirstPolicyPayload(policy=RemoteFirstPolicyType.from_model(row))

        return await execute(info, RemoteFirstPolicyPayload, action)

    @strawberry.mutation(
        extensions=[allow(*MANAGERS)],
        description="Admins and managers: make a staff user or technician an expert in a skill.",
    )
    async def set_expert_profile(
        self, info: Info, input: SetExpertProfileInput
    ) -> ExpertProfilePayload:
        async def action() -> ExpertProfilePayload:
            _bounded(input.skill_code, 1, 60, "skillCode")
            row = await policy.set_expert(
                info.context.session,
                user_id=decode_optional_id(input.user_id, "User", "userId"),
                technician_id=decode_optional_id(input.technician_id, "Technician", "technicianId"),
                skill_code=input.skill_code,
                level=input.level,
                active=input.active,
                expected_version=input.expected_version,
            )
            return ExpertProfilePayload(expert=ExpertProfileType.from_model(row))

        return await execute(info, ExpertProfilePayload, action)

    @strawberry.mutation(
        extensions=[allow(*MANAGERS)],
        description=(
            "Admins and managers: after how many minutes unaccepted an assist request is "
            "escalated to whom, per level."
        ),
    )
    async def set_assist_escalation_step(
        self, info: Info, input: SetAssistEscalationStepInput
    ) -> AssistEscalationStepPayload:
        async def action() -> AssistEscalationStepPayload:
            row = await policy.set_step(
                info.context.session,
                input.level,
                input.after_minutes,
                input.audience_role,
                input.active,
                input.expected_version,
            )
            return AssistEscalationStepPayload(step=AssistEscalationStepType.from_model(row))

        return await execute(info, AssistEscalationStepPayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.TECHNICIAN, *AGENTS)],
        description=(
            "Ask experts for help on a task (a technician: their own open task), with the "
            "skill and level needed, the question and photos of the task: it enters the queue."
        ),
    )
    async def request_assist(self, info: Info, input: RequestAssistInput) -> AssistRequestPayload:
        async def action() -> AssistRequestPayload:
            _bounded(input.skill_code, 1, 60, "skillCode")
            data = AssistCreate(
                task_id=decode_id(input.task_id, "Task", "taskId"),
                skill_code=input.skill_code,
                min_level=input.min_level,
                product_model_id=decode_optional_id(
                    input.product_model_id, "ProductModel", "productModelId"
                ),
                question=input.question,
                attachment_ids=decode_ids(
                    [str(i) for i in input.attachment_ids], "Attachment", "attachmentIds"
                ),
            )
            row = await assist.ask(info.context.session, info.context.require_principal(), data)
            return _assist_payload(row)

        return await execute(
            info, AssistRequestPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(*EXPERTS)],
        description=(
            "An expert takes an open request they qualify for; the first wins, a later or "
            "concurrent accept gets CONFLICT."
        ),
    )
    async def accept_assist(self, info: Info, input: AcceptAssistInput) -> AssistRequestPayload:
        async def action() -> AssistRequestPayload:
            row = await assist.accept(
                info.context.session,
                info.context.require_principal(),
                _assist_id(input.assist_request_id),
                input.expected_version,
            )
            return _assist_payload(row)

        return await execute(info, AssistRequestPayload, action)

    @strawberry.mutation(
        extensions=[allow(*EXPERTS)],
        description="The accepting expert sets (or clears) an https call link of any provider.",
    )
    async def set_assist_call_link(
        self, info: Info, input: SetAssistCallLinkInput
    ) -> AssistRequestPayload:
        async def action() -> AssistRequestPayload:
            row = await assist.set_call_link(
                info.context.session,
                info.context.require_principal(),
                _assist_id(input.assist_request_id),
                input.call_link,
                input.expected_version,
            )
            return _assist_payload(row)

        return await execute(info, AssistRequestPayload, action)

    @strawberry.mutation(
        extensions=[allow(*EXPERTS)],
        description="The accepting expert answers and closes the request with a resolution note.",
    )
    async def answer_assist(self, info: Info, input: AnswerAssistInput) -> AssistRequestPayload:
        async def action() -> AssistRequestPayload:
            row = await assist.answer(
                info.context.session,
                info.context.require_principal(),
                _assist_id(input.assist_request_id),
                input.resolution_note,
                input.expected_version,
            )
            return _assist_payload(row)

        return await execute(
            info, AssistRequestPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(*EXPERTS)],
        description="The asking technician (or a manager) withdraws a request not yet answered.",
    )
    async def cancel_assist(self, info: Info, input: CancelAssistInput) -> AssistRequestPayload:
        async def action() -> AssistRequestPayload:
            row = await assist.cancel(
                info.context.session,
                info.context.require_principal(),
                _assist_id(input.assist_request_id),
                input.expected_version,
            )
            return _assist_payload(row)

        return await execute(info, AssistRequestPayload, action)


def _bounded(value: str, low: int, high: int, field: str) -> None:
    if not low <= len(value.strip()) <= high:
        raise DomainError(f"{low} to {high} characters", ErrorCode.INVALID, [field])
