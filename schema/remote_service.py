"""GraphQL types of remote service: remote cases (diagnosis, remote resolution, escalation to
the field), their catalogue and policies, expert assistance, and their figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.assets.models import ProductModel
from app.attachments.models import Attachment
from app.inventory.models import Part
from app.remote_service import models, repository
from app.remote_service.models import (
    AssistEscalationStep,
    AssistRequest,
    ExpertProfile,
    RemoteCase,
    RemoteFirstPolicy,
    RemoteResolutionCode,
)
from app.service_requests.models import ServiceRequest
from app.technicians.models import Skill, Technician
from app.work_orders.models import Task
from schema.assets import ProductCategory, ProductModelType
from schema.attachments import AttachmentType
from schema.context import Info
from schema.errors import Payload
from schema.ids import encode_id
from schema.node import Node
from schema.pagination import Connection, FirstItems
from schema.service_requests import RequestCategory, ServiceRequestType
from schema.technicians import SkillType, TechnicianType
from schema.users import Role

if TYPE_CHECKING:
    from schema.inventory import PartType
    from schema.work_orders import TaskType

RemoteStage = strawberry.enum(
    models.RemoteStage, name="RemoteStage", description="Where a request worked remotely stands."
)
AssistStatus = strawberry.enum(
    models.AssistStatus,
    name="AssistStatus",
    description="Where a technician's request for expert help stands.",
)
RemoteReportPeriod = strawberry.enum(
    repository.Period, name="RemoteReportPeriod", description="Length of a report period."
)


async def _attachments(info: Info, ids: list[int]) -> list[AttachmentType]:
    loader = info.context.loaders.by_id(Attachment)
    rows = await loader.load_many(ids)
    return [AttachmentType.from_model(row) for row in rows if row is not None]


@strawberry.type(
    name="RemoteResolutionCode",
    description="A code of the catalogue saying how a request was resolved remotely.",
)
class RemoteResolutionCodeType:
    code: str = strawberry.field(description="The code, upper case, e.g. RESET_GUIDED.")
    name: str = strawberry.field(description="What it means, in a few words.")
    description: str = strawberry.field(description="When to use it; may be empty.")
    active: bool = strawberry.field(description="Whether agents may pick it now.")
    version: int

    @classmethod
    def from_model(cls, row: RemoteResolutionCode) -> RemoteResolutionCodeType:
        return cls(
            code=row.code,
            name=row.name,
            description=row.description,
            active=row.archived_at is None,
            version=row.version,
        )


@strawberry.type(
    name="RemoteFirstPolicy",
    description=(
        "Whether requests of a request category and/or product category start in remote "
        "triage; the most specific row wins, and no matching row means straight to dispatch."
    ),
)
class RemoteFirstPolicyType:
    request_category: RequestCategory | None = strawberry.field(  # type: ignore[valid-type]
        description="The request category; null: any."
    )
    product_category: ProductCategory | None = strawberry.field(  # type: ignore[valid-type]
        description="The asset's product category; null: any (or no asset)."
    )
    remote_first: bool = strawberry.field(description="Whether such requests try remote first.")
    version: int
    updated_at: datetime

    @classmethod
    def from_model(cls, row: RemoteFirstPolicy) -> RemoteFirstPolicyType:
        return cls(
            request_category=row.request_category,
            product_category=row.product_category,
            remote_first=row.remote_first,
            version=row.version,
            updated_at=row.updated_at,
        )


@strawberry.type(description="A skill a field visit will need, at a minimum level.")
class RemoteSkillNeed:
    code: str = strawberry.field(description="The skill's code.")
    min_level: int = strawberry.field(description="The least level, 1 to 5.")


@strawberry.type(
    name="RemoteCase",
    description=(
        "A service request worked remotely (staff only): the agent's diagnosis, and whether it "
        "was resolved remotely (how and by whom) or escalated to a field task."
    ),
)
class RemoteCaseType(Node):
    stage: RemoteStage = strawberry.field(  # type: ignore[valid-type]
        description="In triage, resolved remotely, or escalated to the field."
    )
    notes: str = strawberry.field(description="The agent's diagnosis notes (internal).")
    required_skills: list[RemoteSkillNeed] = strawberry.field(
        description="Skills a field visit needs (carried into the task when escalated)."
    )
    diagnosed_by: str | None = strawberry.field(description="Who last changed the diagnosis.")
    resolved_by: str | None = strawberry.field(
        description="Who resolved it remotely (user subject); null unless resolved."
    )
    resolved_by_name: str | None = strawberry.field(description="Their name; null unless resolved.")
    resolved_at: datetime | None = strawberry.field(
        description="When it was resolved remotely; the SLA resolution clock stopped then."
    )
    resolution_summary: str | None = strawberry.field(
        description="How it was resolved, in words; null unless resolved."
    )
    escalated_by: str | None = strawberry.field(description="Who sent it to the field.")
    escalated_at: datetime | None = strawberry.field(description="When it was sent to the field.")
    version: int
    created_at: datetime
    row: strawberry.Private[RemoteCase]

    @classmethod
    def from_model(cls, row: RemoteCase) -> RemoteCaseType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            stage=row.stage,
            notes=row.notes,
            required_skills=[
                RemoteSkillNeed(code=s["code"], min_level=int(s["min_level"]))
                for s in row.required_skills
            ],
            diagnosed_by=row.diagnosed_by,
            resolved_by=row.resolved_by,
            resolved_by_name=row.resolved_by_name,
            resolved_at=row.resolved_at,
            resolution_summary=row.resolution_summary,
            escalated_by=row.escalated_by,
            escalated_at=row.escalated_at,
            version=row.version,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="The service request worked remotely.")
    async def service_request(self, info: Info) -> ServiceRequestType:
        row = await info.context.loaders.by_id(ServiceRequest).load(self.row.service_request_id)
        assert row is not None
        return ServiceRequestType.from_model(row)

    @strawberry.field(description="The resolution code picked; null until one is.")
    async def resolution_code(self, info: Info) -> RemoteResolutionCodeType | None:
        if self.row.resolution_code_id is None:
            return None
        loader = info.context.loaders.by_id(RemoteResolutionCode)
        row = await loader.load(self.row.resolution_code_id)
        return RemoteResolutionCodeType.from_model(row) if row else None

    @strawberry.field(
        extensions=[FirstItems(20)], description="Parts suspected faulty, in the order given."
    )
    async def suspected_parts(
        self, info: Info
    ) -> list[Annotated[PartType, strawberry.lazy("schema.inventory")]]:
        from schema.inventory import PartType

        rows = await info.context.loaders.by_id(Part).load_many(self.row.suspected_part_ids)
        return [PartType.from_model(row) for row in rows if row is not None]

    @strawberry.field(
        extensions=[FirstItems(20)],
        description="Attachments of the request that support the diagnosis.",
    )
    async def attachments(self, info: Info) -> list[AttachmentType]:
        return await _attachments(info, self.row.attachment_ids)

    @strawberry.field(description="The field task it was escalated to; null otherwise.")
    async def task(
        self, info: Info
    ) -> Annotated[TaskType, strawberry.lazy("schema.work_orders")] | None:
        from schema.work_orders import TaskType

        if self.row.task_id is None:
            return None
        row = await info.context.loaders.by_id(Task).load(self.row.task_id)
        return TaskType.from_model(row) if row else None

    @strawberry.field(description="The territory of the request's site; null if none covers it.")
    def territory_id(self) -> strawberry.ID | None:
        tid = self.row.territory_id
        return None if tid is None else strawberry.ID(encode_id("Territory", tid))


RemoteCaseConnection = Connection[RemoteCaseType]


@strawberry.type(
    name="ExpertProfile",
    description="A staff user or technician who answers assist requests in a skill, up to a level.",
)
class ExpertProfileType(Node):
    name: str = strawberry.field(description="The expert's name.")
    level: int = strawberry.field(description="Up to which required level they answer, 1 to 5.")
    active: bool = strawberry.field(description="Whether they are in the expert queue now.")
    user_id: strawberry.ID | None = strawberry.field(
        description="The staff user, when the expert is one."
    )
    version: int
    row: strawberry.Private[ExpertProfile]

    @classmethod
    def from_model(cls, row: ExpertProfile) -> ExpertProfileType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            name=row.name,
            level=row.level,
            active=row.archived_at is None,
            user_id=None if row.user_id is None else strawberry.ID(encode_id("User", row.user_id)),
            version=row.version,
            row=row,
        )

    @strawberry.field(description="The skill they are an expert in.")
    async def skill(self, info: Info) -> SkillType:
        row = await info.context.loaders.by_id(Skill).load(self.row.skill_id)
        assert row is not None
        return SkillType.from_model(row)

    @strawberry.field(description="The technician, when the expert is one.")
    async def technician(self, info: Info) -> TechnicianType | None:
        if self.row.technician_id is None:
            return None
        row = await info.context.loaders.by_id(Technician).load(self.row.technician_id)
        return TechnicianType.from_model(row) if row else None


@strawberry.type(
    name="AssistEscalationStep",
    description="After so many minutes unaccepted, an assist request is escalated to an audience.",
)
class AssistEscalationStepType:
    level: int = strawberry.field(description="1 to 3; higher levels wait longer.")
    after_minutes: int = strawberry.field(description="Minutes unaccepted before it is raised.")
    audience_role: Role = strawberry.field(  # type: ignore[valid-type]
        description="Who is alerted."
    )
    active: bool = strawberry.field(description="Whether the step is in force.")
    version: int

    @classmethod
    def from_model(cls, row: AssistEscalationStep) -> AssistEscalationStepType:
        return cls(
            level=row.level,
            after_minutes=row.after_minutes,
            audience_role=row.audience_role,
            active=row.archived_at is None,
            version=row.version,
        )


@strawberry.type(
    name="AssistRequest",
    description=(
        "A technician's request for an expert's help on a task: the question and photos, the "
        "expert who accepted it, an optional call link and the resolution note."
    ),
)
class AssistRequestType(Node):
    status: AssistStatus = strawberry.field(  # type: ignore[valid-type]
        description="Open in the queue, accepted by an expert, answered or cancelled."
    )
    question: str = strawberry.field(description="What the technician asks.")
    min_level: int = strawberry.field(description="The least expert level asked for, 1 to 5.")
    expert_name: str | None = strawberry.field(description="Who accepted it; null while open.")
    accepted_at: datetime | None = strawberry.field(description="When an expert accepted it.")
    call_link: str | None = strawberry.field(
        description="An https meeting link the expert set (any provider); null if none."
    )
    resolution_note: str | None = strawberry.field(description="The expert's answer.")
    answered_at: datetime | None = strawberry.field(description="When it was answered.")
    escalation_level: int = strawberry.field(
        description="The highest escalation step raised while it waited (0: none)."
    )
    version: int
    created_at: datetime
    row: strawberry.Private[AssistRequest]

    @classmethod
    def from_model(cls, row: AssistRequest) -> AssistRequestType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            status=row.status,
            question=row.question,
            min_level=row.min_level,
            expert_name=row.expert_name,
            accepted_at=row.accepted_at,
            call_link=row.call_link,
            resolution_note=row.resolution_note,
            answered_at=row.answered_at,
            escalation_level=row.escalation_level,
            version=row.version,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="The task the technician needs help on.")
    async def task(self, info: Info) -> Annotated[TaskType, strawberry.lazy("schema.work_orders")]:
        from schema.work_orders import TaskType

        row = await info.context.loaders.by_id(Task).load(self.row.task_id)
        assert row is not None
        return TaskType.from_model(row)

    @strawberry.field(description="The technician who asked.")
    async def technician(self, info: Info) -> TechnicianType:
        row = await info.context.loaders.by_id(Technician).load(self.row.technician_id)
        assert row is not None
        return TechnicianType.from_model(row)

    @strawberry.field(description="The skill the question needs.")
    async def skill(self, info: Info) -> SkillType:
        row = await info.context.loaders.by_id(Skill).load(self.row.skill_id)
        assert row is not None
        return SkillType.from_model(row)

    @strawberry.field(description="The product model concerned; null if unknown.")
    async def product_model(self, info: Info) -> ProductModelType | None:
        if self.row.product_model_id is None:
            return None
        row = await info.context.loaders.by_id(ProductModel).load(self.row.product_model_id)
        return ProductModelType.from_model(row) if row else None

    @strawberry.field(extensions=[FirstItems(10)], description="Photos of the task sent with it.")
    async def attachments(self, info: Info) -> list[AttachmentType]:
        return await _attachments(info, self.row.attachment_ids)


AssistRequestConnection = Connection[AssistRequestType]


@strawberry.type(description="Remote resolution in one period and territory.")
class RemoteResolutionRateRow:
    period_start: date = strawberry.field(description="First day of the period (UTC).")
    territory_id: strawberry.ID | None = strawberry.field(
        description="The territory; null for requests outside every territory."
    )
    triaged: int = strawberry.field(description="Requests that entered remote triage.")
    resolved: int = strawberry.field(description="Of those, resolved remotely.")
    escalated: int = strawberry.field(description="Of those, escalated to a field task.")
    rate: float | None = strawberry.field(
        description="Resolved remotely over triaged remotely; null when none was triaged."
    )

    @classmethod
    def from_value(cls, row: repository.RateRow) -> RemoteResolutionRateRow:
        tid = row.territory_id
        return cls(
            period_start=row.period_start,
            territory_id=None if tid is None else strawberry.ID(encode_id("Territory", tid)),
            triaged=row.triaged,
            resolved=row.resolved,
            escalated=row.escalated,
            rate=row.rate,
        )


@strawberry.type(description="Expert assistance over some days: volume and response times.")
class AssistFigures:
    requests: int = strawberry.field(description="Assist requests raised.")
    tasks: int = strawberry.field(description="Tasks they were raised on.")
    assists_per_task: float | None = strawberry.field(
        description="Requests per task that had any; null when none."
    )
    accepted: int = strawberry.field(description="Requests an expert accepted.")
    answered: int = strawberry.field(description="Requests answered.")
    average_minutes_to_accept: float | None = strawberry.field(
        description="Average minutes from asking to an expert accepting; null when none."
    )
    average_minutes_to_answer: float | None = strawberry.field(
        description="Average minutes from asking to the first answer; null when none."
    )

    @classmethod
    def from_value(cls, row: repository.AssistFigures) -> AssistFigures:
        return cls(
            requests=row.requests,
            tasks=row.tasks,
            assists_per_task=row.per_task,
            accepted=row.accepted,
            answered=row.answered,
            average_minutes_to_accept=row.average_minutes_to_accept,
            average_minutes_to_answer=row.average_minutes_to_answer,
        )


# --- inputs -------------------------------------------------------------------------------


@strawberry.input(description="Create or change a code of the resolution catalogue.")
class SetRemoteResolutionCodeInput:
    code: str = strawberry.field(description="The code (letters, digits, _ . -), up to 40.")
    name: str = strawberry.field(description="What it means, 1 to 200 characters.")
    description: str = strawberry.field(default="", description="When to use it, up to 1,000.")
    active: bool = strawberry.field(
        default=True, description="False: agents may no longer pick it."
    )
    expected_version: int | None = None


@strawberry.input(description="Create or change the remote-first policy of one scope.")
class SetRemoteFirstPolicyInput:
    request_category: RequestCategory | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The request category; null: any."
    )
    product_category: ProductCategory | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The product category; null: any."
    )
    remote_first: bool = strawberry.field(description="Whether such requests try remote first.")
    expected_version: int | None = None


@strawberry.input(description="A skill a field visit will need.")
class RemoteSkillNeedInput:
    code: str = strawberry.field(description="The skill's code.")
    min_level: int = strawberry.field(default=1, description="The least level, 1 to 5.")


@strawberry.input(description="Record or change the diagnosis of a request in remote triage.")
class DiagnoseRemotelyInput:
    service_request_id: strawberry.ID = strawberry.field(description="The request.")
    notes: str | None = strawberry.field(
        default=None, description="Diagnosis notes, up to 8,000 characters; null: unchanged."
    )
    resolution_code: str | None = strawberry.field(
        default=None, description="A code of the catalogue; null: unchanged."
    )
    suspected_part_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Up to 20 parts suspected faulty; null: unchanged."
    )
    attachment_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Up to 20 attachments already uploaded to the request; null: unchanged.",
    )
    required_skills: list[RemoteSkillNeedInput] | None = strawberry.field(
        default=None, description="Up to 10 skills a field visit would need; null: unchanged."
    )
    expected_version: int | None = strawberry.field(
        default=None, description="The service request's version the agent last read."
    )


@strawberry.input(description="Close a request in remote triage as resolved remotely.")
class ResolveRemotelyInput:
    service_request_id: strawberry.ID = strawberry.field(description="The request.")
    summary: str = strawberry.field(description="How it was resolved, 1 to 2,000 characters.")
    resolution_code: str | None = strawberry.field(
        default=None, description="A code of the catalogue; null: the diagnosis's code."
    )
    expected_version: int | None = strawberry.field(
        default=None, description="The service request's version the agent last read."
    )
    idempotency_key: str | None = None


@strawberry.input(description="Send a request in remote triage to the field.")
class EscalateRemoteCaseInput:
    service_request_id: strawberry.ID = strawberry.field(description="The request.")
    duration_minutes: int | None = strawberry.field(
        default=None, description="The visit's expected length (5 to 1,440); null: default."
    )
    expected_version: int | None = strawberry.field(
        default=None, description="The service request's version the agent last read."
    )
    idempotency_key: str | None = None


@strawberry.input(description="Make someone an expert in a skill, change or end it.")
class SetExpertProfileInput:
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="A staff user (give this or technicianId)."
    )
    technician_id: strawberry.ID | None = strawberry.field(
        default=None, description="A technician (give this or userId)."
    )
    skill_code: str = strawberry.field(description="The skill's code.")
    level: int = strawberry.field(default=3, description="Up to which level they answer, 1-5.")
    active: bool = strawberry.field(default=True, description="False: out of the queue.")
    expected_version: int | None = None


@strawberry.input(description="Create or change the assist escalation step of one level.")
class SetAssistEscalationStepInput:
    level: int = strawberry.field(description="1 to 3.")
    after_minutes: int = strawberry.field(description="Minutes unaccepted, 1 to 1,440.")
    audience_role: Role = strawberry.field(  # type: ignore[valid-type]
        description="Who is alerted (staff or technicians)."
    )
    active: bool = strawberry.field(default=True, description="False: the step is off.")
    expected_version: int | None = None


@strawberry.input(description="Ask experts for help on a task.")
class RequestAssistInput:
    task_id: strawberry.ID = strawberry.field(description="The task (a technician: their own).")
    skill_code: str = strawberry.field(description="The skill the question needs.")
    min_level: int = strawberry.field(default=1, description="The least expert level, 1 to 5.")
    product_model_id: strawberry.ID | None = strawberry.field(
        default=None, description="The product model; null: the task's asset's."
    )
    question: str = strawberry.field(description="The question, 1 to 4,000 characters.")
    attachment_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Up to 10 photos already attached to the task."
    )
    idempotency_key: str | None = None


@strawberry.input(description="Take an assist request from the queue.")
class AcceptAssistInput:
    assist_request_id: strawberry.ID = strawberry.field(description="The open request.")
    expected_version: int | None = None


@strawberry.input(description="Set or clear the call link of an accepted assist request.")
class SetAssistCallLinkInput:
    assist_request_id: strawberry.ID = strawberry.field(description="The accepted request.")
    call_link: str | None = strawberry.field(
        description="An https:// meeting URL of any provider, up to 500; null clears it."
    )
    expected_version: int | None = None


@strawberry.input(description="Answer and close an accepted assist request.")
class AnswerAssistInput:
    assist_request_id: strawberry.ID = strawberry.field(description="The accepted request.")
    resolution_note: str = strawberry.field(description="The answer, 1 to 4,000 characters.")
    expected_version: int | None = None
    idempotency_key: str | None = None


@strawberry.input(description="Withdraw an assist request not yet answered.")
class CancelAssistInput:
    assist_request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = None


# --- payloads -----------------------------------------------------------------------------


@strawberry.type
class RemoteResolutionCodePayload(Payload):
    resolution_code: RemoteResolutionCodeType | None = strawberry.field(
        default=None, description="The code as saved; null when the change failed."
    )


@strawberry.type
class RemoteFirstPolicyPayload(Payload):
    policy: RemoteFirstPolicyType | None = strawberry.field(
        default=None, description="The policy as saved; null when the change failed."
    )


@strawberry.type
class RemoteCasePayload(Payload):
    remote_case: RemoteCaseType | None = strawberry.field(
        default=None, description="The remote case as saved; null when the change failed."
    )
    service_request: ServiceRequestType | None = strawberry.field(
        default=None, description="The request as it now stands (its version, status)."
    )


@strawberry.type
class ExpertProfilePayload(Payload):
    expert: ExpertProfileType | None = strawberry.field(
        default=None, description="The profile as saved; null when the change failed."
    )


@strawberry.type
class AssistEscalationStepPayload(Payload):
    step: AssistEscalationStepType | None = strawberry.field(
        default=None, description="The step as saved; null when the change failed."
    )


@strawberry.type
class AssistRequestPayload(Payload):
    assist_request: AssistRequestType | None = strawberry.field(
        default=None, description="The request as saved; null when the change failed."
    )


@strawberry.type(description="A change of the expert queue, as it happens.")
class AssistQueueEvent:
    assist_request_id: strawberry.ID = strawberry.field(description="The request that changed.")
    status: AssistStatus = strawberry.field(  # type: ignore[valid-type]
        description="Its status now (OPEN: entered the queue; otherwise it left it)."
    )
    escalation_level: int = strawberry.field(description="Its escalation level now.")
    at: datetime = strawberry.field(description="When it changed.")
