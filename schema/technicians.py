"""GraphQL types for skills, technicians, their calendars and proximity results."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import IntEnum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.core.auth import Role
from app.core.models import utcnow
from app.partners.models import Partner
from app.technicians import repository
from app.technicians.models import END_OF_DAY, Skill, Technician, TerritoryMembership, TimeOff
from app.technicians.models import Employment as DomainEmployment
from app.technicians.models import TechnicianStatus as DomainTechnicianStatus
from app.technicians.models import WorkingHours as WorkingHoursRow
from schema.common import GeoPoint, GeoPointInput, Money, MoneyInput
from schema.context import Info
from schema.errors import Payload
from schema.node import Node
from schema.pagination import Connection, FirstItems
from schema.partners import PartnerType
from schema.permissions import STAFF, own_partner, personal

if TYPE_CHECKING:
    from schema.territories import TerritoryType

Employment = strawberry.enum(DomainEmployment, name="Employment")
TechnicianStatus = strawberry.enum(DomainTechnicianStatus, name="TechnicianStatus")


@strawberry.enum
class Weekday(IntEnum):
    """A day of the week (shifts are weekly)."""

    MONDAY = 0
    """Monday."""
    TUESDAY = 1
    """Tuesday."""
    WEDNESDAY = 2
    """Wednesday."""
    THURSDAY = 3
    """Thursday."""
    FRIDAY = 4
    """Friday."""
    SATURDAY = 5
    """Saturday."""
    SUNDAY = 6
    """Sunday."""


@strawberry.enum(description="Which position a distance was measured from.")
class DistanceBasis(IntEnum):
    LAST_KNOWN_LOCATION = 1
    """From where the technician was last seen."""
    HOME_BASE = 2
    """From the technician's home base (they have not been seen lately)."""


@strawberry.type(name="Skill")
class SkillType(Node):
    code: str
    name: str
    description: str | None
    version: int
    archived_at: datetime | None

    @classmethod
    def from_model(cls, row: Skill) -> SkillType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            code=row.code,
            name=row.name,
            description=row.description,
            version=row.version,
            archived_at=row.archived_at,
        )


@strawberry.type(description="A skill a technician holds, at a level from 1 (basic) to 5 (expert).")
class SkillLevel:
    skill: SkillType
    level: int


@strawberry.type(description="A weekly shift in the local time of the technician's territory.")
class Shift:
    weekday: Weekday
    start: time
    end: time = strawberry.field(description="00:00 means until midnight.")

    @classmethod
    def from_model(cls, row: WorkingHoursRow) -> Shift:
        end = time(0) if row.ends_at == END_OF_DAY else row.ends_at
        return cls(weekday=Weekday(row.weekday), start=row.starts_at, end=end)


@strawberry.type(name="TimeOff")
class TimeOffType(Node):
    start: datetime
    end: datetime
    reason: str | None

    @classmethod
    def from_model(cls, row: TimeOff) -> TimeOffType:
        assert row.id is not None
        return cls(db_id=row.id, start=row.starts_at, end=row.ends_at, reason=row.reason)


@strawberry.type(name="TerritoryMembership")
class TerritoryMembershipType(Node):
    territory_db_id: strawberry.Private[int]
    valid_from: date
    valid_to: date | None = strawberry.field(description="Last day included; null: open-ended.")
    is_primary: bool

    @strawberry.field
    async def territory(
        self, info: Info
    ) -> Annotated[TerritoryType, strawberry.lazy("schema.territories")] | None:
        from app.territories.models import Territory
        from schema.territories import TerritoryType

        row = await info.context.loaders.by_id(Territory).load(self.territory_db_id)
        return TerritoryType.from_model(row) if row else None

    @classmethod
    def from_model(cls, row: TerritoryMembership) -> TerritoryMembershipType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            territory_db_id=row.territory_id,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            is_primary=row.is_primary,
        )


def _batch(info: Info, name: str, fetch: Any) -> Any:
    """A per-operation loader whose batch function takes the session and the keys."""
    session = info.context.session

    async def load(ids: list[int]) -> Any:
        return await fetch(session, ids)

    return info.context.loaders.custom(name, load)


