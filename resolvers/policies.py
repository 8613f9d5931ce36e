"""Operator policies: admins read and change them, dispatchers and managers read them."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.auth import Principal, Role
from app.core.errors import invalid
from app.policies import audit, rules, settings
from app.policies.models import PolicyChange, PolicyKind
from app.service_requests.models import PriorityRule
from resolvers.base import execute
from schema.context import Info
from schema.ids import decode_id
from schema.inputs import provided
from schema.node import register_node
from schema.pagination import paginate
from schema.permissions import allow
from schema.policies import (
    CommunicationPolicy,
    CommunicationPolicyPayload,
    CreatePriorityRuleInput,
    PolicyChangeConnection,
    PolicyChangeType,
    PriorityRulePayload,
    PriorityRules,
    PriorityRuleType,
    SlaPolicy,
    SlaPolicyPayload,
    SlaTarget,
    UpdateCommunicationPolicyInput,
    UpdatePriorityRuleInput,
    UpdateSlaPolicyInput,
    UpdateWorkPolicyInput,
    WorkPolicy,
    WorkPolicyPayload,
)

READERS = (Role.ADMIN, Role.DISPATCHER, Role.MANAGER)
WRITERS = (Role.ADMIN,)


async def _rule(session: AsyncSession, principal: Principal | None, db_id: int) -> Any:
    if principal is None or principal.role not in READERS:
        return None
    return await session.get(PriorityRule, db_id)


async def _change(session: AsyncSession, principal: Principal | None, db_id: int) -> Any:
    if principal is None or principal.role not in READERS:
        return None
    return await session.get(PolicyChange, db_id)


register_node(PriorityRuleType, _rule, PriorityRuleType.from_model)
register_node(PolicyChangeType, _change, PolicyChangeType.from_model)


def _values(input_obj: Any) -> dict[str, Any]:
    return provided(input_obj, exclude=("expected_version", "id"))


async def _sla_policy(session: AsyncSession) -> SlaPolicy:
    family = await audit.current(session, PolicyKind.SLA)
    targets = await rules.sla_targets(session)
    return SlaPolicy(version=family.version, targets=[SlaTarget.from_model(t) for t in targets])


@strawberry.type
class PoliciesQuery:
    @strawberry.field(
        extensions=[allow(*READERS)],
        description=(
            "The operator's work policy (geofence and field rules). Admins, dispatchers and "
            "managers."
        ),
    )
    async def work_policy(self, info: Info) -> WorkPolicy:
        return WorkPolicy.of(await settings.work_policy(info.context.session))

    @strawberry.field(
        extensions=[allow(*READERS)],
        description=(
            "The operator's customer communication policy. Admins, dispatchers and managers."
        ),
    )
    async def communication_policy(self, info: Info) -> CommunicationPolicy:
        return CommunicationPolicy.of(await settings.communication_policy(info.context.session))

    @strawberry.field(
        extensions=[allow(*READERS)],
        description="The SLA targets per priority. Admins, dispatchers and managers.",
    )
    async def sla_policy(self, info: Info) -> SlaPolicy:
        return await _sla_policy(info.context.session)

    @strawberry.field(
        extensions=[allow(*READERS)],
        description=(
            "The rules that set a new request's priority, with their version. Admins, dispatchers "
            "and managers."
        ),
    )
    async def priority_rules(self, info: Info) -> PriorityRules:
        session = info.context.session
        family = await audit.current(session, PolicyKind.PRIORITY_RULES)
        found = await rules.priority_rules(session)
        return PriorityRules(
            version=family.version, rules=[PriorityRuleType.from_model(r) for r in found]
        )

    @strawberry.field(
        extensions=[allow(*READERS)],
        description="Who changed which policy value when, oldest first.",
    )
    async def policy_changes(
        self,
        info: Info,
        kind: Annotated[
            PolicyKind | None,
            strawberry.argument(description="Only changes to this policy; null for all."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> PolicyChangeConnection:
        return await paginate(
            info.context.session,
            audit.changes_statement(kind),
            col(PolicyChange.id),
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=PolicyChangeType.from_model,
        )


@strawberry.type
class PoliciesMutation:
    @strawberry.mutation(
        extensions=[allow(*WRITERS)],
        description=(
            "Change work policy values; only the given fields change and the change is audited. "
            "Admins only."
        ),
    )
    async def update_work_policy(
        self, info: Info, input: UpdateWorkPolicyInput
    ) -> WorkPolicyPayload:
        async def action() -> WorkPolicyPayload:
            update = settings.WorkPolicyUpdate.model_validate(_values(input))
            principal = info.context.require_principal()
            changed = await settings.update_work_policy(
                info.context.session, principal, update, input.expected_version
            )
            return WorkPolicyPayload(work_policy=WorkPolicy.of(changed))

        return await execute(info, WorkPolicyPayload, action)

    @strawberry.mutation(
        extensions=[allow(*WRITERS)],
        description=(
            "Change communication policy values; only the given fields change and the change is "
            "audited. Admins only."
        ),
    )
    async def update_communication_policy(
        self, info: Info, input: UpdateCommunicationPolicyInput
    ) -> CommunicationPolicyPayload:
        async def action() -> CommunicationPolicyPayload:
            update = settings.CommunicationPolicyUpdate.model_validate(_values(input))
            principal = info.context.require_principal()
            changed = await settings.update_communication_policy(
                info.context.session, principal, update, input.expected_version
            )
            return CommunicationPolicyPayload(communication_policy=CommunicationPolicy.of(changed))

        return await execute(info, CommunicationPolicyPayload, action)

    @strawberry.mutation(
        extensions=[allow(*WRITERS)],
        description="Replace the SLA targets; the change is audited. Admins only.",
    )
    async def update_sla_policy(self, info: Info, input: UpdateSlaPolicyInput) -> SlaPolicyPayload:
        async def action() -> SlaPolicyPayload:
            if len(input.targets) > rules.PRIORITY_COUNT:
                raise invalid(
                    f"at most {rules.PRIORITY_COUNT} targets, one per priority", "targets"
                )
            targets = [rules.SlaTarget.model_validate(vars(t)) for t in input.targets]
            session = info.context.session
            await rules.update_sla_targets(
                session, info.context.require_principal(), targets, input.expected_version
            )
            return SlaPolicyPayload(sla_policy=await _sla_policy(session))

        return await execute(info, SlaPolicyPayload, action)

    @strawberry.mutation(
        extensions=[allow(*WRITERS)],
        description="Add a priority rule; the change is audited. Admins only.",
    )
    async def create_priority_rule(
        self, info: Info, input: CreatePriorityRuleInput
    ) -> PriorityRulePayload:
        async def action() -> PriorityRulePayload:
            data = rules.PriorityRuleSet.model_validate(_values(input))
            session = info.context.session
            rule = await rules.create_priority_rule(
                session, info.context.require_principal(), data, input.expected_version
            )
            return await _rule_payload(session, rule)

        return await execute(info, PriorityRulePayload, action)

    @strawberry.mutation(
        extensions=[allow(*WRITERS)],
        description="Change a priority rule; the change is audited. Admins only.",
    )
    async def update_priority_rule(
        self, info: Info, input: UpdatePriorityRuleInput
    ) -> PriorityRulePayload:
        async def action() -> PriorityRulePayload:
            rule_id = decode_id(input.id, "PriorityRule", "id")
            data = rules.PriorityRuleSet.model_validate(_values(input))
            session = info.context.session
            rule = await rules.update_priority_rule(
                session, info.context.require_principal(), rule_id, data, input.expected_version
            )
            return await _rule_payload(session, rule)

        return await execute(info, PriorityRulePayload, action)


async def _rule_payload(session: AsyncSession, rule: PriorityRule) -> PriorityRulePayload:
    family = await audit.current(session, PolicyKind.PRIORITY_RULES)
    return PriorityRulePayload(
        priority_rule=PriorityRuleType.from_model(rule), version=family.version
    )
