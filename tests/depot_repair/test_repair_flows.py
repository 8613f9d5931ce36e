"""Repair orders end to end through GraphQL: the approved path to handover, the declined path
with its diagnosis fee, the QC failure loop, waiting for parts until the requisition is
fulfilled, and concurrent steps refused cleanly."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.db import SessionFactory
from app.core.events import Broker
from app.depot_repair.jobs import run_resume
from tests.depot_repair.helpers import (
    APPROVE,
    CANCEL,
    CHECK_QC,
    CONSUME,
    DECLINE,
    DELIVER,
    ORDER,
    PAY,
    RECEIVE,
    REQUEST_PARTS,
    START_REPAIR,
    SUBMIT_QC,
    as_customer,
    as_tech,
    depot_world,
    diagnosed,
    intake,
    level,
    ok,
)
from tests.support import GraphQLClient, error_codes

NOTIFICATIONS = sa.text(
    "SELECT data->>'status' FROM notifications WHERE event = 'REPAIR_UPDATE' "
    "AND customer_id = :customer ORDER BY id"
)


async def test_approved_repair_from_intake_to_handover(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await depot_world(session)
    tech_a, tech_b = as_tech(gql, world.tech_a), as_tech(gql, world.tech_b)

    # intake registers the unknown item and books it in, with a tracking code
    order = await diagnosed(gql, world)
    assert order["status"] == "ESTIMATE_SENT"
    assert order["estimate"]["status"] == "DRAFT" and len(order["estimate"]["lines"]) == 2
    assert len(order["trackingCode"]) == 10 and order["technician"] is not None

    # the customer approves in the app; the technician repairs with a part from the depot
    order = await ok(as_customer(gql, world.customer), APPROVE, {"repairOrderId": order["id"]})
    order = await ok(tech_a, START_REPAIR, {"repairOrderId": order["id"]})
    part_gid = world.gid("Part", world.part.id)
    consume = {"repairOrderId": order["id"], "lines": [{"partId": part_gid, "quantity": 1}]}
    # (a list of 101 lines, or none, is refused at the edge and takes nothing)
    for lines in ([], [{"partId": part_gid, "quantity": 1}] * 101):
        refused = await tech_a.mutate(CONSUME, {"repairOrderId": order["id"], "lines": lines})
        assert error_codes(refused) == ["INVALID"]
    assert await level(session, world.location_id, world.part.id) == 5
    order = await ok(tech_a, CONSUME, {**consume, "idempotencyKey": "fit-1"})
    await ok(tech_a, CONSUME, {**consume, "idempotencyKey": "fit-1"})  # a retry
    assert order["partsUsed"] == [{"quantity": 1, "partSku": world.part.sku}]
    assert await level(session, world.location_id, world.part.id) == 4
    order = await ok(tech_a, SUBMIT_QC, {"repairOrderId": order["id"]})

    # the repairer may not pass their own QC; a colleague does, and the invoice is issued
    own = await tech_a.mutate(CHECK_QC, {"repairOrderId": order["id"], "passed": True})
    assert error_codes(own) == ["FORBIDDEN"]
    order = await ok(tech_b, CHECK_QC, {"repairOrderId": order["id"], "passed": True})
    assert order["status"] == "READY" and order["readyAt"] is not None
    (invoice,) = order["invoices"]
    assert invoice["status"] == "ISSUED" and invoice["number"].startswith("INV-")

    # handover needs the invoice paid (or on account)
    handover = {"repairOrderId": order["id"], "signerName": "Meera"}
    refused = await gql.as_role(Role.AGENT).mutate(DELIVER, handover)
    assert error_codes(refused) == ["CONFLICT"]
    paid = await gql.mutate(
        PAY,
        {"invoiceId": invoice["id"], "method": "CARD", "amount": invoice["balance"]["amount"]},
    )
    assert paid["userErrors"] == []
    order = await ok(gql.as_role(Role.AGENT), DELIVER, handover)
    assert order["status"] == "DELIVERED" and order["handoverSigner"] == "Meera"
    assert [e["toStatus"] for e in order["events"]] == [
        "RECEIVED", "DIAGNOSING", "ESTIMATE_SENT", "APPROVED", "IN_REPAIR", "QC", "READY",
        "DELIVERED",
    ]  # fmt: skip
    told = (await session.execute(NOTIFICATIONS, {"customer": world.customer.id})).scalars()
    assert list(told) == ["RECEIVED", "ESTIMATE_SENT", "APPROVED", "READY", "DELIVERED"]


async def test_declined_estimate_returns_the_item_with_the_diagnosis_fee(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await depot_world(session, diagnosis_fee="350.00")
    order = await diagnosed(gql, world)
    order = await ok(
        as_customer(gql, world.customer),
        DECLINE,
        {"repairOrderId": order["id"], "reason": "Too expensive"},
    )
    assert order["status"] == "DECLINED" and order["estimate"]["status"] == "VOID"
    (fee,) = order["invoices"]
    assert fee["status"] == "ISSUED"
    assert Decimal(fee["balance"]["amount"]) == Decimal("413.00")  # 350 + 18 % tax

    # the item goes back unrepaired; a manager may hand it over with the fee on account
    handover = {"repairOrderId": order["id"], "signerName": "Meera", "onAccount": True}
    agent = await gql.as_role(Role.AGENT).mutate(DELIVER, handover)
    assert error_codes(agent) == ["FORBIDDEN"]
    order = await ok(gql.as_role(Role.MANAGER), DELIVER, handover)
    assert order["status"] == "DELIVERED" and order["onAccount"] is True
    assert order["readyAt"] is None  # never repaired: no turnaround


async def test_failed_qc_goes_back_to_repair_until_it_passes(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await depot_world(session)
    tech_a, tech_b = as_tech(gql, world.tech_a), as_tech(gql, world.tech_b)
    order = await diagnosed(gql, world)
    await ok(gql, APPROVE, {"repairOrderId": order["id"]})
    await ok(tech_a, START_REPAIR, {"repairOrderId": order["id"]})
    await ok(tech_a, SUBMIT_QC, {"repairOrderId": order["id"]})

    silent = await tech_b.mutate(CHECK_QC, {"repairOrderId": order["id"], "passed": False})
    assert error_codes(silent) == ["INVALID"]
    failed = {"repairOrderId": order["id"], "passed": False, "reason": "Flicker after 10 min"}
    order = await ok(tech_b, CHECK_QC, failed)
    assert order["status"] == "IN_REPAIR" and order["qcFailures"] == 1
    await ok(tech_a, SUBMIT_QC, {"repairOrderId": order["id"]})
    order = await ok(tech_b, CHECK_QC, {"repairOrderId": order["id"], "passed": True})
    assert order["status"] == "READY" and order["qcFailures"] == 1
    steps = [(e["action"], e["reason"]) for e in order["events"]][-4:]
    assert steps == [
        ("SUBMIT_QC", None),
        ("FAIL_QC", "Flicker after 10 min"),
        ("SUBMIT_QC", None),
        ("PASS_QC", None),
    ]


REQUISITION = """
mutation($input: RequisitionDecisionInput!) { approveRequisition(input: $input) {
  userErrors { code message } } }
