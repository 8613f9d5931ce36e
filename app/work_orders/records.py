"""What a visit leaves behind: notes, photos, parts used and the customer's signature."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal
from app.core.errors import DomainError, ErrorCode
from app.core.events import queue_event
from app.core.models import utcnow
from app.core.repository import check_version
from app.inventory.models import TaskPartLine as StockLine
from app.inventory.stock import consume_on_task
from app.work_orders import repository
from app.work_orders.channels import TASK_UPDATED, task_channel
from app.work_orders.models import Task, TaskNote, TaskPart, TaskPartLine, TaskPhoto, TaskStatus

ON_THE_JOB = frozenset({TaskStatus.ON_SITE, TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD})
NOTABLE = ON_THE_JOB | {TaskStatus.ACCEPTED, TaskStatus.EN_ROUTE}


async def _open_for_records(
    session: AsyncSession,
    principal: Principal,
    task_id: int,
    allowed: frozenset[TaskStatus],
    expected_version: int | None,
) -> Task:
    task = await repository.get_for_change(session, principal, task_id)
    check_version(task, expected_version)
    if task.status not in allowed:
        raise DomainError(
            f"cannot record this on a task that is {task.status}",
            ErrorCode.INVALID_TRANSITION,
            ["taskId"],
        )
    return task


def sign(task: Task, reference: str, signer: str) -> None:
    task.signature_ref = reference
    task.signer_name = signer
    task.signed_at = utcnow()


def _updated(session: AsyncSession, task: Task, what: str) -> None:
    assert task.id is not None
    task.touch()
    queue_event(
        session,
        task_channel(task.id),
        TASK_UPDATED,
        {"task_id": task.id, "what": what, "version": task.version, "status": task.status.value},
    )


async def add_note(
    session: AsyncSession, principal: Principal, task_id: int, body: str, expected: int | None
) -> tuple[Task, TaskNote]:
    task = await _open_for_records(session, principal, task_id, NOTABLE, expected)
    note = TaskNote.model_validate(
        {
            "task_id": task_id,
            "author": principal.subject,
            "author_name": principal.name,
            "body": body,
        }
    )
    session.add(note)
    _updated(session, task, "note")
    await session.flush()
    return task, note


async def add_photo(
    session: AsyncSession,
    principal: Principal,
    task_id: int,
    reference: str,
    caption: str | None,
    expected: int | None,
) -> tuple[Task, TaskPhoto]:
    task = await _open_for_records(session, principal, task_id, ON_THE_JOB, expected)
    photo = TaskPhoto.model_validate(
        {
            "task_id": task_id,
            "reference": reference,
            "caption": caption,
            "author": principal.subject,
        }
    )
    session.add(photo)
    _updated(session, task, "photo")
    await session.flush()
    return task, photo


async def record_parts(
    session: AsyncSession,
    principal: Principal,
    task_id: int,
    lines: list[TaskPartLine],
    expected: int | None,
) -> tuple[Task, list[TaskPart]]:
    if not lines:
        raise DomainError("no parts given", ErrorCode.INVALID, ["parts"])
    task = await _open_for_records(session, principal, task_id, ON_THE_JOB, expected)
    parts = [
        TaskPart(task_id=task_id, author=principal.subject, **line.model_dump()) for line in lines
    ]
    session.add_all(parts)
    _updated(session, task, "parts")
    await session.flush()
    await _consume_from_van(session, principal, task, parts)
    return task, parts


async def _consume_from_van(
    session: AsyncSession, principal: Principal, task: Task, parts: list[TaskPart]
) -> None:
    """Parts used leave the technician's van in the same transaction (short: nothing is kept)."""
    assert task.technician_id is not None and task.id is not None
    lines = [StockLine(sku=part.part_code, quantity=part.quantity) for part in parts]
    await consume_on_task(
        session,
        task.technician_id,
        task.id,
        lines,
        principal.subject,
        operation_key=f"task-parts:{parts[0].id}",
    )


async def capture_signature(
    session: AsyncSession,
    principal: Principal,
    task_id: int,
    reference: str,
    signer_name: str,
    expected: int | None,
) -> Task:
    if not reference.strip() or not signer_name.strip():
        raise DomainError("a signature needs an image and the signer's name", ErrorCode.INVALID)
    task = await _open_for_records(session, principal, task_id, ON_THE_JOB, expected)
    sign(task, reference.strip(), signer_name.strip())
    _updated(session, task, "signature")
    await session.flush()
    return task
