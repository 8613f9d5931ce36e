"""Skill and technician queries and mutations: people, memberships, hours, time off."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import strawberry
from strawberry import UNSET

from app.core.auth import Role
from app.core.errors import collect
from app.technicians import repository, service
from app.technicians.models import (
    MembershipCreate,
    ShiftIn,
    SkillCreate,
    SkillUpdate,
    Technician,
    TechnicianCreate,
    TechnicianUpdate,
    TimeOffCreate,
)
from resolvers.base import execute
from schema.common import GeoPointInput
from schema.context import Info
from schema.ids import decode_id, decode_optional_id, split_id
from schema.inputs import ArchiveInput, provided
from schema.node import register_node
from schema.pagination import FirstItems, paginate
from schema.permissions import allow, authenticated, not_for_customers
from schema.technicians import (
    AddTerritoryMembershipInput,
    AddTimeOffInput,
    CreateSkillInput,
    CreateTechnicianInput,
    DistanceBasis,
    EndTerritoryMembershipInput,
    RemoveTimeOffInput,
    SetWorkingHoursInput,
    SkillLevelInput,
    SkillPayload,
    SkillType,
    TechnicianConnection,
    TechnicianDistance,
    TechnicianPayload,
    TechnicianStatus,
    TechnicianType,
    TerritoryMembershipPayload,
    TerritoryMembershipType,
    TimeOffPayload,
    TimeOffType,
    UpdateSkillInput,
    UpdateTechnicianInput,
)

register_node(TechnicianType, repository.get_readable, TechnicianType.from_model)
register_node(SkillType, repository.get_readable_skill, SkillType.from_model)
register_node(
    TerritoryMembershipType, repository.get_readable_membership, TerritoryMembershipType.from_model
)
register_node(TimeOffType, repository.get_readable_time_off, TimeOffType.from_model)

WRITERS = (Role.ADMIN, Role.DISPATCHER, Role.PARTNER)
"""Who edits technicians; a partner only its own (enforced by the service's scoping)."""


def _plain(value: Any) -> Any:
    """Nested strawberry inputs as plain dicts for the domain's validated models."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not UNSET
        }
    return value


def _skill_ref(item: SkillLevelInput) -> dict[str, Any]:
    parts = split_id(item.skill)
    if parts is not None and parts[0] == "Skill":
        return {"skill_id": parts[1], "level": item.level}
    return {"skill_code": item.skill, "level": item.level}


def _technician_values(values: dict[str, Any]) -> dict[str, Any]:
    if "skills" in values and values["skills"] is not None:
        values["skills"] = [_skill_ref(item) for item in values["skills"]]
    if "partner_id" in values:
        values["partner_id"] = decode_optional_id(values["partner_id"], "Partner", "partnerId")
    if "territory_id" in values:
        values["territory_id"] = decode_optional_id(
            values["territory_id"], "Territory", "territoryId"
        )
    return {name: _plain(value) for name, value in values.items()}


@strawberry.type
class TechniciansQuery:
    @strawberry.field(
        extensions=[authenticated(), FirstItems(100)], description="The skill catalogue by code."
    )
    async def skills(self, info: Info, include_archived: bool = False) -> list[SkillType]:
        statement = repository.listed_skills(
            info.context.principal, include_archived=include_archived
        )
        return [SkillType.from_model(r) for r in (await info.context.session.scalars(statement))]

    @strawberry.field(
        extensions=[authenticated()],
        description="Technicians the caller may see; `skill` is a skill code, `territoryId` "
        "keeps today's members of that territory.",
    )
    async def technicians(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        territory_id: strawberry.ID | None = None,
        skill: Annotated[
            str | None,
            strawberry.argument(description="Skill code the technician must hold; null for any."),
        ] = None,
        min_level: Annotated[
            int,
            strawberry.argument(
                description="Minimum level (1-5) of `skill`; ignored without `skill`."
            ),
        ] = 1,
        status: Annotated[
            list[TechnicianStatus] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Keep only these statuses; null or empty for all."),
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Case-insensitive text contained in the name or email."
            ),
        ] = None,
        include_archived: bool = False,
    ) -> TechnicianConnection:
        statement = repository.listed(
            info.context.principal,
            territory_id=decode_optional_id(territory_id, "Territory", "territoryId"),
            skill=skill,
            min_level=min_level,
            status=status or (),
            search=search,
            include_archived=include_archived,
        )
        return await paginate(
            info.context.session,
            statement,
            Technician.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=TechnicianType.from_model,
            plain_rows=True,
        )

    @strawberry.field(
        extensions=[not_for_customers()],
        description="ACTIVE technicians within radiusMeters, nearest first (at most 100), "
        "measured from their last known location when seen in the last 30 minutes, else from "
        "their home base; `skills` are codes the technician must all hold.",
    )
    async def technicians_near(
        self,
        info: Info,
        point: Annotated[
            GeoPointInput, strawberry.argument(description="The point to search around.")
        ],
        radius_meters: Annotated[
            float, strawberry.argument(description="Search radius in metres; must be positive.")
        ],
        skills: Annotated[
            list[str] | None,
            strawberry.argument(
                description="Skill codes the technician must all hold; null or empty for any."
            ),
        ] = None,
        first: int | None = None,
    ) -> list[TechnicianDistance]:
        collect(point.problems())
        found = await service.technicians_near(
            info.context.session,
            info.context.principal,
            point.to_lat_lng(),
            radius_meters,
            skills=skills or (),
            first=first,
        )
        return [
            TechnicianDistance(
                technician=TechnicianType.from_model(near.technician),
                distance_meters=near.distance_meters,
                measured_from=DistanceBasis.LAST_KNOWN_LOCATION
                if near.from_last_location
                else DistanceBasis.HOME_BASE,
            )
            for near in found
        ]


@strawberry.type
class TechniciansMutation:
    # --- skills ---------------------------------------------------------------------------

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description="Adds a skill to the catalogue (admins only); the code must be unique.",
    )
    async def create_skill(self, info: Info, input: CreateSkillInput) -> SkillPayload:
        async def action() -> SkillPayload:
            data = SkillCreate.model_validate(provided(input))
            return SkillPayload(
                skill=SkillType.from_model(await service.create_skill(info.context.session, data))
            )

        return await execute(info, SkillPayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description="Renames or re-describes a skill (admins only).",
    )
    async def update_skill(self, info: Info, input: UpdateSkillInput) -> SkillPayload:
        async def action() -> SkillPayload:
            changes = SkillUpdate.model_validate(
                provided(input, exclude=("id", "expected_version"))
            )
            skill = await service.update_skill(
                info.context.session, decode_id(input.id, "Skill"), changes, input.expected_version
            )
            return SkillPayload(skill=SkillType.from_model(skill))

        return await execute(info, SkillPayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description="Removes a skill from the catalogue (admins only); technicians who hold it "
        "keep it.",
    )
    async def archive_skill(self, info: Info, input: ArchiveInput) -> SkillPayload:
        async def action() -> SkillPayload:
            skill = await service.archive_skill(
                info.context.session, decode_id(input.id, "Skill"), input.expected_version
            )
            return SkillPayload(skill=SkillType.from_model(skill))

        return await execute(info, SkillPayload, action)

    # --- technicians ----------------------------------------------------------------------

    @strawberry.mutation(
        extensions=[allow(*WRITERS)],
        description="Creates a technician (admins, dispatchers, partners; a partner creates only "
        "its own PARTNER technicians); with territoryId it becomes a primary member "
        "from today.",
    )
    async def create_technician(
        self, info: Info, input: CreateTechnicianInput
    ) -> TechnicianPayload:
        async def action() -> TechnicianPayload:
            values = _technician_values(provided(input, exclude=("idempotency_key",)))
            technician = await service.create_technician(
                info.context.session,
                info.context.require_principal(),
                TechnicianCreate.model_validate(values),
            )
            return TechnicianPayload(technician=TechnicianType.from_model(technician))

        return await execute(info, TechnicianPayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*WRITERS)],
        description="Changes a technician (admins, dispatchers, and a partner for its own "
        "technicians); `skills`, when sent, replaces the whole set.",
    )
    async def update_technician(
        self, info: Info, input: UpdateTechnicianInput
    ) -> TechnicianPayload:
        async def action() -> TechnicianPayload:
            values = _technician_values(provided(input, exclude=("id", "expected_version")))
            technician = await service.update_technician(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.id, "Technician"),
                TechnicianUpdate.model_validate(values),
                input.expected_version,
            )
            return TechnicianPayload(technician=TechnicianType.from_model(technician))

        return await execute(info, TechnicianPayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN, Role.DISPATCHER)],
        description="Archives a technician and sets status INACTIVE (admins and dispatchers); "
        "repeating it is harmless.",
    )
    async def archive_technician(self, info: Info, input: ArchiveInput) -> TechnicianPayload:
        async def action() -> TechnicianPayload:
            technician = await service.archive_technician(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.id, "Technician"),
                input.expected_version,
            )
            return TechnicianPayload(technician=TechnicianType.from_model(technician))

        return await execute(info, TechnicianPayload, action)

    # --- memberships ----------------------------------------------------------------------

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN, Role.DISPATCHER)],
        description="Adds a technician to a territory for a period of local days (admins and "
        "dispatchers); CONFLICT if it overlaps a period in the same territory or "
        "another primary one.",
    )
    async def add_territory_membership(
        self, info: Info, input: AddTerritoryMembershipInput
    ) -> TerritoryMembershipPayload:
        async def action() -> TerritoryMembershipPayload:
            values = provided(input)
            values["technician_id"] = decode_id(input.technician_id, "Technician", "technicianId")
            values["territory_id"] = decode_id(input.territory_id, "Territory", "territoryId")
            membership = await service.add_membership(
                info.context.session,
                info.context.require_principal(),
                MembershipCreate.model_validate(values),
            )
            return await _membership_payload(info, membership)

        return await execute(info, TerritoryMembershipPayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN, Role.DISPATCHER)],
        description="Sets the last day of a membership (admins and dispatchers); it can shorten a "
        "period, not extend it.",
    )
    async def end_territory_membership(
        self, info: Info, input: EndTerritoryMembershipInput
    ) -> TerritoryMembershipPayload:
        async def action() -> TerritoryMembershipPayload:
            membership = await service.end_membership(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.id, "TerritoryMembership"),
                input.valid_to,
            )
            return await _membership_payload(info, membership)

        return await execute(info, TerritoryMembershipPayload, action)

    # --- weekly hours and time off --------------------------------------------------------

    @strawberry.mutation(
        extensions=[allow(*WRITERS)],
        description="Replaces the weekly pattern. Shifts do not cross midnight: a night shift "
        "is one shift ending at 00:00 and one starting at 00:00 the next weekday.",
    )
    async def set_working_hours(self, info: Info, input: SetWorkingHoursInput) -> TechnicianPayload:
        async def action() -> TechnicianPayload:
            shifts = [
                ShiftIn.model_validate({"weekday": s.weekday.value, "start": s.start, "end": s.end})
                for s in input.shifts
            ]
            technician = await service.set_working_hours(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.technician_id, "Technician", "technicianId"),
                shifts,
                input.expected_version,
            )
            return TechnicianPayload(technician=TechnicianType.from_model(technician))

        return await execute(info, TechnicianPayload, action)

    @strawberry.mutation(
        extensions=[allow(*WRITERS)],
        description="Records an absence of a technician (admins, dispatchers, and a partner for "
        "its own technicians).",
    )
    async def add_time_off(self, info: Info, input: AddTimeOffInput) -> TimeOffPayload:
        async def action() -> TimeOffPayload:
            values = provided(input, exclude=("idempotency_key",))
            values["technician_id"] = decode_id(input.technician_id, "Technician", "technicianId")
            time_off = await service.add_time_off(
                info.context.session,
                info.context.require_principal(),
                TimeOffCreate.model_validate(values),
            )
            technician = await repository.get_readable(
                info.context.session, info.context.principal, time_off.technician_id
            )
            return TimeOffPayload(
                time_off=TimeOffType.from_model(time_off),
                technician=TechnicianType.from_model(technician) if technician else None,
            )

        return await execute(info, TimeOffPayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*WRITERS)],
        description="Deletes a time off entry (admins, dispatchers, and a partner for its own "
        "technicians); the payload's timeOff is null.",
    )
    async def remove_time_off(self, info: Info, input: RemoveTimeOffInput) -> TimeOffPayload:
        async def action() -> TimeOffPayload:
            technician = await service.remove_time_off(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.id, "TimeOff"),
            )
            return TimeOffPayload(technician=TechnicianType.from_model(technician))

        return await execute(info, TimeOffPayload, action)


async def _membership_payload(info: Info, membership: Any) -> TerritoryMembershipPayload:
    technician = await repository.get_readable(
        info.context.session, info.context.principal, membership.technician_id
    )
    return TerritoryMembershipPayload(
        membership=TerritoryMembershipType.from_model(membership),
        technician=TechnicianType.from_model(technician) if technician else None,
    )