# What a role reads of a technician. Everyone who can reach one reads its ID, name and rating
# (a customer sees the position only through `taskTracking`, while the visit is under way). The
# rest is for staff, for technicians and for the partner that employs the technician; home,
# whereabouts and absences for staff, that partner and the technician themselves; internal
# notes and cost rates for staff and that partner only.
def _work_rule() -> Any:
    return own_partner(*STAFF, Role.TECHNICIAN)


def _work(**kwargs: Any) -> Any:
    return strawberry.field(extensions=[_work_rule()], **kwargs)


def _personal(**kwargs: Any) -> Any:
    return strawberry.field(extensions=[personal()], **kwargs)


def _internal() -> Any:
    return strawberry.field(extensions=[own_partner(*STAFF)])


@strawberry.type(name="Technician")
class TechnicianType(Node):
    name: str
    email: str | None = _work()
    phone: str | None = _work()
    employment: Employment = _work()  # type: ignore[valid-type]
    status: TechnicianStatus = _work()  # type: ignore[valid-type]
    external_ref: str | None = _work()
    notes: str | None = _internal()
    home_base: GeoPoint = _personal()
    last_known_location: GeoPoint | None = _personal(
        description="The last position the technician's device reported, at lastSeenAt."
    )
    last_seen_at: datetime | None = _personal()
    cost_per_hour: Money | None = _internal()
    cost_per_km: Money | None = _internal()
    version: int = _work()
    created_at: datetime = _work()
    archived_at: datetime | None = _work()
    partner_db_id: strawberry.Private[int | None]

    @strawberry.field(
        description="The average customer rating (1-5) of the technician's rated visits; null "
        "before the first. Everyone who can see the technician reads it."
    )
    async def rating(self, info: Info) -> float | None:
        summary = await _batch(info, "technician.rating", repository.ratings_of).load(self.db_id)
        return None if summary.average is None else round(summary.average, 2)

    @strawberry.field(description="How many rated visits `rating` averages.")
    async def rating_count(self, info: Info) -> int:
        summary = await _batch(info, "technician.rating", repository.ratings_of).load(self.db_id)
        return int(summary.count)

    @strawberry.field(extensions=[_work_rule(), FirstItems(50)])
    async def skills(self, info: Info) -> list[SkillLevel]:
        pairs = await _batch(info, "technician.skills", repository.skills_of).load(self.db_id)
        return [SkillLevel(skill=SkillType.from_model(s), level=link.level) for link, s in pairs]

    @strawberry.field(extensions=[_work_rule()])
    async def partner(self, info: Info) -> PartnerType | None:
        if self.partner_db_id is None:
            return None
        row = await info.context.loaders.by_id(Partner).load(self.partner_db_id)
        return PartnerType.from_model(row) if row else None

    @strawberry.field(
        description="The territories the technician belongs to today, primary first.",
        extensions=[_work_rule(), FirstItems(20)],
    )
    async def territories(
        self, info: Info
    ) -> list[Annotated[TerritoryType, strawberry.lazy("schema.territories")]]:
        from schema.territories import TerritoryType

        loader = _batch(info, "technician.territories", repository.current_territories)
        return [TerritoryType.from_model(row) for row in await loader.load(self.db_id)]

    @strawberry.field(
        description="Every membership, past, current and future, by start date.",
        extensions=[_work_rule(), FirstItems(20)],
    )
    async def memberships(self, info: Info) -> list[TerritoryMembershipType]:
        loader = _batch(info, "technician.memberships", repository.memberships_of)
        return [TerritoryMembershipType.from_model(m) for m in await loader.load(self.db_id)]

    @strawberry.field(
        description="The weekly pattern, Monday first.",
        extensions=[_work_rule(), FirstItems(50)],
    )
    async def working_hours(self, info: Info) -> list[Shift]:
        loader = info.context.loaders.children(WorkingHoursRow, WorkingHoursRow.technician_id)
        rows = await loader.load(self.db_id)
        return [Shift.from_model(r) for r in sorted(rows, key=lambda r: (r.weekday, r.starts_at))]

    @strawberry.field(
        description="Time off that has not ended yet, soonest first.",
        extensions=[personal(), FirstItems(50)],
    )
    async def time_off(self, info: Info) -> list[TimeOffType]:
        async def fetch(session: Any, ids: list[int]) -> Any:
            return await repository.time_off_of(session, ids, ending_after=utcnow())

        rows = await _batch(info, "technician.time_off", fetch).load(self.db_id)
        return [TimeOffType.from_model(row) for row in rows]

    @classmethod
    def from_model(cls, row: Technician) -> TechnicianType:
        assert row.id is not None
        home = GeoPoint.from_value(row.home_base)
        assert home is not None
        return cls(
            db_id=row.id,
            name=row.name,
            email=row.email,
            phone=row.phone,
            employment=row.employment,
            status=row.status,
            external_ref=row.external_ref,
            notes=row.notes,
            home_base=home,
            last_known_location=GeoPoint.from_value(row.last_location),
            last_seen_at=row.last_seen_at,
            cost_per_hour=Money.of(row.cost_per_hour, row.currency),
            cost_per_km=Money.of(row.cost_per_km, row.currency),
            version=row.version,
            created_at=row.created_at,
            archived_at=row.archived_at,
            partner_db_id=row.partner_id,
        )


