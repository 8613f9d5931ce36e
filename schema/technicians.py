"""GraphQL types for skills, technicians, their calendars and proximity results."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
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


@strawberry.type(name="Skill", description="A skill in the catalogue that technicians can hold.")
class SkillType(Node):
    code: str = strawberry.field(
        description="Unique code used to name the skill in filters and inputs, e.g. ac_repair."
    )
    name: str = strawberry.field(description="Display name of the skill.")
    description: str | None = strawberry.field(description="Free-text explanation; null when none.")
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
    skill: SkillType = strawberry.field(description="The skill held.")
    level: int = strawberry.field(description="Proficiency from 1 (basic) to 5 (expert).")


@strawberry.type(description="A weekly shift in the local time of the technician's territory.")
class Shift:
    weekday: Weekday = strawberry.field(description="Day of the week the shift is on.")
    start: time = strawberry.field(description="Local start time of the shift.")
    end: time = strawberry.field(description="00:00 means until midnight.")

    @classmethod
    def from_model(cls, row: WorkingHoursRow) -> Shift:
        end = time(0) if row.ends_at == END_OF_DAY else row.ends_at
        return cls(weekday=Weekday(row.weekday), start=row.starts_at, end=end)


@strawberry.type(name="TimeOff", description="A period when a technician is unavailable.")
class TimeOffType(Node):
    start: datetime = strawberry.field(description="When the absence starts (UTC).")
    end: datetime = strawberry.field(description="When the absence ends (UTC), after start.")
    reason: str | None = strawberry.field(description="Free-text reason; null when none given.")

    @classmethod
    def from_model(cls, row: TimeOff) -> TimeOffType:
        assert row.id is not None
        return cls(db_id=row.id, start=row.starts_at, end=row.ends_at, reason=row.reason)


@strawberry.type(
    name="TerritoryMembership",
    description="A period (whole local days) during which a technician belongs to a territory.",
)
class TerritoryMembershipType(Node):
    territory_db_id: strawberry.Private[int]
    valid_from: date = strawberry.field(
        description="First day included, a date in the territory's time zone."
    )
    valid_to: date | None = strawberry.field(description="Last day included; null: open-ended.")
    is_primary: bool = strawberry.field(
        description="Whether this is the primary territory, whose time zone and holidays govern "
        "the weekly hours."
    )

    @strawberry.field(description="The territory the technician belongs to.")
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


def _internal(**kwargs: Any) -> Any:
    return strawberry.field(extensions=[own_partner(*STAFF)], **kwargs)


@strawberry.type(
    name="Technician",
    description="A field technician; anyone who can see one reads its name and rating, the "
    "other fields are limited to staff, technicians and the employing partner.",
)
class TechnicianType(Node):
    name: str = strawberry.field(description="Full name, shown to customers.")
    email: str | None = _work(description="Work email; null when unknown.")
    phone: str | None = _work(description="Work phone number; null when unknown.")
    employment: Employment = _work(description="Who employs the technician.")  # type: ignore[valid-type]
    status: TechnicianStatus = _work(description="Whether the technician can be given work.")  # type: ignore[valid-type]
    external_ref: str | None = _work(
        description="Unique key of the technician in the HR or partner system; imports match on it."
    )
    notes: str | None = _internal(
        description="Internal notes, for staff and the employing partner only."
    )
    # Position and cost rates are kept as read from the row and turned into objects only when
    # asked: building them for every row of a page (WKB parsing, four objects) was a tenth of
    # a list page's CPU, for fields most pages never ask for.
    home_base_value: strawberry.Private[Any]
    last_location_value: strawberry.Private[Any]
    cost_per_hour_value: strawberry.Private[Decimal | None]
    cost_per_km_value: strawberry.Private[Decimal | None]
    currency: strawberry.Private[str]

    @strawberry.field(
        description="Where the technician starts from; used for distance when not seen lately.",
        extensions=[personal()],
    )
    def home_base(self) -> GeoPoint:
        home = GeoPoint.from_value(self.home_base_value)
        assert home is not None
        return home

    @strawberry.field(
        description="The last position the technician's device reported, at lastSeenAt.",
        extensions=[personal()],
    )
    def last_known_location(self) -> GeoPoint | None:
        return GeoPoint.from_value(self.last_location_value)

    last_seen_at: datetime | None = _personal(
        description="When the device last reported a position (UTC); null if never."
    )

    @strawberry.field(
        description="Internal cost of an hour of work; null when not set.",
        extensions=[own_partner(*STAFF)],
    )
    def cost_per_hour(self) -> Money | None:
        return Money.of(self.cost_per_hour_value, self.currency)

    @strawberry.field(
        description="Internal cost of a kilometre driven; null when not set.",
        extensions=[own_partner(*STAFF)],
    )
    def cost_per_km(self) -> Money | None:
        return Money.of(self.cost_per_km_value, self.currency)

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

    @strawberry.field(
        description="The skills the technician holds, with levels.",
        extensions=[_work_rule(), FirstItems(50)],
    )
    async def skills(self, info: Info) -> list[SkillLevel]:
        pairs = await _batch(info, "technician.skills", repository.skills_of).load(self.db_id)
        return [SkillLevel(skill=SkillType.from_model(s), level=link.level) for link, s in pairs]

    @strawberry.field(
        description="The partner company employing the technician; null for employees.",
        extensions=[_work_rule()],
    )
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
        return cls(
            db_id=row.id,
            name=row.name,
            email=row.email,
            phone=row.phone,
            employment=row.employment,
            status=row.status,
            external_ref=row.external_ref,
            notes=row.notes,
            home_base_value=row.home_base,
            last_location_value=row.last_location,
            last_seen_at=row.last_seen_at,
            cost_per_hour_value=row.cost_per_hour,
            cost_per_km_value=row.cost_per_km,
            currency=row.currency,
            version=row.version,
            created_at=row.created_at,
            archived_at=row.archived_at,
            partner_db_id=row.partner_id,
        )


TechnicianConnection = Connection[TechnicianType]


@strawberry.type(description="A technician found by techniciansNear, with the distance.")
class TechnicianDistance:
    technician: TechnicianType = strawberry.field(description="The technician found.")
    distance_meters: float = strawberry.field(
        description=(
            "Great-circle (spheroid) distance from the searched point to the technician's last "
            "known location when it was reported in the last 30 minutes, else to the home base."
        )
    )
    measured_from: DistanceBasis = strawberry.field(
        description="Which position distanceMeters was measured from."
    )


# --- inputs and payloads ------------------------------------------------------------------


@strawberry.input(description="A new skill for the catalogue.")
class CreateSkillInput:
    code: str = strawberry.field(description="Unique code, e.g. ac_repair; a duplicate is refused.")
    name: str = strawberry.field(description="Display name, 1 to 120 characters.")
    description: str | None = strawberry.field(
        default=None, description="Optional free-text explanation."
    )


@strawberry.input(description="Changes to a skill; omitted fields stay. The code cannot change.")
class UpdateSkillInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.field(default=strawberry.UNSET, description="New display name.")
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="New explanation; null clears it."
    )


@strawberry.type
class SkillPayload(Payload):
    skill: SkillType | None = strawberry.field(
        default=None, description="The skill after the change; null when it failed."
    )


@strawberry.input(description="A skill by code (e.g. ac_repair) or by Skill ID, with a level 1-5.")
class SkillLevelInput:
    skill: str = strawberry.field(description="Skill code or Skill ID.")
    level: int = strawberry.field(description="Proficiency from 1 (basic) to 5 (expert).")


@strawberry.input(description="A new technician.")
class CreateTechnicianInput:
    name: str = strawberry.field(description="Full name, 1 to 200 characters.")
    home_base: GeoPointInput = strawberry.field(description="Where the technician starts from.")
    email: str | None = strawberry.field(default=None, description="Work email.")
    phone: str | None = strawberry.field(default=None, description="Work phone number.")
    employment: Employment = strawberry.field(  # type: ignore[valid-type]
        default=DomainEmployment.EMPLOYEE,
        description="Who employs the technician; PARTNER needs partnerId (a partner caller always "
        "creates PARTNER).",
    )
    partner_id: strawberry.ID | None = None
    status: TechnicianStatus = strawberry.field(  # type: ignore[valid-type]
        default=DomainTechnicianStatus.ACTIVE, description="Initial status."
    )
    cost_per_hour: MoneyInput | None = strawberry.field(
        default=None, description="Internal hourly cost; same currency as costPerKm."
    )
    cost_per_km: MoneyInput | None = strawberry.field(
        default=None, description="Internal cost per kilometre; same currency as costPerHour."
    )
    external_ref: str | None = strawberry.field(
        default=None, description="Unique key in the HR or partner system."
    )
    notes: str | None = strawberry.field(
        default=None, description="Internal notes for staff and the employing partner."
    )
    skills: list[SkillLevelInput] = strawberry.field(
        default_factory=list, description="Skills with levels; each skill at most once."
    )
    territory_id: strawberry.ID | None = strawberry.field(
        default=None, description="Makes the technician a primary member from today."
    )
    idempotency_key: str | None = None


@strawberry.input(description="Changes to a technician; omitted fields stay as they are.")
class UpdateTechnicianInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.field(default=strawberry.UNSET, description="New full name.")
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="New work email; null clears it."
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET, description="New work phone; null clears it."
    )
    employment: Employment | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET,
        description="New employer kind; partners cannot make their technicians EMPLOYEE.",
    )
    partner_id: strawberry.ID | None = strawberry.UNSET
    status: TechnicianStatus | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="New status."
    )
    home_base: GeoPointInput | None = strawberry.field(
        default=strawberry.UNSET, description="New home base."
    )
    cost_per_hour: MoneyInput | None = strawberry.field(
        default=strawberry.UNSET, description="New hourly cost; null clears it."
    )
    cost_per_km: MoneyInput | None = strawberry.field(
        default=strawberry.UNSET, description="New cost per kilometre; null clears it."
    )
    external_ref: str | None = strawberry.field(
        default=strawberry.UNSET, description="New HR or partner system key; null clears it."
    )
    notes: str | None = strawberry.field(
        default=strawberry.UNSET, description="New internal notes; null clears them."
    )
    skills: list[SkillLevelInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the whole skill set."
    )


@strawberry.type
class TechnicianPayload(Payload):
    technician: TechnicianType | None = strawberry.field(
        default=None, description="The technician after the change; null when it failed."
    )


@strawberry.input(description="A period during which a technician belongs to a territory.")
class AddTerritoryMembershipInput:
    technician_id: strawberry.ID
    territory_id: strawberry.ID
    valid_from: date | None = strawberry.field(
        default=None, description="Defaults to today in the territory's time zone."
    )
    valid_to: date | None = strawberry.field(
        default=None, description="Last day included; null for open-ended."
    )
    is_primary: bool = strawberry.field(
        default=True,
        description="Primary membership; two primary periods of one technician may not overlap.",
    )


@strawberry.input(description="Ends (shortens) a territory membership.")
class EndTerritoryMembershipInput:
    id: strawberry.ID
    valid_to: date = strawberry.field(description="The last day the technician belongs to it.")


@strawberry.type
class TerritoryMembershipPayload(Payload):
    membership: TerritoryMembershipType | None = strawberry.field(
        default=None, description="The membership after the change; null when it failed."
    )
    technician: TechnicianType | None = strawberry.field(
        default=None, description="The technician the membership belongs to."
    )


@strawberry.input(description="A weekly shift in the local time of the primary territory.")
class ShiftInput:
    weekday: Weekday = strawberry.field(description="Day of the week.")
    start: time = strawberry.field(description="Local start time.")
    end: time = strawberry.field(description="00:00 means until midnight.")


@strawberry.input(description="A technician's full weekly pattern.")
class SetWorkingHoursInput:
    technician_id: strawberry.ID
    shifts: list[ShiftInput] = strawberry.field(
        description="All shifts of the week; an empty list clears the pattern."
    )
    expected_version: int | None = None


@strawberry.input(description="An absence of a technician.")
class AddTimeOffInput:
    technician_id: strawberry.ID
    start: datetime = strawberry.field(
        description="When the absence starts (with offset; stored in UTC)."
    )
    end: datetime = strawberry.field(description="When it ends; must be after start.")
    reason: str | None = strawberry.field(default=None, description="Optional free-text reason.")
    idempotency_key: str | None = None


@strawberry.input(description="A time off entry to delete.")
class RemoveTimeOffInput:
    id: strawberry.ID


@strawberry.type
class TimeOffPayload(Payload):
    time_off: TimeOffType | None = strawberry.field(
        default=None, description="The time off added; null after a removal or a failure."
    )
    technician: TechnicianType | None = strawberry.field(
        default=None, description="The technician concerned."
    )
