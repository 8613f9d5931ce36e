"""GraphQL types for checklist templates, inspections, readings and follow-ups."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from app.assets.models import Asset
from app.billing.settings import get_billing_settings
from app.core.models import utcnow
from app.inspections import links, models, report
from app.inspections.models import (
    ChecklistTemplate,
    ChecklistTemplateVersion,
    Inspection,
    InspectionAnswer,
    InspectionFollowUp,
)
from schema.assets import AssetType, ProductCategory
from schema.context import Info
from schema.errors import Payload
from schema.node import Node
from schema.pagination import Connection, FirstItems
from schema.task_access import task_by_id
from schema.work_orders import TaskKind

if TYPE_CHECKING:
    from schema.work_orders import TaskType

TaskRef = Annotated["TaskType", strawberry.lazy("schema.work_orders")]

ItemKind = strawberry.enum(models.ItemKind, name="ChecklistItemKind")
VersionStatus = strawberry.enum(models.VersionStatus, name="ChecklistVersionStatus")
InspectionStatus = strawberry.enum(models.InspectionStatus, name="InspectionStatus")


@strawberry.type(description="The corrective task a failed item opens.")
class FollowUpRule:
    task_type: TaskKind = strawberry.field(  # type: ignore[valid-type]
        description="Type of the task opened."
    )
    priority: int = strawberry.field(description="Priority of the task opened (1 is the highest).")


@strawberry.type(description="One question of a checklist.")
class ChecklistItem:
    key: str = strawberry.field(description="Stable key of the item within the template.")
    label: str = strawberry.field(description="The question as the technician reads it.")
    kind: ItemKind = strawberry.field(  # type: ignore[valid-type]
        description="What the answer looks like."
    )
    required: bool = strawberry.field(description="Whether submitting needs an answer.")
    unit: str | None = strawberry.field(description="Unit of a NUMBER reading.")
    min_value: Decimal | None = strawberry.field(description="Lowest acceptable reading.")
    max_value: Decimal | None = strawberry.field(description="Highest acceptable reading.")
    options: list[str] = strawberry.field(description="Options of a choice item.")
    follow_up: FollowUpRule | None = strawberry.field(
        description="Task opened when the answer fails (a NO, a reading out of range)."
    )

    @classmethod
    def of(cls, raw: dict[str, Any]) -> ChecklistItem:
        item = models.ChecklistItem.model_validate(raw)
        rule = item.follow_up
        return cls(
            key=item.key,
            label=item.label,
            kind=item.kind,
            required=item.required,
            unit=item.unit,
            min_value=item.min_value,
            max_value=item.max_value,
            options=item.options,
            follow_up=FollowUpRule(task_type=rule.task_type, priority=rule.priority)
            if rule
            else None,
        )


@strawberry.type(description="A titled group of checklist items.")
class ChecklistSection:
    title: str = strawberry.field(description="Section title.")
    items: list[ChecklistItem] = strawberry.field(
        extensions=[FirstItems(100)], description="Items in order."
    )


@strawberry.type(
    name="ChecklistTemplateVersion",
    description="One version of a checklist; a published version never changes.",
)
class ChecklistTemplateVersionType:
    number: int = strawberry.field(description="Version number, from 1.")
    status: VersionStatus = strawberry.field(  # type: ignore[valid-type]
        description="DRAFT while edited, PUBLISHED once fixed."
    )
    published_at: datetime | None = strawberry.field(description="When it was published.")
    sections: list[ChecklistSection] = strawberry.field(
        extensions=[FirstItems(50)], description="Its sections and items."
    )
    template_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: ChecklistTemplateVersion) -> ChecklistTemplateVersionType:
        return cls(
            number=row.number,
            status=row.status,
            published_at=row.published_at,
            sections=[
                ChecklistSection(title=s["title"], items=[ChecklistItem.of(i) for i in s["items"]])
                for s in row.sections
            ],
            template_id=row.template_id,
        )


@strawberry.type(name="ChecklistTemplate", description="A named, versioned checklist.")
class ChecklistTemplateType(Node):
    name: str = strawberry.field(description="Name shown to technicians and on reports.")
    description: str | None = strawberry.field(description="What the checklist is for.")
    task_type: TaskKind | None = strawberry.field(  # type: ignore[valid-type]
        description="Task type it is meant for."
    )
    product_category: ProductCategory | None = strawberry.field(  # type: ignore[valid-type]
        description="Product category it is meant for; null: any."
    )
    is_default: bool = strawberry.field(
        description="Used for tasks of its type (and category) when none is named."
    )
    version: int = strawberry.field(description="Row version, for expectedVersion.")
    archived_at: datetime | None = strawberry.field(description="When it was retired.")

    @classmethod
    def from_model(cls, row: ChecklistTemplate) -> ChecklistTemplateType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            name=row.name,
            description=row.description,
            task_type=row.task_type,
            product_category=row.product_category,
            is_default=row.is_default,
            version=row.version,
            archived_at=row.archived_at,
        )

    @strawberry.field(extensions=[FirstItems(20)], description="Its versions, newest first.")
    async def versions(self, info: Info) -> list[ChecklistTemplateVersionType]:
        rows = await info.context.loaders.children(
            ChecklistTemplateVersion, ChecklistTemplateVersion.template_id
        ).load(self.db_id)
        return [ChecklistTemplateVersionType.from_model(r) for r in reversed(rows)]

    @strawberry.field(description="The version new inspections use; null before publishing.")
    async def published_version(self, info: Info) -> ChecklistTemplateVersionType | None:
        rows = await info.context.loaders.children(
            ChecklistTemplateVersion, ChecklistTemplateVersion.template_id
        ).load(self.db_id)
        done = [r for r in rows if r.status is models.VersionStatus.PUBLISHED]
        return ChecklistTemplateVersionType.from_model(done[-1]) if done else None


@strawberry.type(description="A saved answer to one item.")
class InspectionAnswerType:
    item_key: str = strawberry.field(description="Key of the item answered.")
    yes: bool | None = strawberry.field(description="A YES_NO answer.")
    number: Decimal | None = strawberry.field(description="A NUMBER reading.")
    text: str | None = strawberry.field(description="A TEXT answer, or the signer's name.")
    choices: list[str] = strawberry.field(description="Options chosen.")
    attachment_ids: list[strawberry.ID] = strawberry.field(
        description="Attachments (photos, a signature) given as the answer."
    )
    failed: bool = strawberry.field(description="A NO, or a reading out of range.")
    answered_at: datetime = strawberry.field(description="When it was last saved.")

    @classmethod
    def from_model(cls, row: InspectionAnswer) -> InspectionAnswerType:
        from schema.ids import encode_id

        value = row.value
        refs: list[int] = []
        text = None
        if isinstance(value, dict):
            refs, text = [value["attachmentId"]], value.get("signerName")
        elif isinstance(value, list) and value and isinstance(value[0], int):
            refs = value
        elif isinstance(value, str) and row.number is None:
            text = value
        return cls(
            item_key=row.item_key,
            yes=value if isinstance(value, bool) else None,
            number=row.number,
            text=text,
            choices=value if isinstance(value, list) and not refs else [],
            attachment_ids=[strawberry.ID(encode_id("Attachment", r)) for r in refs],
            failed=row.failed,
            answered_at=row.answered_at,
        )


@strawberry.type(description="The corrective task an inspection opened for one item.")
class InspectionFollowUpType:
    item_key: str = strawberry.field(description="Key of the failed item.")
    reason: str = strawberry.field(description="What failed, as written on the task.")
    task_id: strawberry.Private[int]

    @strawberry.field(description="The corrective task; null when the caller may not read it.")
    async def task(self, info: Info) -> TaskRef | None:
        from schema.work_orders import TaskType

        row = await task_by_id(info).load(self.task_id)
        return TaskType.from_model(row) if row else None


@strawberry.type(name="Inspection", description="A checklist filled on a task's visit.")
class InspectionType(Node):
    status: InspectionStatus = strawberry.field(  # type: ignore[valid-type]
        description="IN_PROGRESS while filled, SUBMITTED once complete."
    )
    started_at: datetime = strawberry.field(description="When it was started.")
    submitted_at: datetime | None = strawberry.field(description="When it was submitted.")
    version: int = strawberry.field(description="Changes with every save.")
    row: strawberry.Private[Inspection]

    @classmethod
    def from_model(cls, row: Inspection) -> InspectionType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            status=row.status,
            started_at=row.started_at,
            submitted_at=row.submitted_at,
            version=row.version,
            row=row,
        )

    @strawberry.field(description="The template version it was started on.")
    async def template_version(self, info: Info) -> ChecklistTemplateVersionType:
        version = await info.context.loaders.by_id(ChecklistTemplateVersion).load(
            self.row.template_version_id
        )
        assert version is not None
        return ChecklistTemplateVersionType.from_model(version)

    @strawberry.field(description="The template (any version) it was started on.")
    async def template(self, info: Info) -> ChecklistTemplateType:
        version = await info.context.loaders.by_id(ChecklistTemplateVersion).load(
            self.row.template_version_id
        )
        assert version is not None
        template = await info.context.loaders.by_id(ChecklistTemplate).load(version.template_id)
        assert template is not None
        return ChecklistTemplateType.from_model(template)

    @strawberry.field(description="The task visited; null when the caller may not read it.")
    async def task(self, info: Info) -> TaskRef | None:
        from schema.work_orders import TaskType

        row = await task_by_id(info).load(self.row.task_id)
        return TaskType.from_model(row) if row else None

    @strawberry.field(description="The asset inspected; null for a site-level checklist.")
    async def asset(self, info: Info) -> AssetType | None:
        if self.row.asset_id is None:
            return None
        row = await info.context.loaders.by_id(Asset).load(self.row.asset_id)
        return AssetType.from_model(row) if row else None

    @strawberry.field(extensions=[FirstItems(100)], description="Answers saved so far.")
    async def answers(self, info: Info) -> list[InspectionAnswerType]:
        rows = await info.context.loaders.children(
            InspectionAnswer, InspectionAnswer.inspection_id
        ).load(self.db_id)
        return [InspectionAnswerType.from_model(r) for r in rows]

    @strawberry.field(
        extensions=[FirstItems(50)], description="Corrective tasks opened on submission."
    )
    async def follow_ups(self, info: Info) -> list[InspectionFollowUpType]:
        rows = await info.context.loaders.children(
            InspectionFollowUp, InspectionFollowUp.inspection_id
        ).load(self.db_id)
        return [
            InspectionFollowUpType(item_key=r.item_key, reason=r.reason, task_id=r.task_id)
            for r in rows
        ]

    @strawberry.field(
        description="The report as data: header, then each section's items with the answer, "
        "whether it failed and the follow-up task it opened (the printable page shows the same)."
    )
    async def report(self, info: Info) -> JSON:
        built: JSON = await report.build(info.context.session, self.row)  # type: ignore[assignment]
        return built

    @strawberry.field(
        description="Address of the printable report page, signed and valid for 30 days; it "
        "opens without a token, so it can be sent to the customer."
    )
    def report_url(self, info: Info) -> str:
        base = get_billing_settings().public_base_url.rstrip("/")
        return base + links.report_path(info.context.settings, self.db_id, utcnow())


InspectionConnection = Connection[InspectionType]
ChecklistTemplateConnection = Connection[ChecklistTemplateType]


@strawberry.type(description="One reading of a numeric item on one visit.")
class ReadingPoint:
    inspection_id: strawberry.ID = strawberry.field(description="The inspection it was taken on.")
    at: datetime = strawberry.field(description="When the inspection was submitted.")
    value: Decimal = strawberry.field(description="The reading.")
    out_of_range: bool = strawberry.field(description="Outside the item's acceptable range.")


@strawberry.type(description="Whether a task type needs a check-in before its checklist.")
class InspectionCheckInRule:
    task_type: TaskKind = strawberry.field(  # type: ignore[valid-type]
        description="The task type."
    )
    requires_check_in: bool = strawberry.field(description="Check-in needed first.")


@strawberry.input(description="A follow-up rule: the task a failed item opens.")
class FollowUpRuleInput:
    task_type: TaskKind = strawberry.field(  # type: ignore[valid-type]
        default=models.TaskType.REPAIR, description="Type of the task opened."
    )
    priority: int = strawberry.field(default=2, description="Priority 1 (highest) to 5.")


@strawberry.input(description="One checklist item.")
class ChecklistItemInput:
    key: str = strawberry.field(description="Key unique in the template (letters, digits, _.-).")
    label: str = strawberry.field(description="The question.")
    kind: ItemKind = strawberry.field(  # type: ignore[valid-type]
        description="What the answer looks like."
    )
    required: bool = strawberry.field(default=False, description="Needed to submit.")
    unit: str | None = strawberry.field(default=None, description="Unit of a NUMBER.")
    min_value: Decimal | None = strawberry.field(default=None, description="Lowest acceptable.")
    max_value: Decimal | None = strawberry.field(default=None, description="Highest acceptable.")
    options: list[str] = strawberry.field(default_factory=list, description="Choice options.")
    follow_up: FollowUpRuleInput | None = strawberry.field(
        default=None, description="Task to open when the answer fails."
    )


@strawberry.input(description="A titled group of items.")
class ChecklistSectionInput:
    title: str = strawberry.field(description="Section title.")
    items: list[ChecklistItemInput] = strawberry.field(description="Items in order.")


@strawberry.input(description="A new checklist template; its first version is a draft.")
class CreateChecklistTemplateInput:
    name: str = strawberry.field(description="Template name.")
    sections: list[ChecklistSectionInput] = strawberry.field(description="Sections and items.")
    description: str | None = strawberry.field(default=None, description="What it is for.")
    task_type: TaskKind | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Task type it is meant for."
    )
    product_category: ProductCategory | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Product category it is meant for."
    )
    is_default: bool = strawberry.field(
        default=False, description="Make it the default of its task type and category."
    )
    publish: bool = strawberry.field(default=False, description="Publish the first version now.")


@strawberry.input(description="New content: rewrites the draft, or starts the next version.")
class ReviseChecklistTemplateInput:
    template_id: strawberry.ID = strawberry.field(description="The template.")
    sections: list[ChecklistSectionInput] = strawberry.field(description="The new content.")
    expected_version: int | None = strawberry.field(default=None, description="Stale guard.")


@strawberry.input(description="Publish a template's draft, or change whether it is a default.")
class ChecklistTemplateActionInput:
    template_id: strawberry.ID = strawberry.field(description="The template.")
    expected_version: int | None = strawberry.field(default=None, description="Stale guard.")
    is_default: bool | None = strawberry.field(
        default=None, description="For setChecklistTemplateDefault: the new value."
    )


@strawberry.input(description="Start the checklist of a task on site.")
class StartInspectionInput:
    task_id: strawberry.ID = strawberry.field(description="The task visited.")
    template_id: strawberry.ID | None = strawberry.field(
        default=None, description="Template to use; null: the default for the task."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A replay with the same key returns the first result."
    )


@strawberry.input(description="An answer; give the part matching the item's kind.")
class ItemAnswerInput:
    item_key: str = strawberry.field(description="Key of the item.")
    yes: bool | None = strawberry.field(default=None, description="YES_NO answer.")
    number: Decimal | None = strawberry.field(default=None, description="NUMBER reading.")
    text: str | None = strawberry.field(default=None, description="TEXT answer.")
    choices: list[str] = strawberry.field(default_factory=list, description="Choices made.")
    attachment_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="PHOTO or SIGNATURE attachments of the task."
    )
    signer_name: str | None = strawberry.field(default=None, description="Who signed.")


@strawberry.input(description="Save answers to an open inspection (or submit it).")
class InspectionAnswersInput:
    inspection_id: strawberry.ID = strawberry.field(description="The inspection.")
    answers: list[ItemAnswerInput] = strawberry.field(
        default_factory=list,
        description="Answers to save: at most one per checklist item (a second answer to an "
        "item replaces the first); more answers than the checklist has items are refused.",
    )


@strawberry.input(description="Whether a task type needs a check-in before its checklist.")
class SetInspectionCheckInRuleInput:
    task_type: TaskKind = strawberry.field(  # type: ignore[valid-type]
        description="The task type."
    )
    requires_check_in: bool = strawberry.field(description="Check-in needed first.")


@strawberry.type(description="Result of a checklist template change.")
class ChecklistTemplatePayload(Payload):
    template: ChecklistTemplateType | None = strawberry.field(
        default=None, description="The template."
    )


@strawberry.type(description="Result of an inspection change.")
class InspectionPayload(Payload):
    inspection: InspectionType | None = strawberry.field(
        default=None, description="The inspection."
    )


@strawberry.type(description="Result of a check-in rule change.")
class InspectionCheckInRulePayload(Payload):
    rule: InspectionCheckInRule | None = strawberry.field(default=None, description="The rule.")
