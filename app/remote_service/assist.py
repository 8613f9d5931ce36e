"""Remote assistance: a technician on site asks for an expert's help on a task; experts who
qualify (skill and level) see it in their queue; the first to accept gets it (the row lock
makes a second, concurrent accept find it taken: CONFLICT); the expert may set a call link
and answers it with a resolution note. Requests left unaccepted are escalated by the steps
in `assist_escalation_steps`, by a periodic job."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import Asset, ProductModel
from app.attachments.models import Attachment
from app.conversations.models import ParticipantRole
from app.conversations.service import Subject, add_participant, open_thread, post_system_event
from app.core.auth import Principal, Role
from app.core.channels import ALERTS
from app.core.db import SessionFactory, unit_of_work
from app.core.errors import DomainError, ErrorCode, FieldProblem, Forbidden, NotFound, collect
from app.core.events import Broker, queue_event
from app.core.models import utcnow
from app.core.repository import check_version, get_for_update
from app.remote_service import policy
from app.remote_service.channels import ASSIST_CHANGED, ASSIST_QUEUE, ASSIST_UNACCEPTED
from app.remote_service.models import AssistCreate, AssistRequest, AssistStatus, ExpertProfile
from app.remote_service.repository import expert_of
from app.technicians.models import Skill
from app.work_orders import repository as tasks
from app.work_orders.models import OPEN_STATUSES

ESCALATION_LOCK_KEY = 0x0A55_15E5
"""The advisory lock one escalation run holds for its transaction."""


async def ask(
    session: AsyncSession, principal: Principal, data: AssistCreate, now: datetime | None = None
) -> AssistRequest:
    """A technician's request for help on their own open task (staff may ask for any)."""
    task = await tasks.get_readable(session, principal, data.task_id)
    if task is None or task.id is None:
        raise NotFound("task", ["taskId"])
    if task.status not in OPEN_STATUSES:
        raise DomainError(
            f"the task is {task.status.value.lower()}", ErrorCode.INVALID_TRANSITION, ["taskId"]
        )
    technician_id = principal.technician_id if principal.role is Role.TECHNICIAN else None
    technician_id = technician_id or task.technician_id
    if technician_id is None:
        raise DomainError("the task has no technician to help", ErrorCode.INVALID, ["taskId"])
    skill = await session.scalar(select(Skill).where(col(Skill.code) == data.skill_code))
    if skill is None or skill.id is None:
        raise NotFound("skill", ["skillCode"])
    model_id = await _model(session, data.product_model_id, task.asset_id)
    await _photos(session, task.id, data.attachment_ids)
    now = now or utcnow()
    row = AssistRequest(
        task_id=task.id,
        technician_id=technician_id,
        territory_id=task.territory_id,
        product_model_id=model_id,
        skill_id=skill.id,
        min_level=data.min_level,
        question=data.question.strip(),
        attachment_ids=data.attachment_ids,
        requested_by=principal.subject,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    _changed(session, row)
    return row


async def _model(session: AsyncSession, model_id: int | None, asset_id: int | None) -> int | None:
    if model_id is not None:
        model = await session.get(ProductModel, model_id)
        if model is None:
            raise NotFound("product model", ["productModelId"])
        return model_id
    if asset_id is None:
        return None
    asset = await session.get(Asset, asset_id)
    return asset.product_model_id if asset else None


async def _photos(session: AsyncSession, task_id: int, ids: list[int]) -> None:
    if not ids:
        return
    found = set(
        (
            await session.scalars(
                select(Attachment.id).where(
                    col(Attachment.id).in_(ids), col(Attachment.task_id) == task_id
                )
            )
        ).all()
    )
    problems: list[FieldProblem] = []
    for i, attachment_id in enumerate(ids):
        at = ["attachmentIds", str(i)]
        if attachment_id not in found:
            problems.append(FieldProblem("not an attachment of the task", ErrorCode.NOT_FOUND, at))
        elif attachment_id in ids[:i]:
            problems.append(FieldProblem("listed twice", ErrorCode.INVALID, at))
    collect(problems)


async def _locked(
    session: AsyncSession, assist_id: int, expected_version: int | None
) -> AssistRequest:
    row = await get_for_update(
        session, AssistRequest, assist_id, what="assist request", field="assistRequestId"
    )
    check_version(row, expected_version)
    return row


async def _profile(
    session: AsyncSession, principal: Principal, row: AssistRequest
) -> ExpertProfile:
    profile = await session.scalar(
        select(ExpertProfile)
        .where(expert_of(principal))
        .where(col(ExpertProfile.archived_at).is_(None))
        .where(col(ExpertProfile.skill_id) == row.skill_id)
        .where(col(ExpertProfile.level) >= row.min_level)
    )
    if profile is None:
        raise Forbidden("only an expert in the skill, at the level asked, may accept it")
    return profile


async def accept(
    session: AsyncSession,
    principal: Principal,
    assist_id: int,
    expected_version: int | None,
    now: datetime | None = None,
) -> AssistRequest:
    """The first qualified expert to accept gets the request; a later (or concurrent) accept
    finds it taken (CONFLICT)."""
    row = await _locked(session, assist_id, None)
    profile = await _profile(session, principal, row)
    if row.status is not AssistStatus.OPEN:
        taken = row.status is AssistStatus.ACCEPTED or row.status is AssistStatus.ANSWERED
        raise DomainError(
            f"already accepted by {row.expert_name}"
            if taken
            else f"the request is {row.status.value.lower()}",
            ErrorCode.CONFLICT if taken else ErrorCode.INVALID_TRANSITION,
            ["assistRequestId"],
        )
    check_version(row, expected_version)
    if principal.technician_id is not None and principal.technician_id == row.technician_id:
        raise DomainError("one cannot accept one's own request", field=["assistRequestId"])
    row.status = AssistStatus.ACCEPTED
    row.expert_profile_id, row.expert_name = profile.id, profile.name
    row.accepted_by, row.accepted_at = principal.subject, now or utcnow()
    row.touch()
    await session.flush()
    await on_assist_accepted(session, principal, row)
    _changed(session, row)
    return row


async def on_assist_accepted(session: AsyncSession, expert: Principal, row: AssistRequest) -> None:
    """The accepted expert joins the task's conversation thread (opened if the task has none),
    in this transaction, and the thread is told who is helping."""
    subject = Subject.task(row.task_id)
    thread = await open_thread(session, subject=subject)
    await add_participant(session, thread, expert, ParticipantRole.EXPERT)
    await post_system_event(
        session, subject, f"{row.expert_name} accepted the request for expert help"
    )


async def _taken_by(session: AsyncSession, principal: Principal, row: AssistRequest) -> None:
    """Only the expert who accepted it (or an admin or manager) goes on with it."""
    if principal.role in (Role.ADMIN, Role.MANAGER):
        return
    mine = await session.scalar(
        select(ExpertProfile.id).where(
            expert_of(principal), col(ExpertProfile.id) == row.expert_profile_id
        )
    )
    if mine is None:
        raise Forbidden("only the expert who accepted it may do this")


def check_call_link(link: str | None) -> str | None:
    """A provider-agnostic meeting URL: https only, with a host, at most 500 characters."""
    if link is None or not link.strip():
        return None
    link = link.strip()
    parts = urlsplit(link)
    if len(link) > 500 or parts.scheme != "https" or not parts.hostname or " " in link:
        raise DomainError("an https:// URL of at most 500 characters", field=["callLink"])
    return link


async def set_call_link(
    session: AsyncSession,
    principal: Principal,
    assist_id: int,
    link: str | None,
    expected_version: int | None,
) -> AssistRequest:
    checked = check_call_link(link)
    row = await _locked(session, assist_id, expected_version)
    await _taken_by(session, principal, row)
    if row.status is not AssistStatus.ACCEPTED:
        raise DomainError(
            "a call link is set while the request is accepted",
            ErrorCode.INVALID_TRANSITION,
            ["assistRequestId"],
        )
    row.call_link = checked
    row.touch()
    await session.flush()
    _changed(session, row)
    return row


async def answer(
    session: AsyncSession,
    principal: Principal,
    assist_id: int,
    note: str,
    expected_version: int | None,
    now: datetime | None = None,
) -> AssistRequest:
    """Close an accepted request with the expert's resolution note."""
    if not note.strip() or len(note) > 4000:
        raise DomainError("a resolution note of 1 to 4,000 characters", field=["resolutionNote"])
    row = await _locked(session, assist_id, expected_version)
    await _taken_by(session, principal, row)
    if row.status is not AssistStatus.ACCEPTED:
        raise DomainError(
            f"a request that is {row.status.value.lower()} cannot be answered",
            ErrorCode.INVALID_TRANSITION,
            ["assistRequestId"],
        )
    row.status = AssistStatus.ANSWERED
    row.resolution_note, row.answered_at = note.strip(), now or utcnow()
    row.touch()
    await session.flush()
    _changed(session, row)
    return row


async def cancel(
    session: AsyncSession, principal: Principal, assist_id: int, expected_version: int | None
) -> AssistRequest:
    """The asking technician (or a manager or admin) withdraws a request not yet answered."""
    row = await _locked(session, assist_id, expected_version)
    own = principal.role is Role.TECHNICIAN and principal.technician_id == row.technician_id
    if not own and principal.role not in (Role.ADMIN, Role.MANAGER):
        raise Forbidden("only the asking technician or a manager may cancel it")
    if row.status not in (AssistStatus.OPEN, AssistStatus.ACCEPTED):
        raise DomainError(
            f"a request that is {row.status.value.lower()} cannot be cancelled",
            ErrorCode.INVALID_TRANSITION,
            ["assistRequestId"],
        )
    row.status = AssistStatus.CANCELLED
    row.touch()
    await session.flush()
    _changed(session, row)
    return row


def _changed(session: AsyncSession, row: AssistRequest) -> None:
    queue_event(
        session,
        ASSIST_QUEUE,
        ASSIST_CHANGED,
        {
            "assist_request_id": row.id,
            "status": row.status.value,
            "skill_id": row.skill_id,
            "min_level": row.min_level,
            "technician_id": row.technician_id,
            "territory_id": row.territory_id,
            "escalation_level": row.escalation_level,
        },
    )


# --- escalation ---------------------------------------------------------------------------


async def escalate_waiting(session: AsyncSession, now: datetime) -> list[tuple[int, int]]:
    """Raise each step whose wait has passed for open requests, once per level (the highest
    due level is raised; lower ones it skipped are not raised afterwards). Returns the
    (request, level) pairs raised."""
    if not await session.scalar(select(sa.func.pg_try_advisory_xact_lock(ESCALATION_LOCK_KEY))):
        return []
    raised: list[tuple[int, int]] = []
    for step in reversed(await policy.steps(session)):
        cutoff = now - timedelta(minutes=step.after_minutes)
        rows = (
            await session.scalars(
                select(AssistRequest)
                .where(
                    col(AssistRequest.status) == AssistStatus.OPEN,
                    col(AssistRequest.created_at) <= cutoff,
                    col(AssistRequest.escalation_level) < step.level,
                )
                .order_by(col(AssistRequest.created_at))
                .limit(500)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for row in rows:
            assert row.id is not None
            row.escalation_level = step.level  # derived by the system: no version bump
            raised.append((row.id, step.level))
            waited = int((now - row.created_at).total_seconds() // 60)
            _alert(session, row, step.level, step.audience_role, waited)
            _changed(session, row)
    await session.flush()
    return raised


def _alert(
    session: AsyncSession, row: AssistRequest, level: int, audience: Role, waited: int
) -> None:
    queue_event(
        session,
        ALERTS,
        ASSIST_UNACCEPTED,
        {
            "kind": ASSIST_UNACCEPTED,
            "level": level,
            "audience_role": audience.value,
            "message": (
                f"assist request {row.id} on task {row.task_id} has waited {waited} min "
                f"for an expert; escalated to level {level} ({audience.value.lower()})"
            ),
            "territory_id": row.territory_id,
            "task_id": row.task_id,
            "assist_request_id": row.id,
        },
    )


async def escalate_and_publish(sessions: SessionFactory, broker: Broker | None) -> int:
    """One escalation run in its own transaction; alerts leave once it commits."""
    async with unit_of_work(sessions, broker) as session:
        raised = await escalate_waiting(session, utcnow())
    return len(raised)
