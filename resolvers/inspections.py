"""Checklist template, inspection and readings queries and mutations."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from sqlmodel import select

from app.core.auth import Role
from app.inspections import repository, service, templates
from app.inspections.models import (
    DEFAULT_CHECK_IN_TYPES,
    CheckInRule,
    ChecklistSection,
    ChecklistTemplate,
    Inspection,
)
from app.work_orders.models import TaskType as TaskTypeEnum
from resolvers.base import execute
from schema.context import Info
from schema.ids import decode_id, decode_optional_id, encode_id
from schema.inputs import provided
from schema.inspections import (
    ChecklistSectionInput,
    ChecklistTemplateActionInput,
    ChecklistTemplateConnection,
    ChecklistTemplatePayload,
    ChecklistTemplateType,
    CreateChecklistTemplateInput,
    InspectionAnswersInput,
    InspectionCheckInRule,
    InspectionCheckInRulePayload,
    InspectionConnection,
    InspectionPayload,
    InspectionStatus,
    InspectionType,
    ItemAnswerInput,
    ReadingPoint,
    ReviseChecklistTemplateInput,
    SetInspectionCheckInRuleInput,
    StartInspectionInput,
)
from schema.node import register_node
from schema.pagination import FirstItems, paginate
from schema.permissions import allow, authenticated, staff

register_node(InspectionType, repository.get_readable, InspectionType.from_model)
register_node(ChecklistTemplateType, repository.get_template, ChecklistTemplateType.from_model)

TEMPLATE_WRITERS = (Role.ADMIN, Role.MANAGER)
FILLERS = (Role.TECHNICIAN, Role.ADMIN, Role.MANAGER, Role.DISPATCHER)
READERS = (Role.ADMIN, Role.MANAGER, Role.DISPATCHER, Role.AGENT, Role.TECHNICIAN, Role.PARTNER)


def _sections(raw: list[ChecklistSectionInput]) -> list[ChecklistSection]:
    return [ChecklistSection.model_validate(strawberry.asdict(s)) for s in raw]


def _answers(raw: list[ItemAnswerInput]) -> list[service.AnswerIn]:
    return [
        service.AnswerIn(
            item_key=a.item_key,
            yes=a.yes,
            number=a.number,
            text=a.text,
            choices=tuple(a.choices),
            attachment_ids=tuple(
                decode_id(gid, "Attachment", ["answers", str(n), "attachmentIds"])
                for gid in a.attachment_ids
            ),
            signer_name=a.signer_name,
        )
        for n, a in enumerate(raw)
    ]


@strawberry.type
class InspectionsQuery:
    @strawberry.field(
        extensions=[allow(*READERS)],
        description="Checklist templates (archived ones left out unless asked for).",
    )
    async def checklist_templates(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        include_archived: bool = False,
    ) -> ChecklistTemplateConnection:
        return await paginate(
            info.context.session,
            repository.templates_listed(include_archived=include_archived),
            ChecklistTemplate.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=ChecklistTemplateType.from_model,
        )

    @strawberry.field(
        extensions=[authenticated()],
        description=(
            "Inspections the caller may read (staff all, a customer its own, a technician its "
            "own, a partner its technicians'), newest first."
        ),
    )
    async def inspections(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        task_id: strawberry.ID | None = None,
        asset_id: strawberry.ID | None = None,
        status: Annotated[
            InspectionStatus | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only inspections in this status."),
        ] = None,
    ) -> InspectionConnection:
        return await paginate(
            info.context.session,
            repository.listed(
                info.context.principal,
                task_id=decode_optional_id(task_id, "Task", "taskId"),
                asset_id=decode_optional_id(asset_id, "Asset", "assetId"),
                status=status,
            ),
            Inspection.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=InspectionType.from_model,
            newest_first=True,
        )

    @strawberry.field(
        extensions=[authenticated()],
        description="A numeric item's readings on an asset over submitted inspections, oldest "
        "first: the trend across visits.",
    )
    async def asset_readings(
        self,
        info: Info,
        asset_id: strawberry.ID,
        item_key: Annotated[str, strawberry.argument(description="Key of a NUMBER item.")],
        first: Annotated[
            int,
            strawberry.argument(description="How many of the latest readings (at most 100)."),
        ] = 24,
    ) -> list[ReadingPoint]:
        rows = await repository.readings(
            info.context.session,
            info.context.principal,
            decode_id(asset_id, "Asset", "assetId"),
            item_key,
            max(1, min(first, info.context.settings.page_size_max)),
        )
        return [
            ReadingPoint(
                inspection_id=strawberry.ID(encode_id("Inspection", i)),
                at=at,
                value=value,
                out_of_range=failed,
            )
            for i, at, value, failed in rows
        ]

    @strawberry.field(
        extensions=[staff(), FirstItems(20)],
        description="The check-in rule of every task type (stored or default).",
    )
    async def inspection_check_in_rules(self, info: Info) -> list[InspectionCheckInRule]:
        stored = {
            r.task_type: r.requires_check_in
            for r in (await info.context.session.scalars(select(CheckInRule))).all()
        }
        return [
            InspectionCheckInRule(
                task_type=t, requires_check_in=stored.get(t, t in DEFAULT_CHECK_IN_TYPES)
            )
            for t in TaskTypeEnum
        ]


@strawberry.type
class InspectionsMutation:
    @strawberry.mutation(
        extensions=[allow(*TEMPLATE_WRITERS)],
        description="Create a checklist template (admins and managers); version 1 is a draft "
        "unless `publish`.",
    )
    async def create_checklist_template(
        self, info: Info, input: CreateChecklistTemplateInput
    ) -> ChecklistTemplatePayload:
        async def action() -> ChecklistTemplatePayload:
            values: dict[str, Any] = provided(input, exclude=("sections", "publish"))
            data = templates.TemplateCreate.model_validate(
                values | {"sections": _sections(input.sections)}
            )
            template, _ = await templates.create_template(info.context.session, data)
            if input.publish:
                await templates.publish_template(info.context.session, template.id or 0, None)
            return ChecklistTemplatePayload(template=ChecklistTemplateType.from_model(template))

        return await execute(info, ChecklistTemplatePayload, action)

    @strawberry.mutation(
        extensions=[allow(*TEMPLATE_WRITERS)],
        description="Change a checklist: rewrites the draft, or starts the next version when "
        "the latest is published (published versions never change).",
    )
    async def revise_checklist_template(
        self, info: Info, input: ReviseChecklistTemplateInput
    ) -> ChecklistTemplatePayload:
        async def action() -> ChecklistTemplatePayload:
            template_id = decode_id(input.template_id, "ChecklistTemplate", "templateId")
            await templates.revise_template(
                info.context.session, template_id, _sections(input.sections), input.expected_version
            )
            return await _template_payload(info, template_id)

        return await execute(info, ChecklistTemplatePayload, action)

    @strawberry.mutation(
        extensions=[allow(*TEMPLATE_WRITERS)],
        description="Publish the template's draft: new inspections use it from now on.",
    )
    async def publish_checklist_template(
        self, info: Info, input: ChecklistTemplateActionInput
    ) -> ChecklistTemplatePayload:
        async def action() -> ChecklistTemplatePayload:
            template_id = decode_id(input.template_id, "ChecklistTemplate", "templateId")
            await templates.publish_template(
                info.context.session, template_id, input.expected_version
            )
            return await _template_payload(info, template_id)

        return await execute(info, ChecklistTemplatePayload, action)

    @strawberry.mutation(
        extensions=[allow(*TEMPLATE_WRITERS)],
        description="Make the template the default of its task type and category (or not).",
    )
    async def set_checklist_template_default(
        self, info: Info, input: ChecklistTemplateActionInput
    ) -> ChecklistTemplatePayload:
        async def action() -> ChecklistTemplatePayload:
            template = await templates.set_default(
                info.context.session,
                decode_id(input.template_id, "ChecklistTemplate", "templateId"),
                input.is_default is not False,
                input.expected_version,
            )
            return ChecklistTemplatePayload(template=ChecklistTemplateType.from_model(template))

        return await execute(info, ChecklistTemplatePayload, action)

    @strawberry.mutation(
        extensions=[allow(*TEMPLATE_WRITERS)],
        description="Retire a template: no new inspection starts on it; past ones keep it.",
    )
    async def archive_checklist_template(
        self, info: Info, input: ChecklistTemplateActionInput
    ) -> ChecklistTemplatePayload:
        async def action() -> ChecklistTemplatePayload:
            template = await templates.archive_template(
                info.context.session,
                decode_id(input.template_id, "ChecklistTemplate", "templateId"),
                input.expected_version,
            )
            return ChecklistTemplatePayload(template=ChecklistTemplateType.from_model(template))

        return await execute(info, ChecklistTemplatePayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN, Role.MANAGER)],
        description="Set whether a task type needs a check-in before its checklist.",
    )
    async def set_inspection_check_in_rule(
        self, info: Info, input: SetInspectionCheckInRuleInput
    ) -> InspectionCheckInRulePayload:
        async def action() -> InspectionCheckInRulePayload:
            rule = await service.set_check_in_rule(
                info.context.session, input.task_type, input.requires_check_in
            )
            return InspectionCheckInRulePayload(
                rule=InspectionCheckInRule(
                    task_type=rule.task_type, requires_check_in=rule.requires_check_in
                )
            )

        return await execute(info, InspectionCheckInRulePayload, action)

    @strawberry.mutation(
        extensions=[allow(*FILLERS)],
        description="Start a task's checklist (after check-in where the task type's rule "
        "says so) on the latest published version of the template.",
    )
    async def start_inspection(self, info: Info, input: StartInspectionInput) -> InspectionPayload:
        async def action() -> InspectionPayload:
            inspection = await service.start_inspection(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.task_id, "Task", "taskId"),
                decode_optional_id(input.template_id, "ChecklistTemplate", "templateId"),
            )
            return InspectionPayload(inspection=InspectionType.from_model(inspection))

        return await execute(info, InspectionPayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*FILLERS)],
        description="Save answers; each is checked against its item (userErrors per item).",
    )
    async def record_inspection_answers(
        self, info: Info, input: InspectionAnswersInput
    ) -> InspectionPayload:
        async def action() -> InspectionPayload:
            inspection = await service.record_answers(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.inspection_id, "Inspection", "inspectionId"),
                _answers(input.answers),
            )
            return InspectionPayload(inspection=InspectionType.from_model(inspection))

        return await execute(info, InspectionPayload, action)

    @strawberry.mutation(
        extensions=[allow(*FILLERS)],
        description="Save the last answers and complete the inspection; failed items open "
        "their corrective tasks. Submitting again returns the submitted inspection unchanged.",
    )
    async def submit_inspection(
        self, info: Info, input: InspectionAnswersInput
    ) -> InspectionPayload:
        async def action() -> InspectionPayload:
            inspection, _ = await service.submit_inspection(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.inspection_id, "Inspection", "inspectionId"),
                _answers(input.answers),
            )
            return InspectionPayload(inspection=InspectionType.from_model(inspection))

        return await execute(info, InspectionPayload, action)


async def _template_payload(info: Info, template_id: int) -> ChecklistTemplatePayload:
    template = await info.context.session.get(ChecklistTemplate, template_id)
    assert template is not None
    return ChecklistTemplatePayload(template=ChecklistTemplateType.from_model(template))
