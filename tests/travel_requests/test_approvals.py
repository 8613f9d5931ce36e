"""Travel requests through GraphQL: who approves by cost (the floor, dispatcher, manager,
admin), a lower role refused, rejection and cancellation with reasons, retries, stale versions
and the bounds of the input."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from tests.support import GraphQLClient, error_codes
from tests.travel_requests.factories import (
    APPROVE,
    CANCEL,
    REJECT,
    REQUEST,
    accepted_task,
    policy,
    requested,
    technician,
    travel_input,
)
from tests.work_orders import factories as wf


@pytest.mark.parametrize(
    ("cost", "approver"),
    [("500.00", "DISPATCHER"), ("5000.00", "DISPATCHER"), ("5000.01", "MANAGER"),
     ("20000.00", "MANAGER"), ("20000.01", "ADMIN")],
)  # fmt: skip
async def test_the_cost_sets_the_approver_and_that_role_approves(
    gql: GraphQLClient, session: AsyncSession, cost: str, approver: str
) -> None:
    # given limits of 5,000 (dispatcher) and 20,000 (manager) over a floor of 500
    w = await wf.world(session)
    await policy(session)
    task = await accepted_task(session, w)

    # when the technician asks for travel costing `cost`
    request = await requested(gql, task, w.technician, estimatedCost=cost, advanceAmount="0")

    # then it waits for the least role its cost requires, and that role approves it
    assert request["status"] == "PENDING_APPROVAL" and request["approverRole"] == approver
    approve = {"requestId": request["id"], "expectedVersion": 1}
    payload = await gql.as_role(Role(approver)).mutate(APPROVE, approve)
    assert payload["userErrors"] == []
    assert payload["request"]["status"] == "APPROVED" and payload["request"]["version"] == 2


async def test_under_the_floor_a_request_is_approved_on_its_own(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await wf.world(session)
    await policy(session, floor="500.00")
    task = await accepted_task(session, w)

    request = await requested(gql, task, w.technician, estimatedCost="499.99", advanceAmount="0")

    assert request["status"] == "APPROVED" and request["approverRole"] is None
    assert request["decidedBy"] == "system" and request["settlementStatus"] == "NO_ADVANCE"


async def test_a_lower_role_is_refused_above_its_limit_and_nothing_changes(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await wf.world(session)
    await policy(session)
    task = await accepted_task(session, w)
    admin_level = await requested(gql, task, w.technician, estimatedCost="25000.00")

    for role in (Role.DISPATCHER, Role.MANAGER):
        payload = await gql.as_role(role).mutate(APPROVE, {"requestId": admin_level["id"]})
        assert error_codes(payload) == ["FORBIDDEN"] and payload["request"] is None
    # a technician may not decide at all
    payload = await technician(gql, w.technician).mutate(APPROVE, {"requestId": admin_level["id"]})
    assert error_codes(payload) == ["FORBIDDEN"]

    payload = await gql.as_role(Role.ADMIN).mutate(
        APPROVE, {"requestId": admin_level["id"], "expectedVersion": 1}
    )
    assert payload["userErrors"] == [] and payload["request"]["status"] == "APPROVED"


async def test_without_a_policy_a_manager_approves(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await wf.world(session)
    task = await accepted_task(session, w)
    request = await requested(gql, task, w.technician, estimatedCost="100.00", advanceAmount="0")
    assert request["approverRole"] == "MANAGER" and request["status"] == "PENDING_APPROVAL"


async def test_rejection_and_cancellation_need_a_reason_and_close_the_request(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await wf.world(session)
    await policy(session)
    first = await accepted_task(session, w)
    second = await accepted_task(session, w)
    dispatcher = gql.as_role(Role.DISPATCHER)
    tech = technician(gql, w.technician)

    request = await requested(gql, first, w.technician)
    payload = await dispatcher.mutate(REJECT, {"requestId": request["id"], "reason": " "})
    assert error_codes(payload) == ["INVALID"] and payload["userErrors"][0]["field"] == ["reason"]
    payload = await dispatcher.mutate(
        REJECT, {"requestId": request["id"], "reason": "Take the bus", "expectedVersion": 1}
    )
    assert payload["request"]["status"] == "REJECTED"
    assert payload["request"]["decisionReason"] == "Take the bus"
    # a rejected request is not approved afterwards
    payload = await dispatcher.mutate(APPROVE, {"requestId": request["id"]})
    assert error_codes(payload) == ["INVALID_TRANSITION"]

    # the technician cancels an approved one before any payout; then may ask again
    other = await requested(gql, second, w.technician, estimatedCost="100.00", advanceAmount="0")
    assert other["status"] == "APPROVED"
    payload = await tech.mutate(CANCEL, {"requestId": other["id"], "reason": "Job moved"})
    assert payload["userErrors"] == [] and payload["request"]["status"] == "CANCELLED"
    again = await requested(gql, second, w.technician, estimatedCost="100.00", advanceAmount="0")
    assert again["status"] == "APPROVED"


async def test_one_open_request_per_task_and_technician(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await wf.world(session)
    task = await accepted_task(session, w)
    await requested(gql, task, w.technician)
    payload = await technician(gql, w.technician).mutate(REQUEST, travel_input(task))
    assert error_codes(payload) == ["DUPLICATE"]


async def test_a_retry_with_the_same_key_returns_the_first_result(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await wf.world(session)
    await policy(session)
    task = await accepted_task(session, w)
    tech = technician(gql, w.technician)
    raised = travel_input(task, idempotencyKey="trip-1")

    first = await tech.mutate(REQUEST, raised)
    again = await tech.mutate(REQUEST, raised)
    assert first["userErrors"] == [] and again["userErrors"] == []
    assert again["request"]["id"] == first["request"]["id"]

    approve = {"requestId": first["request"]["id"], "expectedVersion": 1, "idempotencyKey": "a-1"}
    dispatcher = gql.as_role(Role.DISPATCHER)
    done = await dispatcher.mutate(APPROVE, approve)
    replay = await dispatcher.mutate(APPROVE, approve)
    assert done["userErrors"] == [] and replay["userErrors"] == []
    assert replay["request"]["version"] == done["request"]["version"] == 2


async def test_a_stale_version_is_refused(gql: GraphQLClient, session: AsyncSession) -> None:
    w = await wf.world(session)
    await policy(session)
    task = await accepted_task(session, w)
    request = await requested(gql, task, w.technician)

    payload = await gql.as_role(Role.DISPATCHER).mutate(
        APPROVE, {"requestId": request["id"], "expectedVersion": 7}
    )
    assert error_codes(payload) == ["STALE_VERSION"] and payload["request"] is None
    payload = await technician(gql, w.technician).mutate(
        CANCEL, {"requestId": request["id"], "reason": "x", "expectedVersion": 2}
    )
    assert error_codes(payload) == ["STALE_VERSION"]


@pytest.mark.parametrize(
    "changes",
    [
        {"estimatedCost": "-1.00"},
        {"estimatedCost": "0"},
        {"estimatedCost": "10000000.01"},
        {"estimatedCost": "10.001"},
        {"advanceAmount": "-5.00"},
        {"advanceAmount": "3000.01"},
        {"currency": "XYZ"},
        {"currency": "inr"},
        {"origin": ""},
        {"destination": "x" * 201},
        {"lodgingNights": -1},
        {"lodgingNights": 61},
        {"returnsOn": "2020-01-01"},
        {"notes": "n" * 1001},
    ],
)
async def test_out_of_bounds_input_is_invalid_and_writes_nothing(
    gql: GraphQLClient, session: AsyncSession, changes: dict[str, object]
) -> None:
    w = await wf.world(session)
    task = await accepted_task(session, w)
    tech = technician(gql, w.technician)

    payload = await tech.mutate(REQUEST, travel_input(task, **changes))

    assert error_codes(payload) == ["INVALID"], payload["userErrors"]
    assert payload["userErrors"][0]["field"] == [next(iter(changes))]
    assert payload["request"] is None
    listed = await tech("{ travelRequests { totalCount } }")
    assert listed["travelRequests"]["totalCount"] == 0
