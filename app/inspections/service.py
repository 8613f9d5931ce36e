"""Inspections on site: start (after check-in where the task type's rule says so), answer
items validated against the template version the inspection started on, submit; failed
items and out-of-range readings open the corrective tasks their rules ask for."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import Asset, ProductCategory, ProductModel
from app.attachments.models import Attachment, AttachmentKind
from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, FieldProblem, NotFound, collect
from app.core.models import utcnow
from app.inspections import repository, templates
from app.inspections.models import (
    DEFAULT_CHECK_IN_TYPES,
    CheckInRule,
    ChecklistItem,
    ChecklistTemplate,
    ChecklistTemplateVersion,
    Inspection,
    InspectionAnswer,
    InspectionFollowUp,
    InspectionStatus,
    ItemKind,
)
from app.work_orders import repository as tasks
from app.work_orders.models import CLOSED_STATUSES, Task, TaskStatus, TaskType
from app.work_orders.transitions import Actor, record_creation

CHECKED_IN = frozenset({TaskStatus.ON_SITE, TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD})


@dataclass(frozen=True, slots=True)
class AnswerIn:
    """One item's answer as sent; only the part matching the item's kind is read."""

    item_key: str
    yes: bool | None = None
    number: Decimal | None = None
    text: str | None = None
    choices: tuple[str, ...] = ()
    attachment_ids: tuple[int, ...] = ()
    signer_name: str | None = None


async def requires_check_in(session: AsyncSession, task_type: TaskType) -> bool:
    rule = await session.get(CheckInRule, task_type)
    return rule.requires_check_in if rule is not None else task_type in DEFAULT_CHECK_IN_TYPES


async def set_check_in_rule(
    session: AsyncSession, task_type: TaskType, required: bool
) -> CheckInRule:
    statement = insert(CheckInRule).values(
        task_type=task_type, requires_check_in=required, updated_at=utcnow()
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["task_type"],
            set_={"requires_check_in": required, "updated_at": statement.excluded.updated_at},
        )
    )
    rule = await session.get(CheckInRule, task_type, populate_existing=True)
    assert rule is not None
    return rule


async def _check_on_site(session: AsyncSession, task: Task) -> None:
    if task.status in CLOSED_STATUSES:
        raise DomainError("the task is closed", ErrorCode.INVALID_TRANSITION, ["taskId"])
    if task.status not in CHECKED_IN and await requires_check_in(session, task.type):
        raise DomainError(
            f"{task.type.value} tasks need a check-in before the checklist",
            ErrorCode.INVALID_TRANSITION,
            ["taskId"],
        )


def _may_fill(principal: Principal) -> None:
    if not (principal.is_staff or principal.role is Role.TECHNICIAN):
        raise DomainError("only the technician or staff fill a checklist", ErrorCode.FORBIDDEN)


async def _template_for(
    session: AsyncSession, task: Task, template_id: int | None
) -> ChecklistTemplateVersion:
    if template_id is None and task.id is not None:
        template_id = await templates.plan_template_id(session, task.id)
    if template_id is None:
        category = None
        if task.asset_id is not None:
            category = await session.scalar(
                select(ProductModel.category)
                .join(Asset, col(Asset.product_model_id) == col(ProductModel.id))
                .where(col(Asset.id) == task.asset_id)
            )
        template_id = await templates.default_template_id(
            session, task.type, ProductCategory(category) if category else None
        )
        if template_id is None:
            raise DomainError(
                "no default checklist for this task; name one", ErrorCode.INVALID, ["templateId"]
            )
    template = await session.get(ChecklistTemplate, template_id)
    if template is None or template.archived_at is not None:
        raise NotFound("checklist template", ["templateId"])
    version = await templates.latest(session, template_id, published=True)
    if version is None:
        raise DomainError(
            "the checklist has no published version", ErrorCode.INVALID, ["templateId"]
        )
    return version


async def start_inspection(
    session: AsyncSession,
    principal: Principal,
    task_id: int,
    template_id: int | None = None,
) -> Inspection:
    """Open the task's checklist on the latest published version of the named template (or
    the default one for the task's type and product category)."""
    _may_fill(principal)
    task = await tasks.get_for_change(session, principal, task_id)
    await _check_on_site(session, task)
    open_one = await session.scalar(
        select(Inspection).where(
            col(Inspection.task_id) == task_id,
            col(Inspection.status) == InspectionStatus.IN_PROGRESS,
        )
    )
    if open_one is not None:
        raise DomainError(
            "the task already has an open inspection", ErrorCode.DUPLICATE, ["taskId"]
        )
    version = await _template_for(session, task, template_id)
    assert version.id is not None and task.id is not None
    inspection = Inspection(
        task_id=task.id,
        template_version_id=version.id,
        customer_id=task.customer_id,
        asset_id=task.asset_id,
        technician_id=task.technician_id,
        started_by=principal.subject,
    )
    session.add(inspection)
    await session.flush()
    return inspection


