"""Service plan and planned visit queries and mutations."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry

from app.contracts import repository as contracts
from app.core.auth import Role
from app.core.models import utcnow
from app.service_plans import generation, repository, service
from app.service_plans.models import (
    PlannedVisit,
    ServicePlan,
    ServicePlanCreate,
    ServicePlanFields,
    VisitStatus,
)
from app.work_orders.transitions import Actor
from resolvers.base import execute
from schema.context import Info
from schema.contracts import ContractType
from schema.ids import decode_id, decode_ids, decode_optional_id
from schema.inputs import ArchiveInput, provided
from schema.node import register_node
from schema.pagination import paginate
from schema.permissions import allow, authenticated
from schema.service_plans import (
    ContractEntitlementType,
    CreateServicePlanInput,
    EndContractInput,
    EndContractPayload,
    GeneratePlannedVisitsInput,
    GeneratePlannedVisitsPayload,
    PlannedVisitConnection,
    PlannedVisitType,
    ServicePlanConnection,
    ServicePlanPayload,
    ServicePlanType,
    UpdateServicePlanInput,
)
from schema.service_plans import VisitStatus as VisitStatusEnum

register_node(ServicePlanType, repository.get_plan, ServicePlanType.from_model)
register_node(PlannedVisitType, repository.get_visit, PlannedVisitType.from_model)

PLAN_WRITERS = (Role.ADMIN, Role.MANAGER)


def _plan_values(values: dict[str, Any]) -> dict[str, Any]:
    if values.get("site_id") is not None:
        values["site_id"] = decode_id(values["site_id"], "Site", "siteId")
    if values.get("asset_ids") is not None:
        values["asset_ids"] = decode_ids(values["asset_ids"], "Asset", "assetIds")
    if values.get("preferred_technician_id") is not None:
        values["preferred_technician_id"] = decode_id(
            values["preferred_technician_id"], "Technician", "preferredTechnicianId"
        )
    if values.get("checklist_template_id") is not None:
        values["checklist_template_id"] = decode_id(
            values["checklist_template_id"], "ChecklistTemplate", "checklistTemplateId"
        )
    if values.get("required_skills") is not None:
        values["required_skills"] = [
            {"code": s.code, "min_level": s.min_level} for s in values["required_skills"]
        ]
    return values


def _horizon(info: Info) -> int:
    return info.context.settings.service_plan_horizon_days


@strawberry.type
class ServicePlansQuery:
    @strawberry.field(
        extensions=[authenticated()],
        description="Service plans staff may see, or a customer's own; oldest first.",
    )
    async def service_plans(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        contract_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this contract's plans.")
        ] = None,
        include_archived: bool = False,
    ) -> ServicePlanConnection:
        statement = repository.listed_plans(
            info.context.principal,
            contract_id=decode_optional_id(contract_id, "Contract", "contractId"),
            include_archived=include_archived,
        )
        return await paginate(
            info.context.session,
            statement,
            ServicePlan.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=ServicePlanType.from_model,
        )

    @strawberry.field(
        extensions=[authenticated()],
        description=(
            "Planned visits the caller may see (staff all; a customer its own; a technician or "
            "partner those whose task is theirs), by visit day."
        ),
    )
    async def planned_visits(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        from_: Annotated[
            date | None,
            strawberry.argument(name="from", description="Visit day from (inclusive)."),
        ] = None,
        to: Annotated[
            date | None, strawberry.argument(description="Visit day to (inclusive).")
        ] = None,
        territory_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this territory's.")
        ] = None,
        contract_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this contract's.")
        ] = None,
        status: Annotated[
            list[VisitStatusEnum] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only visits in these statuses."),
        ] = None,
    ) -> PlannedVisitConnection:
        statement = repository.listed_visits(
            info.context.principal,
            since=from_,
            until=to,
            territory_id=decode_optional_id(territory_id, "Territory", "territoryId"),
            contract_id=decode_optional_id(contract_id, "Contract", "contractId"),
            statuses=[VisitStatus(s) for s in status or []],
        )
        return await paginate(
            info.context.session,
            statement,
            PlannedVisit.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=PlannedVisitType.from_model,
        )

    @strawberry.field(
        extensions=[authenticated()],
        description=(
            "A contract's visit entitlement: included, done, missed, remaining (staff, or "
            "the customer holding it); null when the contract is not readable."
        ),
    )
    async def contract_entitlement(
        self, info: Info, contract_id: strawberry.ID
    ) -> ContractEntitlementType | None:
        principal = info.context.principal
        if principal is None or not (principal.is_staff or principal.role is Role.CUSTOMER):
            return None
        db_id = decode_id(contract_id, "Contract", "contractId")
        if await contracts.get_readable(info.context.session, principal, db_id) is None:
            return None
        (value,) = await service.entitlements(info.context.session, [db_id])
        return ContractEntitlementType.from_value(value)


@strawberry.type
class ServicePlansMutation:
    @strawberry.mutation(
        extensions=[allow(*PLAN_WRITERS)],
        description=(
            "Add a service plan to a contract (admins and managers); its visits over the "
            "horizon are generated at once."
        ),
    )
    async def create_service_plan(
        self, info: Info, input: CreateServicePlanInput
    ) -> ServicePlanPayload:
        async def action() -> ServicePlanPayload:
            values = _plan_values(provided(input, exclude=("idempotency_key", "contract_id")))
            values["contract_id"] = decode_id(input.contract_id, "Contract", "contractId")
            plan = await service.create_plan(
                info.context.session,
                ServicePlanCreate.model_validate(values),
                utcnow().date(),
                _horizon(info),
            )
            return ServicePlanPayload(plan=ServicePlanType.from_model(plan))

        return await execute(
            info, ServicePlanPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(*PLAN_WRITERS)],
        description=(
            "Change a plan (admins and managers): visits from today not yet dispatched are "
            "remade to the new terms; dispatched, started and past ones are left as they are."
        ),
    )
    async def update_service_plan(
        self, info: Info, input: UpdateServicePlanInput
    ) -> ServicePlanPayload:
        async def action() -> ServicePlanPayload:
            values = _plan_values(provided(input, exclude=("id", "expected_version")))
            plan = await service.update_plan(
                info.context.session,
                Actor.of(info.context.require_principal()),
                decode_id(input.id, "ServicePlan"),
                ServicePlanFields.model_validate(values),
                input.expected_version,
                utcnow().date(),
                _horizon(info),
            )
            return ServicePlanPayload(plan=ServicePlanType.from_model(plan))

        return await execute(info, ServicePlanPayload, action)

    @strawberry.mutation(
        extensions=[allow(*PLAN_WRITERS)],
        description="Stop a plan: its visits from today not yet dispatched are cancelled.",
    )
    async def archive_service_plan(self, info: Info, input: ArchiveInput) -> ServicePlanPayload:
        async def action() -> ServicePlanPayload:
            plan = await service.archive_plan(
                info.context.session,
                Actor.of(info.context.require_principal()),
                decode_id(input.id, "ServicePlan"),
                input.expected_version,
                utcnow().date(),
            )
            return ServicePlanPayload(plan=ServicePlanType.from_model(plan))

        return await execute(info, ServicePlanPayload, action)

    @strawberry.mutation(
        extensions=[allow(*PLAN_WRITERS)],
        description=(
            "End or terminate a contract on a day (admins and managers): planned visits after "
            "it whose technician has not set off are cancelled with the reason."
        ),
    )
    async def end_contract(self, info: Info, input: EndContractInput) -> EndContractPayload:
        async def action() -> EndContractPayload:
            contract, cancelled = await service.end_contract(
                info.context.session,
                Actor.of(info.context.require_principal()),
                decode_id(input.contract_id, "Contract", "contractId"),
                input.ends_on,
                input.reason.strip()[:400] or "no reason given",
                input.expected_version,
            )
            return EndContractPayload(
                contract=ContractType.from_model(contract), cancelled_visits=cancelled
            )

        return await execute(info, EndContractPayload, action)

    @strawberry.mutation(
        extensions=[allow(*PLAN_WRITERS)],
        description=(
            "Generate planned visits now (admins and managers), at most the configured horizon "
            "ahead; the job does it every 15 minutes. Rerunning creates nothing new."
        ),
    )
    async def generate_planned_visits(
        self, info: Info, input: GeneratePlannedVisitsInput
    ) -> GeneratePlannedVisitsPayload:
        async def action() -> GeneratePlannedVisitsPayload:
            plan = decode_optional_id(input.plan_id, "ServicePlan", "planId")
            horizon = min(max(input.horizon_days or _horizon(info), 1), _horizon(info))
            counts = await generation.generate(
                info.context.session,
                utcnow().date(),
                horizon,
                plan_ids=None if plan is None else [plan],
            )
            return GeneratePlannedVisitsPayload(
                plans=counts["plans"], due=counts["due"], created=counts["created"]
            )

        return await execute(info, GeneratePlannedVisitsPayload, action)
