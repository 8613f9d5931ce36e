"""Checklist templates: a draft is edited, a published version never changes again (editing
it makes the next version), and the default template of a task type / product category."""

from __future__ import annotations

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col, select

from app.assets.models import ProductCategory
from app.core.errors import DomainError, ErrorCode, FieldProblem, NotFound, collect
from app.core.models import utcnow
from app.core.repository import check_version
from app.inspections.models import (
    ChecklistSection,
    ChecklistTemplate,
    ChecklistTemplateVersion,
    ItemKind,
    VersionStatus,
)
from app.work_orders.models import TaskType

CHOICE_KINDS = frozenset({ItemKind.SINGLE_CHOICE, ItemKind.MULTIPLE_CHOICE})
FAILABLE_KINDS = frozenset({ItemKind.YES_NO, ItemKind.NUMBER})


class TemplateCreate(SQLModel):
    name: str
    description: str | None = None
    task_type: TaskType | None = None
    product_category: ProductCategory | None = None
    is_default: bool = False
    sections: list[ChecklistSection]


def check_sections(sections: list[ChecklistSection]) -> None:
    """Item keys unique in the template; ranges ordered; choices with options; follow-up
    rules only where an answer can fail (yes/no, number with a range)."""
    problems: list[FieldProblem] = []
    seen: set[str] = set()
    if not sections:
        problems.append(
            FieldProblem("a checklist needs a section", ErrorCode.INVALID, ["sections"])
        )
    for s, section in enumerate(sections):
        for i, item in enumerate(section.items):
            at = ["sections", str(s), "items", str(i)]
            if item.key in seen:
                problems.append(
                    FieldProblem(f"item key {item.key} repeats", ErrorCode.DUPLICATE, [*at, "key"])
                )
            seen.add(item.key)
            if item.kind is ItemKind.NUMBER:
                low, high = item.min_value, item.max_value
                if low is not None and high is not None and low > high:
                    problems.append(
                        FieldProblem(
                            "minValue is above maxValue", ErrorCode.INVALID, [*at, "minValue"]
                        )
                    )
            elif item.min_value is not None or item.max_value is not None or item.unit:
                problems.append(
                    FieldProblem(
                        "only NUMBER items take a unit or a range", ErrorCode.INVALID, [*at, "kind"]
                    )
                )
            if item.kind in CHOICE_KINDS:
                if len(item.options) < 2 or len(set(item.options)) != len(item.options):
                    problems.append(
                        FieldProblem(
                            "a choice needs two or more distinct options",
                            ErrorCode.INVALID,
                            [*at, "options"],
                        )
                    )
            elif item.options:
                problems.append(
                    FieldProblem(
                        "only choice items take options", ErrorCode.INVALID, [*at, "options"]
                    )
                )
            if item.follow_up is not None and item.kind not in FAILABLE_KINDS:
                problems.append(
                    FieldProblem(
                        "a follow-up rule needs a YES_NO or NUMBER item",
                        ErrorCode.INVALID,
                        [*at, "followUp"],
                    )
                )
    collect(problems)


def _dump(sections: list[ChecklistSection]) -> list[dict[str, object]]:
    return [s.model_dump(mode="json") for s in sections]


async def _clear_other_defaults(session: AsyncSession, template: ChecklistTemplate) -> None:
    if not template.is_default:
        return
    await session.execute(
        update(ChecklistTemplate)
        .where(
            col(ChecklistTemplate.id) != template.id,
            col(ChecklistTemplate.task_type).is_not_distinct_from(template.task_type),
            col(ChecklistTemplate.product_category).is_not_distinct_from(template.product_category),
        )
        .values(is_default=False)
    )


async def create_template(
    session: AsyncSession, data: TemplateCreate
) -> tuple[ChecklistTemplate, ChecklistTemplateVersion]:
    check_sections(data.sections)
    if not data.name.strip():
        raise DomainError("a template needs a name", ErrorCode.INVALID, ["name"])
    template = ChecklistTemplate(**data.model_dump(exclude={"sections"}))
    session.add(template)
    await session.flush()
    assert template.id is not None
    await _clear_other_defaults(session, template)
    draft = ChecklistTemplateVersion(
        template_id=template.id, number=1, sections=_dump(data.sections)
    )
    session.add(draft)
    await session.flush()
    return template, draft


