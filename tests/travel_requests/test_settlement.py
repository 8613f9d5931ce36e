"""A paid-out advance settles against the technician's approved expense claims for the task:
more spent is owed to the technician, less is recovered; a manager or admin records the
payout, and may settle at once when no claim waits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.models import utcnow
from app.work_orders.models import Task
from tests.support import GraphQLClient, error_codes
from tests.travel_requests.factories import (
    CANCEL,
    PAY_OUT,
    SETTLE,
    accepted_task,
    gid,
    policy,
    requested,
    technician,
)
from tests.work_orders import factories as wf

SUBMIT = """
mutation($input: SubmitExpenseClaimInput!) { submitExpenseClaim(input: $input) {
  claim { id status } userErrors { code } } }
"""
APPROVE_CLAIM = """
mutation($input: DecideExpenseClaimInput!) { approveExpenseClaim(input: $input) {
  claim { id status } userErrors { code } } }
"""
READ = """
query($id: ID!) { travelRequest(id: $id) { settlementStatus advancePaidAt settledAt
  advance { amount } claimed { amount } balance { amount currency } version } }
"""


async def claim(gql: GraphQLClient, w: wf.World, task_id: int | None, amount: str) -> str:
    payload = await technician(gql, w.technician).mutate(
        SUBMIT,
        {
            "category": "PUBLIC_TRANSPORT",
            "amount": amount,
            "incurredOn": utcnow().date().isoformat(),
            "taskId": gid("Task", task_id),
        },
    )
    assert payload["userErrors"] == []
    claim_id: str = payload["claim"]["id"]
    return claim_id


async def approve_claim(gql: GraphQLClient, claim_id: str) -> None:
    payload = await gql.as_role(Role.MANAGER).mutate(APPROVE_CLAIM, {"claimId": claim_id})
    assert payload["userErrors"] == [] and payload["claim"]["status"] == "APPROVED"


async def paid_out(gql: GraphQLClient, w: wf.World, task: Task, **kw: Any) -> Any:
    """An approved request with a 2,000 advance, paid out by a manager."""
    request = await requested(gql, task, w.technician, **kw)
    if request["status"] == "PENDING_APPROVAL":
        done = await gql.as_role(Role.ADMIN).mutate(
            """mutation($input: ApproveTravelRequestInput!) { approveTravelRequest(input: $input)
            { userErrors { code } } }""",
            {"requestId": request["id"]},
        )
        assert done["userErrors"] == []
    payload = await gql.as_role(Role.MANAGER).mutate(
        PAY_OUT, {"requestId": request["id"], "idempotencyKey": f"pay-{request['id']}"}
    )
    assert payload["userErrors"] == [], payload["userErrors"]
    assert payload["request"]["settlementStatus"] in ("PAID_OUT", "SETTLED")
    return payload["request"]


async def test_claims_above_the_advance_leave_a_balance_owed_to_the_technician(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given an approved request with a 2,000 advance paid out
    w = await wf.world(session)
    await policy(session)
    task = await accepted_task(session, w)
    request = await paid_out(gql, w, task)
    tech = technician(gql, w.technician)

    # when the technician claims 1,500 and 900 for the task and the first is approved
    first, second = await claim(gql, w, task.id, "1500.00"), await claim(gql, w, task.id, "900.00")
    await approve_claim(gql, first)

    # then it is not settled while the second claim waits
    shown = (await tech(READ, {"id": request["id"]}))["travelRequest"]
    assert shown["settlementStatus"] == "PAID_OUT" and shown["balance"] is None

    # when the second is approved too, it settles: 400 is owed to the technician
    await approve_claim(gql, second)
    shown = (await tech(READ, {"id": request["id"]}))["travelRequest"]
    assert shown["settlementStatus"] == "SETTLED" and shown["settledAt"] is not None
    assert shown["claimed"] == {"amount": "2400.00"}
    assert shown["balance"] == {"amount": "400.00", "currency": "INR"}


async def test_claims_below_the_advance_leave_a_balance_to_recover(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await wf.world(session)
    await policy(session)
    task = await accepted_task(session, w)
    # a claim approved before the payout settles the advance as soon as it is paid out
    await approve_claim(gql, await claim(gql, w, task.id, "1250.50"))

    request = await paid_out(gql, w, task)

    shown = (await gql.as_role(Role.MANAGER)(READ, {"id": request["id"]}))["travelRequest"]
    assert shown["settlementStatus"] == "SETTLED"
    assert shown["balance"] == {"amount": "-749.50", "currency": "INR"}
    # a settled advance cannot be cancelled, paid or settled again
    payload = await technician(gql, w.technician).mutate(
        CANCEL, {"requestId": request["id"], "reason": "late"}
    )
    assert error_codes(payload) == ["INVALID_TRANSITION"]
    payload = await gql.as_role(Role.MANAGER).mutate(SETTLE, {"requestId": request["id"]})
    assert error_codes(payload) == ["INVALID_TRANSITION"]


async def test_only_a_manager_or_admin_pays_out_and_settles(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await wf.world(session)
    await policy(session)
    task = await accepted_task(session, w)
    pending = await requested(gql, task, w.technician)

    for role in (Role.DISPATCHER, Role.AGENT):
        payload = await gql.as_role(role).mutate(PAY_OUT, {"requestId": pending["id"]})
        assert error_codes(payload) == ["FORBIDDEN"]
    payload = await technician(gql, w.technician).mutate(PAY_OUT, {"requestId": pending["id"]})
    assert error_codes(payload) == ["FORBIDDEN"]
    # a pending request's advance is not paid out
    payload = await gql.as_role(Role.MANAGER).mutate(PAY_OUT, {"requestId": pending["id"]})
    assert error_codes(payload) == ["INVALID_TRANSITION"]


async def test_a_manager_settles_with_no_claims_and_the_whole_advance_is_recovered(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await wf.world(session)
    await policy(session)
    task = await accepted_task(session, w)
    request = await paid_out(gql, w, task)
    waiting = await claim(gql, w, task.id, "300.00")
    manager = gql.as_role(Role.MANAGER)

    # refused while a claim waits
    payload = await manager.mutate(SETTLE, {"requestId": request["id"]})
    assert error_codes(payload) == ["CONFLICT"]

    reject = """mutation($input: DecideExpenseClaimInput!) { rejectExpenseClaim(input: $input)
      { userErrors { code } } }"""
    assert (await manager.mutate(reject, {"claimId": waiting, "reason": "no ticket"}))[
        "userErrors"
    ] == []
    # the rejection left no approved claim: nothing settles on its own
    shown = (await manager(READ, {"id": request["id"]}))["travelRequest"]
    assert shown["settlementStatus"] == "PAID_OUT"
    payload = await manager.mutate(
        SETTLE, {"requestId": request["id"], "expectedVersion": shown["version"]}
    )
    assert payload["userErrors"] == []
    assert payload["request"]["balance"] == {"amount": "-2000.00", "currency": "INR"}


async def test_a_payout_retried_with_its_key_is_recorded_once(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await wf.world(session)
    await policy(session)
    task = await accepted_task(session, w)
    request = await paid_out(gql, w, task)

    again = await gql.as_role(Role.MANAGER).mutate(
        PAY_OUT, {"requestId": request["id"], "idempotencyKey": f"pay-{request['id']}"}
    )
    assert again["userErrors"] == []
    assert again["request"]["advancePaidAt"] == request["advancePaidAt"]
    assert again["request"]["version"] == request["version"]
    # without the key a second payout is refused
    payload = await gql.as_role(Role.MANAGER).mutate(PAY_OUT, {"requestId": request["id"]})
    assert error_codes(payload) == ["INVALID_TRANSITION"]
