"""Settlement counts every approved claim for the task, also one approved after the advance
settled, and refuses approved claims in another currency than the advance's."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.models import utcnow
from tests.support import GraphQLClient, error_codes
from tests.travel_requests.factories import SETTLE, accepted_task, gid, policy, technician
from tests.travel_requests.test_settlement import READ, SUBMIT, approve_claim, claim, paid_out
from tests.work_orders import factories as wf


async def test_a_claim_approved_after_the_settlement_counts_too(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a 2,000 advance settled against a first approved claim of 1,500
    w = await wf.world(session)
    await policy(session)
    task = await accepted_task(session, w)
    request = await paid_out(gql, w, task)
    await approve_claim(gql, await claim(gql, w, task.id, "1500.00"))
    manager = gql.as_role(Role.MANAGER)
    shown = (await manager(READ, {"id": request["id"]}))["travelRequest"]
    assert shown["settlementStatus"] == "SETTLED"
    assert shown["balance"] == {"amount": "-500.00", "currency": "INR"}

    # when a second claim of 900 for the task is approved afterwards
    await approve_claim(gql, await claim(gql, w, task.id, "900.00"))

    # then the settlement counts both: 400 is owed to the technician
    shown = (await manager(READ, {"id": request["id"]}))["travelRequest"]
    assert shown["settlementStatus"] == "SETTLED"
    assert shown["claimed"] == {"amount": "2400.00"}
    assert shown["balance"] == {"amount": "400.00", "currency": "INR"}


async def test_an_approved_claim_in_another_currency_does_not_settle_the_advance(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given an INR advance and two approved claims for the task, one of them in USD
    w = await wf.world(session)
    await policy(session)
    task = await accepted_task(session, w)
    request = await paid_out(gql, w, task)
    payload = await technician(gql, w.technician).mutate(
        SUBMIT,
        {
            "category": "PUBLIC_TRANSPORT",
            "amount": "40.00",
            "currency": "USD",
            "incurredOn": utcnow().date().isoformat(),
            "taskId": gid("Task", task.id),
        },
    )
    assert payload["userErrors"] == []
    await approve_claim(gql, payload["claim"]["id"])
    await approve_claim(gql, await claim(gql, w, task.id, "1500.00"))

    # then it is not settled as if the USD claim were not there
    manager = gql.as_role(Role.MANAGER)
    shown = (await manager(READ, {"id": request["id"]}))["travelRequest"]
    assert shown["settlementStatus"] == "PAID_OUT" and shown["balance"] is None

    # and a manager's settlement is refused, saying why
    refused = await manager.mutate(SETTLE, {"requestId": request["id"]})
    assert error_codes(refused) == ["CONFLICT"]
    assert "USD" in refused["userErrors"][0]["message"]