async def _locked(session: AsyncSession, template_id: int) -> ChecklistTemplate:
    template = await session.scalar(
        select(ChecklistTemplate).where(col(ChecklistTemplate.id) == template_id).with_for_update()
    )
    if template is None or template.archived_at is not None:
        raise NotFound("checklist template", ["templateId"])
    return template


async def latest(
    session: AsyncSession, template_id: int, *, published: bool = False
) -> ChecklistTemplateVersion | None:
    statement = select(ChecklistTemplateVersion).where(
        col(ChecklistTemplateVersion.template_id) == template_id
    )
    if published:
        statement = statement.where(col(ChecklistTemplateVersion.status) == VersionStatus.PUBLISHED)
    return await session.scalar(
        statement.order_by(col(ChecklistTemplateVersion.number).desc()).limit(1)
    )


async def revise_template(
    session: AsyncSession,
    template_id: int,
    sections: list[ChecklistSection],
    expected_version: int | None,
) -> ChecklistTemplateVersion:
    """Change the checklist: the open draft is rewritten; a published version stays as it is
    and the change becomes the next version's draft."""
    template = await _locked(session, template_id)
    check_version(template, expected_version)
    check_sections(sections)
    current = await latest(session, template_id)
    assert current is not None
    if current.status is VersionStatus.DRAFT:
        current.sections = _dump(sections)
        draft = current
    else:
        draft = ChecklistTemplateVersion(
            template_id=template_id, number=current.number + 1, sections=_dump(sections)
        )
    session.add(draft)
    template.touch()
    await session.flush()
    return draft


async def publish_template(
    session: AsyncSession, template_id: int, expected_version: int | None
) -> ChecklistTemplateVersion:
    template = await _locked(session, template_id)
    check_version(template, expected_version)
    current = await latest(session, template_id)
    assert current is not None
    if current.status is VersionStatus.PUBLISHED:
        raise DomainError("no draft to publish", ErrorCode.INVALID_TRANSITION, ["templateId"])
    current.status = VersionStatus.PUBLISHED
    current.published_at = utcnow()
    template.touch()
    await session.flush()
    return current


async def set_default(
    session: AsyncSession, template_id: int, is_default: bool, expected_version: int | None
) -> ChecklistTemplate:
    template = await _locked(session, template_id)
    check_version(template, expected_version)
    template.is_default = is_default
    template.touch()
    await _clear_other_defaults(session, template)
    await session.flush()
    return template


async def default_template_id(
    session: AsyncSession, task_type: TaskType, category: ProductCategory | None
) -> int | None:
    """The default template of the task type for the product category, else the task type's
    category-free default. A preventive visit without defaults of its own takes maintenance's:
    it is the same upkeep, planned."""
    types = [task_type]
    if task_type is TaskType.PREVENTIVE:
        types.append(TaskType.MAINTENANCE)
    matches = col(ChecklistTemplate.product_category) == category
    statement = (
        select(ChecklistTemplate.id)
        .where(
            col(ChecklistTemplate.is_default),
            col(ChecklistTemplate.archived_at).is_(None),
            col(ChecklistTemplate.task_type).in_(types),
            matches | col(ChecklistTemplate.product_category).is_(None),
        )
        .order_by(
            col(ChecklistTemplate.task_type) != task_type,
            col(ChecklistTemplate.product_category).is_(None),
            col(ChecklistTemplate.id),
        )
        .limit(1)
    )
    return await session.scalar(statement)


async def archive_template(
    session: AsyncSession, template_id: int, expected_version: int | None
) -> ChecklistTemplate:
    """Retire a template: no new inspection starts on it; past inspections keep their version."""
    template = await _locked(session, template_id)
    check_version(template, expected_version)
    template.archived_at = utcnow()
    template.is_default = False
    template.touch()
    await session.flush()
    return template


PLAN_TEMPLATE = text(
    "SELECT p.checklist_template_id FROM planned_visits v "
    "JOIN service_plans p ON p.id = v.plan_id WHERE v.task_id = :task_id"
)


async def plan_template_id(session: AsyncSession, task_id: int) -> int | None:
    """The checklist a service plan names for the planned visit behind this task (read as
    plain SQL: the inspections domain does not import the service plans')."""
    found: int | None = await session.scalar(PLAN_TEMPLATE, {"task_id": task_id})
    return found