async def _for_change(
    session: AsyncSession, principal: Principal, inspection_id: int
) -> tuple[Inspection, Task]:
    _may_fill(principal)
    inspection = await session.scalar(
        select(Inspection).where(col(Inspection.id) == inspection_id).with_for_update()
    )
    if inspection is None:
        raise NotFound("inspection", ["inspectionId"])
    task = await tasks.get_for_change(session, principal, inspection.task_id)
    if inspection.status is not InspectionStatus.IN_PROGRESS:
        raise DomainError(
            "the inspection was submitted", ErrorCode.INVALID_TRANSITION, ["inspectionId"]
        )
    await _check_on_site(session, task)
    return inspection, task


def _number(item: ChecklistItem, answer: AnswerIn) -> tuple[Any, Decimal | None, bool]:
    value = answer.number
    if value is None:
        raise ValueError("give a number")
    try:
        value = Decimal(value)
    except InvalidOperation as error:
        raise ValueError("give a number") from error
    if not value.is_finite():
        raise ValueError("give a finite number")
    low, high = item.min_value, item.max_value
    failed = (low is not None and value < low) or (high is not None and value > high)
    return str(value), value, failed


def _validated(
    item: ChecklistItem, answer: AnswerIn, task_photos: set[int]
) -> tuple[Any, Decimal | None, bool]:
    """(stored value, number, failed); ValueError with the reason when the answer does not fit."""
    kind = item.kind
    if kind is ItemKind.YES_NO:
        if answer.yes is None:
            raise ValueError("answer yes or no")
        return answer.yes, None, not answer.yes
    if kind is ItemKind.NUMBER:
        return _number(item, answer)
    if kind is ItemKind.TEXT:
        text = (answer.text or "").strip()
        if not text or len(text) > 4000:
            raise ValueError("give a text of 1 to 4000 characters")
        return text, None, False
    if kind in templates.CHOICE_KINDS:
        chosen = list(answer.choices)
        if len(set(chosen)) != len(chosen) or not set(chosen) <= set(item.options):
            raise ValueError(f"choose from {', '.join(item.options)}")
        if kind is ItemKind.SINGLE_CHOICE and len(chosen) != 1:
            raise ValueError("choose exactly one option")
        if not chosen:
            raise ValueError("choose at least one option")
        return chosen, None, False
    refs = list(dict.fromkeys(answer.attachment_ids))
    if not refs or not set(refs) <= task_photos:
        raise ValueError("attach an image uploaded to this task")
    if kind is ItemKind.SIGNATURE:
        signer = (answer.signer_name or "").strip()
        if len(refs) != 1 or not signer or len(signer) > 200:
            raise ValueError("attach one signature image and the signer's name")
        return {"attachmentId": refs[0], "signerName": signer}, None, False
    return refs, None, False


async def _task_attachments(session: AsyncSession, task_id: int) -> set[int]:
    rows = await session.scalars(
        select(Attachment.id).where(
            col(Attachment.task_id) == task_id, col(Attachment.kind) == AttachmentKind.PHOTO
        )
    )
    return {i for i in rows.all() if i is not None}


async def _version(session: AsyncSession, inspection: Inspection) -> ChecklistTemplateVersion:
    version = await session.get(ChecklistTemplateVersion, inspection.template_version_id)
    assert version is not None
    return version