TechnicianConnection = Connection[TechnicianType]


@strawberry.type
class TechnicianDistance:
    technician: TechnicianType
    distance_meters: float = strawberry.field(
        description=(
            "Great-circle (spheroid) distance from the searched point to the technician's last "
            "known location when it was reported in the last 30 minutes, else to the home base."
        )
    )
    measured_from: DistanceBasis


# --- inputs and payloads ------------------------------------------------------------------


@strawberry.input
class CreateSkillInput:
    code: str
    name: str
    description: str | None = None


@strawberry.input
class UpdateSkillInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


@strawberry.type
class SkillPayload(Payload):
    skill: SkillType | None = None


@strawberry.input(description="A skill by code (e.g. ac_repair) or by Skill ID, with a level 1-5.")
class SkillLevelInput:
    skill: str
    level: int


@strawberry.input
class CreateTechnicianInput:
    name: str
    home_base: GeoPointInput
    email: str | None = None
    phone: str | None = None
    employment: Employment = DomainEmployment.EMPLOYEE  # type: ignore[valid-type]
    partner_id: strawberry.ID | None = None
    status: TechnicianStatus = DomainTechnicianStatus.ACTIVE  # type: ignore[valid-type]
    cost_per_hour: MoneyInput | None = None
    cost_per_km: MoneyInput | None = None
    external_ref: str | None = None
    notes: str | None = None
    skills: list[SkillLevelInput] = strawberry.field(default_factory=list)
    territory_id: strawberry.ID | None = strawberry.field(
        default=None, description="Makes the technician a primary member from today."
    )
    idempotency_key: str | None = None


@strawberry.input
class UpdateTechnicianInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    employment: Employment | None = strawberry.UNSET  # type: ignore[valid-type]
    partner_id: strawberry.ID | None = strawberry.UNSET
    status: TechnicianStatus | None = strawberry.UNSET  # type: ignore[valid-type]
    home_base: GeoPointInput | None = strawberry.UNSET
    cost_per_hour: MoneyInput | None = strawberry.UNSET
    cost_per_km: MoneyInput | None = strawberry.UNSET
    external_ref: str | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    skills: list[SkillLevelInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the whole skill set."
    )


@strawberry.type
class TechnicianPayload(Payload):
    technician: TechnicianType | None = None


@strawberry.input
class AddTerritoryMembershipInput:
    technician_id: strawberry.ID
    territory_id: strawberry.ID
    valid_from: date | None = strawberry.field(
        default=None, description="Defaults to today in the territory's time zone."
    )
    valid_to: date | None = None
    is_primary: bool = True


@strawberry.input
class EndTerritoryMembershipInput:
    id: strawberry.ID
    valid_to: date = strawberry.field(description="The last day the technician belongs to it.")


@strawberry.type
class TerritoryMembershipPayload(Payload):
    membership: TerritoryMembershipType | None = None
    technician: TechnicianType | None = None


@strawberry.input
class ShiftInput:
    weekday: Weekday
    start: time
    end: time = strawberry.field(description="00:00 means until midnight.")


@strawberry.input
class SetWorkingHoursInput:
    technician_id: strawberry.ID
    shifts: list[ShiftInput]
    expected_version: int | None = None


@strawberry.input
class AddTimeOffInput:
    technician_id: strawberry.ID
    start: datetime
    end: datetime
    reason: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class RemoveTimeOffInput:
    id: strawberry.ID


@strawberry.type
class TimeOffPayload(Payload):
    time_off: TimeOffType | None = None
    technician: TechnicianType | None = None