"""
FULFIL = """
mutation($input: FulfilRequisitionInput!) { fulfilRequisition(input: $input) {
  userErrors { code message } } }
"""
REQUISITION_OF = "query($id: ID!) { repairOrder(id: $id) { requisition { id status } } }"


async def test_waiting_for_parts_resumes_when_the_requisition_is_fulfilled(
    gql: GraphQLClient, session: AsyncSession, sessions: SessionFactory, broker: Broker
) -> None:
    world = await depot_world(session)
    tech_a = as_tech(gql, world.tech_a)
    order = await diagnosed(gql, world)
    await ok(gql, APPROVE, {"repairOrderId": order["id"]})
    wanted = {
        "repairOrderId": order["id"],
        "warehouseId": world.gid("StockLocation", world.central_id),
        "lines": [{"partId": world.gid("Part", world.part.id), "quantity": 2}],
    }
    order = await ok(tech_a, REQUEST_PARTS, wanted)
    assert order["status"] == "WAITING_PARTS"
    requisition = (await gql(REQUISITION_OF, {"id": order["id"]}))["repairOrder"]["requisition"]
    assert requisition["status"] == "PENDING_APPROVAL"

    # nothing resumes before the parts are there
    assert await run_resume(sessions, broker) == 0
    manager = gql.as_role(Role.MANAGER)
    approved = await manager.mutate(REQUISITION, {"id": requisition["id"]})
    assert approved["userErrors"] == []
    assert await run_resume(sessions, broker) == 0
    fulfilled = await manager.mutate(FULFIL, {"id": requisition["id"]})
    assert fulfilled["userErrors"] == []

    assert await run_resume(sessions, broker) == 1
    order = (await gql(ORDER, {"id": order["id"]}))["repairOrder"]
    assert order["status"] == "IN_REPAIR"
    assert order["events"][-1] == {
        "action": "RESUME",
        "fromStatus": "WAITING_PARTS",
        "toStatus": "IN_REPAIR",
        "actorRole": "SYSTEM",
        "reason": "parts arrived",
    }
    # the issued parts moved into the depot's stock, from where they are fitted
    assert await level(session, world.location_id, world.part.id) == 7
    assert await run_resume(sessions, broker) == 0


async def test_concurrent_steps_on_one_version_are_refused_cleanly(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await depot_world(session)
    order = await diagnosed(gql, world)
    version = order["version"]
    customer = as_customer(gql, world.customer)
    first = await customer.mutate(
        APPROVE, {"repairOrderId": order["id"], "expectedVersion": version}
    )
    second = await customer.mutate(
        DECLINE, {"repairOrderId": order["id"], "expectedVersion": version}
    )
    assert first["userErrors"] == [] and error_codes(second) == ["STALE_VERSION"]
    # without a version the late step meets the new status instead
    late = await customer.mutate(DECLINE, {"repairOrderId": order["id"]})
    assert error_codes(late) == ["INVALID_TRANSITION"]
    current = (await gql(ORDER, {"id": order["id"]}))["repairOrder"]
    assert current["status"] == "APPROVED" and current["version"] == version + 1
    assert current["invoices"] == []  # the refused decline raised no fee


async def test_a_known_serial_of_another_customer_is_refused_at_intake(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await depot_world(session)
    first = await ok(gql, RECEIVE, intake(world))
    serial = first["asset"]["serialNumber"]
    stranger = {
        "newCustomer": {"name": "Someone Else", "phone": "+91 99000 11111"},
        "customerId": None,
    }
    data = intake(world, **stranger)
    data["newAsset"]["serialNumber"] = serial
    refused = await gql.mutate(RECEIVE, data)
    assert error_codes(refused) == ["CONFLICT"]
    assert refused["userErrors"][0]["field"] == ["newAsset", "serialNumber"]
    # the same customer's known serial is that asset again
    again = await ok(gql, RECEIVE, {**intake(world), "newAsset": data["newAsset"]})
    assert again["asset"]["id"] == first["asset"]["id"]


async def test_a_retried_intake_books_the_item_in_once(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await depot_world(session)
    data = intake(world, idempotencyKey="counter-7")
    first = await ok(gql, RECEIVE, data)
    again = await ok(gql, RECEIVE, data)
    assert again["id"] == first["id"] and again["trackingCode"] == first["trackingCode"]
    count = await session.scalar(
        sa.text("SELECT count(*) FROM repair_orders WHERE depot_id = :depot"),
        {"depot": world.depot.id},
    )
    assert count == 1


async def test_cancelling_voids_the_estimate_and_needs_a_reason(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await depot_world(session)
    order = await diagnosed(gql, world)
    silent = await gql.mutate(CANCEL, {"repairOrderId": order["id"]})
    assert error_codes(silent) == ["INVALID"]
    order = await ok(gql, CANCEL, {"repairOrderId": order["id"], "reason": "Customer withdrew"})
    assert order["status"] == "CANCELLED" and order["closedAt"] is not None
    assert order["estimate"]["status"] == "VOID" and order["invoices"] == []
    late = await gql.mutate(CANCEL, {"repairOrderId": order["id"], "reason": "Again"})
    assert error_codes(late) == ["INVALID_TRANSITION"]