async def record_answers(
    session: AsyncSession, principal: Principal, inspection_id: int, answers: list[AnswerIn]
) -> Inspection:
    """Save answers (a later answer to an item replaces the earlier one, in the same call
    too); every problem is reported at once, per item, and nothing is saved then. No more
    answers than the checklist has items are taken."""
    inspection, _ = await _for_change(session, principal, inspection_id)
    items = {item.key: item for item in (await _version(session, inspection)).items()}
    if len(answers) > len(items):
        raise DomainError(
            f"the checklist has {len(items)} items: send at most as many answers",
            ErrorCode.INVALID,
            ["answers"],
        )
    photos = await _task_attachments(session, inspection.task_id)
    problems: list[FieldProblem] = []
    rows: dict[str, dict[str, Any]] = {}
    for n, answer in enumerate(answers):
        at = ["answers", str(n)]
        item = items.get(answer.item_key)
        if item is None:
            problems.append(
                FieldProblem(
                    f"no item {answer.item_key} in this checklist",
                    ErrorCode.NOT_FOUND,
                    [*at, "itemKey"],
                )
            )
            continue
        try:
            value, number, failed = _validated(item, answer, photos)
        except ValueError as error:
            problems.append(
                FieldProblem(f"{item.label}: {error}", ErrorCode.INVALID, [*at, item.key])
            )
            continue
        rows[item.key] = {"item_key": item.key, "value": value, "number": number, "failed": failed}
    collect(problems)
    if rows:
        now = utcnow()
        statement = insert(InspectionAnswer).values(
            [{"inspection_id": inspection.id, "answered_at": now, **r} for r in rows.values()]
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["inspection_id", "item_key"],
                set_={
                    k: statement.excluded[k] for k in ("value", "number", "failed", "answered_at")
                },
            )
        )
    inspection.version += 1
    session.add(inspection)
    await session.flush()
    return inspection


async def submit_inspection(
    session: AsyncSession,
    principal: Principal,
    inspection_id: int,
    answers: list[AnswerIn] | None = None,
) -> tuple[Inspection, list[Task]]:
    """Save the last answers, check every required item is answered, complete the inspection
    and open one corrective task per failed item that carries a follow-up rule. A retry of a
    submission gets the submitted inspection and its corrective tasks back, changing nothing."""
    submitted = await _submitted(session, principal, inspection_id)
    if submitted is not None:
        return submitted
    if answers:
        await record_answers(session, principal, inspection_id, answers)
    inspection, task = await _for_change(session, principal, inspection_id)
    version = await _version(session, inspection)
    saved = {a.item_key: a for a in await repository.answers_of(session, [inspection_id])}
    collect(
        [
            FieldProblem(f"{item.label}: required", ErrorCode.INVALID, ["answers", item.key])
            for item in version.items()
            if item.required and item.key not in saved
        ]
    )
    inspection.status = InspectionStatus.SUBMITTED
    inspection.submitted_at = utcnow()
    inspection.version += 1
    session.add(inspection)
    created = [
        await open_follow_up(session, Actor.of(principal), inspection, task, item, saved[item.key])
        for item in version.items()
        if item.follow_up is not None and item.key in saved and saved[item.key].failed
    ]
    await session.flush()
    return inspection, created


async def _submitted(
    session: AsyncSession, principal: Principal, inspection_id: int
) -> tuple[Inspection, list[Task]] | None:
    _may_fill(principal)
    inspection = await session.scalar(
        select(Inspection).where(col(Inspection.id) == inspection_id).with_for_update()
    )
    if inspection is None or inspection.status is not InspectionStatus.SUBMITTED:
        return None
    await tasks.get_for_change(session, principal, inspection.task_id)  # theirs to fill
    follow_ups = await session.scalars(
        select(Task)
        .join(InspectionFollowUp, col(InspectionFollowUp.task_id) == col(Task.id))
        .where(col(InspectionFollowUp.inspection_id) == inspection_id)
        .order_by(col(Task.id))
    )
    return inspection, list(follow_ups.all())


_COPIED = (
    "work_order_id",
    "service_request_id",
    "customer_id",
    "site_id",
    "asset_id",
    "territory_id",
    "location",
)


async def open_follow_up(
    session: AsyncSession,
    actor: Actor,
    inspection: Inspection,
    task: Task,
    item: ChecklistItem,
    answer: InspectionAnswer,
) -> Task:
    rule = item.follow_up
    assert rule is not None and inspection.id is not None
    reading = (
        f"{answer.number.normalize():f} {item.unit or ''}".strip()
        if answer.number is not None
        else "no"
    )
    reason = f"inspection {inspection.id}: {item.label} = {reading}"[:500]
    follow_up = Task(
        **{name: getattr(task, name) for name in _COPIED},
        type=rule.task_type,
        priority=rule.priority,
        description=reason,
        follow_up_of_id=task.id,
        status=TaskStatus.UNSCHEDULED,
    )
    session.add(follow_up)
    await session.flush()
    assert follow_up.id is not None
    session.add(
        InspectionFollowUp(
            inspection_id=inspection.id, item_key=item.key, task_id=follow_up.id, reason=reason
        )
    )
    record_creation(session, follow_up, actor, reason)
    return follow_up
