"""A warranty replacement raised at the depot bench from a repair order: who may raise it, the
unit issued from the depot's own stock, and the depot's report counting it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.depot_repair import reports
from tests.depot_repair.helpers import (
    CANCEL,
    RECEIVE,
    DepotWorld,
    as_customer,
    as_tech,
    depot_world,
    intake,
    level,
    ok,
)
from tests.support import GraphQLClient

REQUEST = """
mutation($input: RequestReplacementInput!) { requestReplacement(input: $input) {
  request { id status source approverRole version task { id }
    repairOrder { id number } asset { id } }
  userErrors { field message code } } }
"""
APPROVE = """
mutation($input: ApproveReplacementInput!) { approveReplacement(input: $input) {
  request { id status newAsset { serialNumber underWarranty } } userErrors { field code } } }
"""
WITHDRAW = """
mutation($input: WithdrawReplacementInput!) { withdrawReplacement(input: $input) {
  request { id status } userErrors { field code } } }
"""
LIST = "{ replacementRequests(first: 10) { totalCount edges { node { id repairOrder { id } } } } }"


def problems(payload: dict[str, Any]) -> set[tuple[str | None, str]]:
    return {(e["field"][-1] if e["field"] else None, e["code"]) for e in payload["userErrors"]}


async def received(gql: GraphQLClient, world: DepotWorld) -> dict[str, Any]:
    sold = (date.today() - timedelta(days=60)).isoformat()
    order = intake(world)
    order["newAsset"] |= {"soldOn": sold}  # inside the model's 12 months of warranty
    return await ok(gql, RECEIVE, order)


def request_input(world: DepotWorld, order: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "repairOrderId": order["id"],
        "replacementPartId": world.gid("Part", world.part.id),
        "stockLocationId": world.gid("StockLocation", world.location_id),
        "diagnosis": "Main board shorted; not repairable",
        **changes,
    }


async def test_a_bench_technician_raises_it_from_an_order_and_the_depot_issues_the_unit(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # Given an order received at the depot for a unit under warranty, 5 boards in its stock
    world = await depot_world(session)
    order = await received(gql, world)
    assert await level(session, world.location_id, world.part.id) == 5

    # When one of the depot's bench technicians asks to replace the unit
    payload = await as_tech(gql, world.tech_a).mutate(REQUEST, request_input(world, order))

    # Then the request names the order as its source, and no task
    assert payload["userErrors"] == []
    request = payload["request"]
    assert request["source"] == "REPAIR_ORDER" and request["task"] is None
    assert request["repairOrder"] == {"id": order["id"], "number": order["number"]}
    assert request["approverRole"] == "DISPATCHER"  # 800.00 is within the dispatcher's limit

    # and the technician sees it in their list, the customer too
    mine = (await as_tech(gql, world.tech_a)(LIST))["replacementRequests"]
    assert [n["node"]["id"] for n in mine["edges"]] == [request["id"]]
    theirs = (await as_customer(gql, world.customer)(LIST))["replacementRequests"]
    assert theirs["totalCount"] == 1

    # When a dispatcher approves it
    approve = {"requestId": request["id"], "newSerialNumber": "TV-NEW-1", "expectedVersion": 1}
    done = await gql.as_role(Role.DISPATCHER).mutate(APPROVE, approve)

    # Then one board left the depot's stock and the new unit is under warranty
    assert done["userErrors"] == [] and done["request"]["status"] == "APPROVED"
    assert done["request"]["newAsset"] == {"serialNumber": "TV-NEW-1", "underWarranty": True}
    assert await level(session, world.location_id, world.part.id) == 4

    # and the depot's report counts one replacement beside no repairs
    now = datetime.now(UTC)
    report = await reports.depot_report(
        session, world.depot.id or 0, now - timedelta(days=1), now + timedelta(days=1)
    )
    assert report is not None
    assert (report.replacements.count, report.replacement_rate) == (1, 1.0)


async def test_sources_are_one_readable_open_order_or_task(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await depot_world(session)
    order = await received(gql, world)

    # a technician of another depot may not read the order
    other = await as_tech(gql, world.other_tech).mutate(REQUEST, request_input(world, order))
    assert problems(other) == {("repairOrderId", "NOT_FOUND")}

    # naming both a task and an order, or neither, is refused
    both = request_input(world, order, taskId=world.gid("Task", 1))
    assert problems(await gql.mutate(REQUEST, both)) == {("taskId", "INVALID")}
    neither = request_input(world, order, repairOrderId=None)
    assert problems(await gql.mutate(REQUEST, neither)) == {("taskId", "INVALID")}

    # a cancelled order takes no request
    await ok(gql, CANCEL, {"repairOrderId": order["id"], "reason": "Customer took it back"})
    ended = await gql.mutate(REQUEST, request_input(world, order))
    assert problems(ended) == {("repairOrderId", "INVALID_TRANSITION")}


async def test_the_depot_technician_withdraws_a_request_another_depot_cannot(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await depot_world(session)
    order = await received(gql, world)
    raised = await as_tech(gql, world.tech_b).mutate(REQUEST, request_input(world, order))
    request_id = raised["request"]["id"]

    refused = await as_tech(gql, world.other_tech).mutate(WITHDRAW, {"requestId": request_id})
    assert {code for _, code in problems(refused)} == {"FORBIDDEN"}
    taken_back = await as_tech(gql, world.tech_a).mutate(WITHDRAW, {"requestId": request_id})
    assert taken_back["userErrors"] == [] and taken_back["request"]["status"] == "WITHDRAWN"
