"""GraphQL types for service plans, their planned visits and contract entitlement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import strawberry
from sqlmodel import col
from strawberry.dataloader import DataLoader

from app.assets.models import Asset
from app.contracts.models import Contract
from app.customers.models import Site
from app.inspections.models import ChecklistTemplate
from app.service_plans import models, repository, service
from app.service_plans.models import PlannedVisit, ServicePlan
from app.technicians.models import Technician
from schema.assets import AssetType
from schema.context import Info
from schema.contracts import ContractType
from schema.customers import SiteType
from schema.errors import Payload
from schema.inspections import ChecklistTemplateType
from schema.node import Node
from schema.pagination import Connection, FirstItems
from schema.permissions import staff
from schema.task_access import task_by_id
from schema.technicians import TechnicianType
from schema.work_orders import TaskKind, TaskType

PlanTarget = strawberry.enum(models.PlanTarget, name="PlanTarget")
PlanFrequency = strawberry.enum(models.PlanFrequency, name="PlanFrequency")
HolidayPolicy = strawberry.enum(models.HolidayPolicy, name="HolidayPolicy")
VisitStatus = strawberry.enum(models.VisitStatus, name="PlannedVisitStatus")


def _readable_plan(info: Info) -> DataLoader[int, ServicePlan | None]:
    context = info.context

    async def load(ids: Sequence[int]) -> list[ServicePlan | None]:
        statement = repository.readable_plans(context.principal).where(col(ServicePlan.id).in_(ids))
        found = {row.id: row for row in (await context.session.scalars(statement)).all()}
        return [found.get(i) for i in ids]

    return context.loaders.custom("readable-plan", load)


@strawberry.type(name="PlanSkill", description="A skill a plan's visits need, at a level.")
class PlanSkill:
    code: str = strawberry.field(description="Skill code, e.g. HVAC.")
    min_level: int = strawberry.field(description="Lowest level accepted, 1 to 5.")


@strawberry.type(
    name="ServicePlan",
    description=(
        "A recurring visit a contract promises: what is visited, how often (a recurrence "
        "rule), the tolerance window around each due date, and the work each visit needs."
    ),
)
class ServicePlanType(Node):
    name: str = strawberry.field(description="What the plan is called, e.g. Quarterly AC service.")
    visit_type: TaskKind = strawberry.field(  # type: ignore[valid-type]
        description="Type of the tasks the visits become: PREVENTIVE, INSPECTION or MAINTENANCE."
    )
    target: PlanTarget = strawberry.field(  # type: ignore[valid-type]
        description="Whether listed assets, one site or every covered asset is visited."
    )
    frequency: PlanFrequency = strawberry.field(  # type: ignore[valid-type]
        description="Base period of the recurrence."
    )
    interval: int = strawberry.field(description="Every how many periods (weeks, months, years).")
    by_months: list[int] = strawberry.field(
        description="Only in these months (1..12); empty: any month the interval reaches."
    )
    month_day: int | None = strawberry.field(
        description=(
            "Day of the month (1..31, -1 the last); a month without that day uses its last "
            "day. Null: the start date's day."
        )
    )
    weekday: int | None = strawberry.field(
        description="Weekday (0 Monday .. 6 Sunday), alone or with `weekOfMonth`."
    )
    week_of_month: int | None = strawberry.field(
        description="With `weekday`, the nth weekday of the month (1..5, -1 the last)."
    )
    starts_on: date = strawberry.field(description="First day of the recurrence.")
    ends_on: date | None = strawberry.field(
        description="Last day visits may fall due; null: the contract's end."
    )
    tolerance_before_days: int = strawberry.field(
        description="Days before the due date the visit may be done (window start)."
    )
    tolerance_after_days: int = strawberry.field(
        description="Days after the due date the visit may be done (window end)."
    )
    duration_minutes: int = strawberry.field(description="Planned length of each visit.")
    required_skills: list[PlanSkill] = strawberry.field(
        extensions=[FirstItems(20)], description="Skills the visits need, at a minimum level."
    )
    checklist_template_id: int | None = strawberry.field(
        description="Database id of the inspection checklist template the visit is filled on "
        "(read `checklistTemplate` for the template itself)."
    )
    holiday_policy: HolidayPolicy = strawberry.field(  # type: ignore[valid-type]
        description="Where a due date on a holiday or non-working day moves."
    )
    non_working_weekdays: list[int] = strawberry.field(
        description="Weekdays not worked (0 Monday .. 6 Sunday), on top of territory holidays."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    row: strawberry.Private[ServicePlan]

    @classmethod
    def from_model(cls, row: ServicePlan) -> ServicePlanType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            name=row.name,
            visit_type=row.visit_type,
            target=row.target,
            frequency=row.frequency,
            interval=row.interval,
            by_months=list(row.by_months),
            month_day=row.month_day,
            weekday=row.weekday,
            week_of_month=row.week_of_month,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            tolerance_before_days=row.tolerance_before_days,
            tolerance_after_days=row.tolerance_after_days,
            duration_minutes=row.duration_minutes,
            required_skills=[
                PlanSkill(code=s["code"], min_level=s.get("min_level", 1))
                for s in row.required_skills
            ],
            checklist_template_id=row.checklist_template_id,
            holiday_policy=row.holiday_policy,
            non_working_weekdays=list(row.non_working_weekdays),
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            archived_at=row.archived_at,
            row=row,
        )

    @strawberry.field(description="The contract the plan belongs to.")
    async def contract(self, info: Info) -> ContractType:
        row = await info.context.loaders.by_id(Contract).load(self.row.contract_id)
        assert row is not None
        return ContractType.from_model(row)

    @strawberry.field(
        description="The inspection checklist the visits are filled on; null: the default "
        "checklist of the visit's task type."
    )
    async def checklist_template(self, info: Info) -> ChecklistTemplateType | None:
        if self.row.checklist_template_id is None:
            return None
        row = await info.context.loaders.by_id(ChecklistTemplate).load(
            self.row.checklist_template_id
        )
        return ChecklistTemplateType.from_model(row) if row else None

    @strawberry.field(description="The site a SITE plan visits; null for other targets.")
    async def site(self, info: Info) -> SiteType | None:
        if self.row.site_id is None:
            return None
        row = await info.context.loaders.by_id(Site).load(self.row.site_id)
        return SiteType.from_model(row) if row else None

    @strawberry.field(
        extensions=[FirstItems(50)],
        description="The assets an ASSETS plan lists; empty for other targets.",
    )
    async def assets(self, info: Info) -> list[AssetType]:
        rows = await info.context.loaders.by_id(Asset).load_many(self.row.asset_ids)
        return [AssetType.from_model(r) for r in rows if r is not None]

    @strawberry.field(
        extensions=[staff()], description="The technician the visits are offered to first."
    )
    async def preferred_technician(self, info: Info) -> TechnicianType | None:
        if self.row.preferred_technician_id is None:
            return None
        row = await info.context.loaders.by_id(Technician).load(self.row.preferred_technician_id)
        return TechnicianType.from_model(row) if row else None


@strawberry.type(
    name="PlannedVisit",
    description=(
        "One visit a service plan generated for one asset or site and due date; its task "
        "enters dispatch like any other, with the tolerance window as its time window."
    ),
)
class PlannedVisitType(Node):
    due_on: date = strawberry.field(description="The date the plan's recurrence gave.")
    visit_on: date = strawberry.field(
        description="The due date moved off holidays and non-working days per the plan."
    )
    window_start: datetime = strawberry.field(description="Earliest time the visit may start.")
    window_end: datetime = strawberry.field(description="Time by which the visit must be done.")
    status: VisitStatus = strawberry.field(  # type: ignore[valid-type]
        description="Planned, done, missed or cancelled."
    )
    cancel_reason: str | None = strawberry.field(description="Why it was cancelled, if it was.")
    created_at: datetime
    closed_at: datetime | None = strawberry.field(
        description="When it became done, missed or cancelled; null while planned."
    )
    row: strawberry.Private[PlannedVisit]

    @classmethod
    def from_model(cls, row: PlannedVisit) -> PlannedVisitType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            due_on=row.due_on,
            visit_on=row.visit_on,
            window_start=row.window_start,
            window_end=row.window_end,
            status=row.status,
            cancel_reason=row.cancel_reason,
            created_at=row.created_at,
            closed_at=row.closed_at,
            row=row,
        )

    @strawberry.field(
        description="The plan that generated the visit; null for a caller who may not read "
        "plans (a technician or partner sees the visit through its task)."
    )
    async def plan(self, info: Info) -> ServicePlanType | None:
        row = await _readable_plan(info).load(self.row.plan_id)
        return ServicePlanType.from_model(row) if row else None

    @strawberry.field(description="The contract the visit is owed under.")
    async def contract(self, info: Info) -> ContractType:
        row = await info.context.loaders.by_id(Contract).load(self.row.contract_id)
        assert row is not None
        return ContractType.from_model(row)

    @strawberry.field(description="The site visited.")
    async def site(self, info: Info) -> SiteType:
        row = await info.context.loaders.by_id(Site).load(self.row.site_id)
        assert row is not None
        return SiteType.from_model(row)

    @strawberry.field(description="The asset visited; null for a site visit.")
    async def asset(self, info: Info) -> AssetType | None:
        if self.row.asset_id is None:
            return None
        row = await info.context.loaders.by_id(Asset).load(self.row.asset_id)
        return AssetType.from_model(row) if row else None

    @strawberry.field(
        description="The field task doing the visit (confirm or reschedule it as any task)."
    )
    async def task(self, info: Info) -> TaskType | None:
        if self.row.task_id is None:
            return None
        row = await task_by_id(info).load(self.row.task_id)
        return TaskType.from_model(row) if row else None


@strawberry.type(
    name="ContractEntitlement",
    description="How a contract's included visits are used: done, missed and still owed.",
)
class ContractEntitlementType:
    included: int = strawberry.field(
        description=(
            "Visits the contract includes: visits per year pro rata over its period, or, "
            "without that figure, the visits its plans generated."
        )
    )
    planned: int = strawberry.field(description="Generated visits still to be done.")
    done: int = strawberry.field(description="Visits completed.")
    missed: int = strawberry.field(description="Visits whose window passed without completion.")
    cancelled: int = strawberry.field(description="Visits cancelled.")
    remaining: int = strawberry.field(description="Included visits not done yet (never below 0).")
    contract_db_id: strawberry.Private[int]

    @classmethod
    def from_value(cls, value: service.Entitlement) -> ContractEntitlementType:
        return cls(
            included=value.included,
            planned=value.planned,
            done=value.done,
            missed=value.missed,
            cancelled=value.cancelled,
            remaining=value.remaining,
            contract_db_id=value.contract_id,
        )

    @strawberry.field(description="The contract.")
    async def contract(self, info: Info) -> ContractType:
        row = await info.context.loaders.by_id(Contract).load(self.contract_db_id)
        assert row is not None
        return ContractType.from_model(row)


ServicePlanConnection = Connection[ServicePlanType]
PlannedVisitConnection = Connection[PlannedVisitType]


@strawberry.input(description="A skill the visits need, at a minimum level.")
class PlanSkillInput:
    code: str = strawberry.field(description="Skill code.")
    min_level: int = strawberry.field(default=1, description="Lowest level accepted, 1 to 5.")


@strawberry.input(description="The recurrence and work of a plan; see ServicePlan's fields.")
class ServicePlanFieldsInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Plan name.")
    visit_type: TaskKind | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET,
        description="PREVENTIVE (the default), INSPECTION or MAINTENANCE.",
    )
    target: PlanTarget | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="What is visited."
    )
    site_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The site of a SITE plan (the contract customer's)."
    )
    asset_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET, description="The assets of an ASSETS plan (up to 500)."
    )
    frequency: PlanFrequency | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="Base period."
    )
    interval: int | None = strawberry.field(
        default=strawberry.UNSET, description="Every how many periods, 1 to 120 (default 1)."
    )
    by_months: list[int] | None = strawberry.field(
        default=strawberry.UNSET, description="Only in these months (1..12)."
    )
    month_day: int | None = strawberry.field(
        default=strawberry.UNSET, description="Day of the month, 1..31 or -1 (last)."
    )
    weekday: int | None = strawberry.field(
        default=strawberry.UNSET, description="Weekday, 0 Monday .. 6 Sunday."
    )
    week_of_month: int | None = strawberry.field(
        default=strawberry.UNSET, description="Nth weekday: 1..5 or -1 (last)."
    )
    starts_on: date | None = strawberry.field(
        default=strawberry.UNSET, description="First day (default: today or the contract start)."
    )
    ends_on: date | None = strawberry.field(
        default=strawberry.UNSET, description="Last day; null: the contract's end."
    )
    tolerance_before_days: int | None = strawberry.field(
        default=strawberry.UNSET, description="Days allowed before the due date, 0 to 90."
    )
    tolerance_after_days: int | None = strawberry.field(
        default=strawberry.UNSET, description="Days allowed after the due date, 0 to 90."
    )
    duration_minutes: int | None = strawberry.field(
        default=strawberry.UNSET, description="Length of a visit, 5 to 1440 minutes."
    )
    required_skills: list[PlanSkillInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Skills the visits need."
    )
    preferred_technician_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Technician the visits go to first."
    )
    checklist_template_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="The inspection checklist (a ChecklistTemplate ID) the visits are filled on; "
        "null: the default checklist of the visit's task type.",
    )
    holiday_policy: HolidayPolicy | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="Where a due date on a day off moves."
    )
    non_working_weekdays: list[int] | None = strawberry.field(
        default=strawberry.UNSET, description="Weekdays not worked (default: Sunday, 6)."
    )


@strawberry.input(description="A new service plan on a contract.")
class CreateServicePlanInput(ServicePlanFieldsInput):
    contract_id: strawberry.ID = strawberry.field(description="The contract.")
    idempotency_key: str | None = None


@strawberry.input(
    description=(
        "Change a plan: its visits from today whose task was not dispatched are remade; the "
        "others keep what they were given."
    )
)
class UpdateServicePlanInput(ServicePlanFieldsInput):
    id: strawberry.ID = strawberry.field(description="The plan.")
    expected_version: int | None = None


@strawberry.input(
    description="End or terminate a contract on a day; its later visits not started cancel."
)
class EndContractInput:
    contract_id: strawberry.ID = strawberry.field(description="The contract.")
    ends_on: date = strawberry.field(
        description="Its new last day, within its period (today to terminate now)."
    )
    reason: str = strawberry.field(description="Why it ends; given to the cancelled visits.")
    expected_version: int | None = None


@strawberry.input(description="Run visit generation now instead of waiting for the job.")
class GeneratePlannedVisitsInput:
    plan_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this plan; null: every plan."
    )
    horizon_days: int | None = strawberry.field(
        default=None,
        description="Days ahead, 1 up to the configured horizon (more counts as the horizon); "
        "null: the configured horizon.",
    )


@strawberry.type(description="The result of a service plan change.")
class ServicePlanPayload(Payload):
    plan: ServicePlanType | None = strawberry.field(
        default=None, description="The plan as saved; null when the change failed."
    )


@strawberry.type(description="The result of ending a contract.")
class EndContractPayload(Payload):
    contract: ContractType | None = strawberry.field(
        default=None, description="The contract as saved; null when the change failed."
    )
    cancelled_visits: int = strawberry.field(
        default=0, description="How many later planned visits were cancelled."
    )


@strawberry.type(description="What a generation round did.")
class GeneratePlannedVisitsPayload(Payload):
    plans: int = strawberry.field(default=0, description="Plans looked at.")
    due: int = strawberry.field(default=0, description="Visits due within the horizon.")
    created: int = strawberry.field(default=0, description="Visits created (the others existed).")
