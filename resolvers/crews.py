"""Crew queries and mutations: a task's crew, its needs, crew assignment, and each member's
check-in and completion."""

from __future__ import annotations

import strawberry

from app.core.auth import Role
from app.core.errors import DomainError, ErrorCode, collect
from app.crews import service
from app.crews.models import CrewStatePolicy as StatePolicy
from app.work_orders.field import Completion, Step
from app.work_orders.transitions import Action, roles_for
from resolvers.base import execute
from schema.context import Info
from schema.crews import (
    AssignCrewInput,
    CheckInCrewMemberInput,
    CompleteCrewMemberInput,
    CrewPayload,
    CrewStatePolicy,
    CrewStatePolicyPayload,
    CrewType,
    SetCrewRequirementsInput,
    SetCrewStatePolicyInput,
)
from schema.ids import decode_id, decode_ids
from schema.permissions import allow
from schema.scalars import offset_problems
from schema.tasks import AssignmentWarning

CREW_READERS = (Role.ADMIN, Role.MANAGER, Role.DISPATCHER, Role.AGENT, Role.TECHNICIAN)
MAX_LEAD_SKILLS = 20
MAX_RESOLUTION_CODE = 60


@strawberry.type
class CrewsQuery:
    @strawberry.field(
        extensions=[allow(*CREW_READERS)],
        description="A task's crew and segments, or null when the caller may not see the task. "
        "Staff and technicians (their own crews).",
    )
    async def crew(self, info: Info, task_id: strawberry.ID) -> CrewType | None:
        task_db_id = decode_id(task_id, "Task", "taskId")
        try:
            crew = await service.get_crew(info.context.session, info.context.principal, task_db_id)
        except DomainError:
            return None
        return CrewType.from_crew(crew)

    @strawberry.field(
        extensions=[allow(Role.ADMIN, Role.MANAGER, Role.DISPATCHER)],
        description="Whose steps move a crew task's status: LEAD or ALL.",
    )
    async def crew_state_policy(self, info: Info) -> CrewStatePolicy:  # type: ignore[valid-type]
        return await service.state_policy(info.context.session)


@strawberry.type
class CrewsMutation:
    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.ASSIGN))],
        description="Set the crew size a task needs and the skills its lead must hold, before "
        "it is assigned. Admins and dispatchers.",
    )
    async def set_crew_requirements(
        self, info: Info, input: SetCrewRequirementsInput
    ) -> CrewPayload:
        async def action() -> CrewPayload:
            if len(input.lead_skills) > MAX_LEAD_SKILLS:
                raise DomainError(
                    f"at most {MAX_LEAD_SKILLS} lead skills", ErrorCode.INVALID, ["leadSkills"]
                )
            for i, skill in enumerate(input.lead_skills):
                if not 1 <= skill.min_level <= 5 or not 1 <= len(skill.code) <= 60:
                    raise DomainError(
                        "a lead skill is a code of 1 to 60 characters at level 1 to 5",
                        ErrorCode.INVALID,
                        ["leadSkills", str(i)],
                    )
            session = info.context.session
            task = await service.set_requirements(
                session,
                info.context.require_principal(),
                decode_id(input.task_id, "Task", "taskId"),
                input.crew_size,
                [(s.code, s.min_level) for s in input.lead_skills],
                input.expected_version,
            )
            return CrewPayload(crew=CrewType.from_crew(await service.crew_of(session, task)))

        return await execute(info, CrewPayload, action)

    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.ASSIGN))],
        description="Offer a task to a crew from a start time (→ DISPATCHED to the lead): every "
        "member sees it in myTasks. Warnings (each member's hours, overlaps, travel; the crew's "
        "size and skills; the lead's skills) refuse it unless a reason is given. Admins and "
        "dispatchers.",
    )
    async def assign_crew(self, info: Info, input: AssignCrewInput) -> CrewPayload:
        async def action() -> CrewPayload:
            collect(offset_problems(input.start, "start"))
            if len(input.member_ids) > service.MAX_MEMBERS:
                raise DomainError(
                    f"at most {service.MAX_MEMBERS} members besides the lead",
                    ErrorCode.INVALID,
                    ["memberIds"],
                )
            crew, warnings = await service.assign_crew(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.task_id, "Task", "taskId"),
                decode_id(input.lead_id, "Technician", "leadId"),
                decode_ids([str(m) for m in input.member_ids], "Technician", "memberIds"),
                input.start,
                reason=input.reason,
                expected_version=input.expected_version,
            )
            return CrewPayload(
                crew=CrewType.from_crew(crew),
                warnings=[AssignmentWarning(code=w.code, message=w.message) for w in warnings],
            )

        return await execute(info, CrewPayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(Role.TECHNICIAN)],
        description="A crew member checks in on site. The task moves to ON_SITE with the lead's "
        "check-in (LEAD policy) or the last member's (ALL). Technicians only.",
    )
    async def check_in_crew_member(self, info: Info, input: CheckInCrewMemberInput) -> CrewPayload:
        async def action() -> CrewPayload:
            collect(input.location.problems("location"))
            step = Step(
                decode_id(input.task_id, "Task", "taskId"),
                None,
                input.location.to_lat_lng(),
                input.reason,
            )
            crew, flags = await service.check_in_member(
                info.context.session, info.context.require_principal(), step
            )
            return CrewPayload(
                crew=CrewType.from_crew(crew),
                warnings=[AssignmentWarning(code="CHECK_IN_FLAGGED", message=f) for f in flags],
            )

        return await execute(info, CrewPayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(Role.TECHNICIAN)],
        description="A crew member has finished their part. The task completes with the lead's "
        "completion (LEAD policy) or the last member's (ALL), which need a resolution code. "
        "Technicians only.",
    )
    async def complete_crew_member(self, info: Info, input: CompleteCrewMemberInput) -> CrewPayload:
        async def action() -> CrewPayload:
            code = (input.resolution_code or "").strip()
            if len(code) > MAX_RESOLUTION_CODE:
                raise DomainError(
                    f"resolutionCode is at most {MAX_RESOLUTION_CODE} characters",
                    ErrorCode.INVALID,
                    ["resolutionCode"],
                )
            signed = input.signature
            done = (
                Completion(
                    code,
                    input.notes,
                    signed.image_ref if signed else None,
                    signed.signer_name if signed else None,
                )
                if code
                else None
            )
            step = Step(decode_id(input.task_id, "Task", "taskId"))
            crew = await service.complete_member(
                info.context.session, info.context.require_principal(), step, done
            )
            return CrewPayload(crew=CrewType.from_crew(crew), warnings=[])

        return await execute(info, CrewPayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description="Set whose steps move a crew task: the lead's (LEAD) or every member's "
        "(ALL). Admins only.",
    )
    async def set_crew_state_policy(
        self, info: Info, input: SetCrewStatePolicyInput
    ) -> CrewStatePolicyPayload:
        async def action() -> CrewStatePolicyPayload:
            policy = await service.set_state_policy(
                info.context.session, StatePolicy(input.state_follows)
            )
            return CrewStatePolicyPayload(state_follows=policy)

        return await execute(info, CrewStatePolicyPayload, action)
