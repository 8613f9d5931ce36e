"""Working a service request remotely: diagnose it, then resolve it remotely (the request is
closed and counted as a remote resolution, with how and by whom) or escalate it to a field
task that carries the diagnosis. Both take the request's expectedVersion; the SLA clock of a
resolved request stops at the resolution, an escalated one keeps running on its task."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.attachments.models import Attachment
from app.core.auth import Principal
from app.core.errors import DomainError, ErrorCode, FieldProblem, NotFound, collect
from app.core.events import queue_event
from app.core.models import utcnow
from app.core.repository import check_version, get_for_update
from app.inventory.models import Part
from app.remote_service import policy
from app.remote_service.models import Diagnosis, RemoteCase, RemoteResolutionCode, RemoteStage
from app.service_requests.channels import SERVICE_REQUESTS, customer_channel
from app.service_requests.models import ServiceRequest, ServiceRequestStatus
from app.technicians.models import Skill
from app.work_orders.models import Task, TaskCreate
from app.work_orders.transitions import Actor

REMOTELY_RESOLVED = "SERVICE_REQUEST_RESOLVED_REMOTELY"
ESCALATED_TO_FIELD = "SERVICE_REQUEST_ESCALATED_TO_FIELD"


async def _locked(
    session: AsyncSession, request_id: int, expected_version: int | None
) -> tuple[ServiceRequest, RemoteCase]:
    """The request and its remote case, locked; concurrent changes queue here and the later
    one finds the request moved on (STALE_VERSION) or the case out of triage."""
    request = await get_for_update(
        session, ServiceRequest, request_id, what="service request", field="serviceRequestId"
    )
    check_version(request, expected_version)
    case = await session.scalar(
        select(RemoteCase).where(col(RemoteCase.service_request_id) == request_id).with_for_update()
    )
    if case is None:
        raise DomainError(
            "the request is not worked remotely (its category is not remote-first)",
            ErrorCode.INVALID_TRANSITION,
            ["serviceRequestId"],
        )
    return request, case


def _in_triage(case: RemoteCase, to: str) -> None:
    if case.stage is not RemoteStage.TRIAGE:
        raise DomainError(
            f"a remote case that is {case.stage.value.lower()} cannot be {to}",
            ErrorCode.INVALID_TRANSITION,
            ["serviceRequestId"],
        )


async def diagnose(
    session: AsyncSession,
    principal: Principal,
    request_id: int,
    data: Diagnosis,
    expected_version: int | None,
) -> RemoteCase:
    """Record or change the diagnosis of a request in remote triage."""
    request, case = await _locked(session, request_id, expected_version)
    _in_triage(case, "diagnosed")
    if data.notes is not None:
        case.notes = data.notes.strip()
    if data.resolution_code is not None:
        case.resolution_code_id = (await policy.code_named(session, data.resolution_code)).id
    if data.suspected_part_ids is not None:
        case.suspected_part_ids = await _parts(session, data.suspected_part_ids)
    if data.attachment_ids is not None:
        case.attachment_ids = await _attachments(session, request_id, data.attachment_ids)
    if data.required_skills is not None:
        await _skills(session, [s.code for s in data.required_skills])
        case.required_skills = [s.model_dump() for s in data.required_skills]
    case.diagnosed_by = principal.subject
    case.touch()
    request.touch()
    await session.flush()
    return case


async def _parts(session: AsyncSession, ids: list[int]) -> list[int]:
    found = set(
        (
            await session.scalars(
                select(Part.id).where(col(Part.id).in_(ids), col(Part.archived_at).is_(None))
            )
        ).all()
    )
    _check_listed(ids, found, "suspectedPartIds", "part not found")
    return ids


async def _attachments(session: AsyncSession, request_id: int, ids: list[int]) -> list[int]:
    found = set(
        (
            await session.scalars(
                select(Attachment.id).where(
                    col(Attachment.id).in_(ids), col(Attachment.service_request_id) == request_id
                )
            )
        ).all()
    )
    _check_listed(ids, found, "attachmentIds", "not an attachment of the request")
    return ids


async def _skills(session: AsyncSession, codes: list[str]) -> None:
    found = set((await session.scalars(select(Skill.code).where(col(Skill.code).in_(codes)))).all())
    problems = [
        FieldProblem(f"unknown skill {code}", ErrorCode.INVALID, ["requiredSkills", str(i)])
        for i, code in enumerate(codes)
        if code not in found
    ]
    collect(problems)


def _check_listed(ids: list[int], found: set[int], field: str, missing: str) -> None:
    problems: list[FieldProblem] = []
    seen: set[int] = set()
    for i, value in enumerate(ids):
        if value not in found:
            problems.append(FieldProblem(missing, ErrorCode.NOT_FOUND, [field, str(i)]))
        elif value in seen:
            problems.append(FieldProblem("listed twice", ErrorCode.INVALID, [field, str(i)]))
        seen.add(value)
    collect(problems)


async def resolve(
    session: AsyncSession,
    principal: Principal,
    request_id: int,
    summary: str,
    resolution_code: str | None,
    expected_version: int | None,
    now: datetime | None = None,
) -> RemoteCase:
    """Close the request as resolved remotely, with a resolution code (given here or in the
    diagnosis) and a summary; its SLA resolution clock stops now."""
    now = now or utcnow()
    if not summary.strip():
        raise DomainError("say how it was resolved", ErrorCode.INVALID, ["summary"])
    request, case = await _locked(session, request_id, expected_version)
    _in_triage(case, "resolved")
    if resolution_code is not None:
        case.resolution_code_id = (await policy.code_named(session, resolution_code)).id
    if case.resolution_code_id is None:
        raise DomainError(
            "a remote resolution needs a resolution code", ErrorCode.INVALID, ["resolutionCode"]
        )
    case.stage = RemoteStage.RESOLVED
    case.resolved_by, case.resolved_by_name = principal.subject, principal.name
    case.resolved_at, case.resolution_summary = now, summary.strip()
    case.touch()
    request.status = ServiceRequestStatus.RESOLVED
    request.resolved_at = now
    request.touch()
    await session.flush()
    _announce(session, request, case, REMOTELY_RESOLVED)
    return case


async def escalate(
    session: AsyncSession,
    principal: Principal,
    request_id: int,
    expected_version: int | None,
    duration_minutes: int | None = None,
    now: datetime | None = None,
) -> tuple[RemoteCase, Task]:
    """Send the request to the field: a task through the usual request -> work order path,
    requiring the diagnosed skills, described by the diagnosis (notes, suspected parts,
    resolution code); the request's SLA clock keeps running on it."""
    from app.work_orders.service import create_task

    now = now or utcnow()
    request, case = await _locked(session, request_id, expected_version)
    _in_triage(case, "escalated")
    case.stage = RemoteStage.ESCALATED
    case.escalated_by, case.escalated_at = principal.subject, now
    await session.flush()
    values: dict[str, object] = {
        "service_request_id": request_id,
        "description": await describe(session, case),
        "required_skills": case.required_skills,
    }
    if duration_minutes is not None:
        values["duration_minutes"] = duration_minutes
    data = TaskCreate.model_validate(values)
    task = await create_task(session, Actor.of(principal), data)
    case.task_id = task.id
    case.touch()
    request.touch()
    await session.flush()
    _announce(session, request, case, ESCALATED_TO_FIELD)
    return case, task


