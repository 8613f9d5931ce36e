"""Expense claims over GraphQL."""

from __future__ import annotations

import strawberry

from app.core.auth import Role
from app.expenses import service
from app.expenses.models import ExpenseClaim, ExpenseClaimCreate
from resolvers.base import execute
from schema.context import Info
from schema.expenses import (
    DecideExpenseClaimInput,
    ExpenseClaimConnection,
    ExpenseClaimPayload,
    ExpenseClaimType,
    SubmitExpenseClaimInput,
)
from schema.ids import decode_id, decode_optional_id
from schema.inputs import provided
from schema.node import register_node
from schema.pagination import paginate
from schema.permissions import allow, staff

register_node(ExpenseClaimType, service.get_readable, ExpenseClaimType.from_model)

APPROVERS = (Role.DISPATCHER, Role.AGENT, Role.MANAGER, Role.ADMIN)


@strawberry.type
class ExpensesQuery:
    @strawberry.field(
        extensions=[allow(*staff().roles, Role.TECHNICIAN, Role.PARTNER)],
        description=(
            "Expense claims the caller may see: staff all, a technician their own, a partner its "
            "technicians'."
        ),
    )
    async def expense_claims(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ExpenseClaimConnection:
        return await paginate(
            info.context.session,
            service.readable(info.context.principal),
            ExpenseClaim.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=ExpenseClaimType.from_model,
        )


@strawberry.type
class ExpensesMutation:
    @strawberry.mutation(
        extensions=[allow(Role.TECHNICIAN, *staff().roles)],
        description=(
            "File an expense claim: a technician for themselves, staff for any technician; the "
            "task, if given, must be the technician's."
        ),
    )
    async def submit_expense_claim(
        self, info: Info, input: SubmitExpenseClaimInput
    ) -> ExpenseClaimPayload:
        async def action() -> ExpenseClaimPayload:
            values = provided(input, exclude=("technician_id", "task_id", "idempotency_key"))
            values["technician_id"] = decode_optional_id(
                input.technician_id, "Technician", "technicianId"
            )
            values["task_id"] = decode_optional_id(input.task_id, "Task", "taskId")
            data = ExpenseClaimCreate.model_validate(values)
            claim = await service.submit_claim(
                info.context.session, info.context.require_principal(), data
            )
            return ExpenseClaimPayload(claim=ExpenseClaimType.from_model(claim))

        return await execute(
            info, ExpenseClaimPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(*APPROVERS)],
        description=(
            "Approve a SUBMITTED claim; the caller's role must rank at least the claim's "
            "approverRole (DISPATCHER and AGENT < MANAGER < ADMIN)."
        ),
    )
    async def approve_expense_claim(
        self, info: Info, input: DecideExpenseClaimInput
    ) -> ExpenseClaimPayload:
        return await _decide(info, input, approve=True)

    @strawberry.mutation(
        extensions=[allow(*APPROVERS)],
        description=(
            "Reject a SUBMITTED claim with a reason (dispatchers, agents, managers, admins)."
        ),
    )
    async def reject_expense_claim(
        self, info: Info, input: DecideExpenseClaimInput
    ) -> ExpenseClaimPayload:
        return await _decide(info, input, approve=False)


async def _decide(
    info: Info, input: DecideExpenseClaimInput, *, approve: bool
) -> ExpenseClaimPayload:
    async def action() -> ExpenseClaimPayload:
        claim = await service.decide_claim(
            info.context.session,
            info.context.require_principal(),
            decode_id(input.claim_id, "ExpenseClaim", "claimId"),
            approve,
            input.reason,
        )
        return ExpenseClaimPayload(claim=ExpenseClaimType.from_model(claim))

    return await execute(info, ExpenseClaimPayload, action)