async def describe(session: AsyncSession, case: RemoteCase) -> str:
    """The field task's description: the remote diagnosis, for the technician."""
    lines = ["Remote diagnosis:"]
    lines.append(case.notes or "(no notes)")
    if case.resolution_code_id is not None:
        code = await session.get(RemoteResolutionCode, case.resolution_code_id)
        if code is not None:
            lines.append(f"Resolution code: {code.code} ({code.name})")
    if case.suspected_part_ids:
        parts = (
            await session.scalars(select(Part).where(col(Part.id).in_(case.suspected_part_ids)))
        ).all()
        names = ", ".join(f"{p.sku} {p.name}" for p in parts)
        lines.append(f"Suspected parts: {names}")
    if case.required_skills:
        skills = ", ".join(f"{s['code']} (level {s['min_level']})" for s in case.required_skills)
        lines.append(f"Skills: {skills}")
    return "\n".join(lines)[:4000]


def _announce(session: AsyncSession, request: ServiceRequest, case: RemoteCase, kind: str) -> None:
    queue_event(
        session,
        [customer_channel(request.customer_id), SERVICE_REQUESTS],
        kind,
        {
            "service_request_id": request.id,
            "customer_id": request.customer_id,
            "status": request.status.value,
            "remote_stage": case.stage.value,
            "task_id": case.task_id,
        },
    )


async def get_case(session: AsyncSession, request_id: int) -> RemoteCase:
    case = await session.scalar(
        select(RemoteCase).where(col(RemoteCase.service_request_id) == request_id)
    )
    if case is None:
        raise NotFound("remote case", ["serviceRequestId"])
    return case
