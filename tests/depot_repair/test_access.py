"""Who may do and read what: the public status lookup leaks nothing else and is rate-limited;
the permission matrix of repair steps and reads; repairOrderUpdates for the right people."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import ClientConnection, connect

from app.core.auth import Role
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker, Event
from app.customers.models import Customer
from app.depot_repair import channels
from app.depot_repair.tracking import LOOKUPS_PER_CODE
from app.main import create_app
from schema.ids import split_id
from tests.depot_repair.helpers import (
    APPROVE,
    CUSTOMER_ORDER,
    RECEIVE,
    START_DIAGNOSIS,
    START_REPAIR,
    as_customer,
    as_tech,
    depot_world,
    diagnosed,
    intake,
    ok,
)
from tests.support import GraphQLClient, error_codes, serving, token

LOOKUP = """
query($code: String!, $phone: String!) { repairOrderStatus(trackingCode: $code, phone: $phone) {
  trackingCode status statusLabel receivedAt promisedBy readyAt deliveredAt depotName depotPhone
} }
"""
TRACKING_FIELDS = {
    "trackingCode", "status", "statusLabel", "receivedAt", "promisedBy", "readyAt",
    "deliveredAt", "depotName", "depotPhone",
}  # fmt: skip


async def test_the_status_lookup_needs_code_and_phone_and_shows_nothing_else(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await depot_world(session)
    order = await ok(gql, RECEIVE, intake(world))
    anonymous = gql.as_role(None)
    phone = world.customer.phone or ""
    spaced = "0" + phone.replace("+91", "").replace(" ", "")  # dialled differently
    found = (await anonymous(LOOKUP, {"code": order["trackingCode"].lower(), "phone": spaced}))[
        "repairOrderStatus"
    ]
    assert set(found) == TRACKING_FIELDS
    assert (
        found["status"] == "RECEIVED" and found["statusLabel"] == "received at the service centre"
    )
    assert found["depotPhone"] == "+91 80 4000 1234"
    shown = json.dumps(found)
    for secret in (world.customer.name, "No picture", "Scratch", order["number"]):
        assert secret not in shown

    # a wrong phone and an unknown code answer the same: null
    wrong = await anonymous(LOOKUP, {"code": order["trackingCode"], "phone": "+91 90000 00000"})
    unknown = await anonymous(LOOKUP, {"code": "ZZZZZZZZZZ", "phone": phone})
    assert wrong["repairOrderStatus"] is None and unknown["repairOrderStatus"] is None


async def test_the_status_lookup_is_rate_limited_per_code(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await depot_world(session)
    order = await ok(gql, RECEIVE, intake(world))
    anonymous = gql.as_role(None)
    guesses = [f"+91 90000 {n:05d}" for n in range(LOOKUPS_PER_CODE)]
    for guess in guesses:
        answer = await anonymous(LOOKUP, {"code": order["trackingCode"], "phone": guess})
        assert answer["repairOrderStatus"] is None
    # past the limit even the right phone is refused: guessing gains nothing
    body = await anonymous.raw(
        LOOKUP, {"code": order["trackingCode"], "phone": world.customer.phone}
    )
    assert body["data"] is None or body["data"]["repairOrderStatus"] is None
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


RECEIVERS = {Role.ADMIN, Role.DISPATCHER, Role.AGENT, Role.MANAGER}


@pytest.mark.parametrize("role", [None, *Role])
async def test_who_may_book_an_item_in(
    gql: GraphQLClient, session: AsyncSession, role: Role | None
) -> None:
    world = await depot_world(session)
    payload = await gql.as_role(role, customer_id=world.customer.id).mutate(RECEIVE, intake(world))
    if role in RECEIVERS:
        assert payload["userErrors"] == [] and payload["repairOrder"]["status"] == "RECEIVED"
    else:
        expected = "UNAUTHENTICATED" if role is None else "FORBIDDEN"
        assert error_codes(payload) == [expected] and payload["repairOrder"] is None


REPORTS = """
query { depotRepairReports(from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z") { received } }
"""
QUEUE = "query($depot: ID!) { benchQueue(depotId: $depot) { id } }"
ORDERS = "query { repairOrders { totalCount } }"


async def test_the_permission_matrix_of_steps_and_reads(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await depot_world(session)
    order = await diagnosed(gql, world)
    order_id = order["id"]
    stranger = Customer(name="Not the owner", phone="+91 90000 12345")
    session.add(stranger)
    await session.flush()

    # the estimate is the owner's to answer: another customer does not even see the order
    other = await as_customer(gql, stranger).mutate(APPROVE, {"repairOrderId": order_id})
    assert error_codes(other) == ["NOT_FOUND"]
    read = await as_customer(gql, stranger)(CUSTOMER_ORDER, {"id": order_id})
    assert read["repairOrder"] is None
    mine = await as_customer(gql, world.customer)(CUSTOMER_ORDER, {"id": order_id})
    assert mine["repairOrder"]["status"] == "ESTIMATE_SENT"
    # a technician may not answer for the customer
    bench = await as_tech(gql, world.tech_a).mutate(APPROVE, {"repairOrderId": order_id})
    assert error_codes(bench) == ["FORBIDDEN"]
    await ok(as_customer(gql, world.customer), APPROVE, {"repairOrderId": order_id})

    # the bench works on its own orders: a colleague may not start another's repair, a
    # technician of another depot does not see it
    colleague = await as_tech(gql, world.tech_b).mutate(START_REPAIR, {"repairOrderId": order_id})
    assert error_codes(colleague) == ["FORBIDDEN"]
    elsewhere = await as_tech(gql, world.other_tech).mutate(
        START_REPAIR, {"repairOrderId": order_id}
    )
    assert error_codes(elsewhere) == ["NOT_FOUND"]
    customer_repair = await as_customer(gql, world.customer).mutate(
        START_REPAIR, {"repairOrderId": order_id}
    )
    assert error_codes(customer_repair) == ["FORBIDDEN"]

    # reads: partners see no repair orders; reports are the staff's; queues the bench's
    partner = await gql.as_role(Role.PARTNER, partner_id=1).raw(ORDERS)
    assert partner["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    technician_reports = await as_tech(gql, world.tech_a).raw(REPORTS)
    assert technician_reports["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    customer_queue = await as_customer(gql, world.customer).raw(QUEUE, {"depot": world.depot_gid})
    assert customer_queue["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    own_depot = await as_tech(gql, world.tech_b)(QUEUE, {"depot": world.depot_gid})
    assert [o["id"] for o in own_depot["benchQueue"]] == [order_id]
    other_depot = await as_tech(gql, world.other_tech)(QUEUE, {"depot": world.depot_gid})
    assert other_depot["benchQueue"] == []
    assert (await as_customer(gql, stranger)(ORDERS))["repairOrders"]["totalCount"] == 0


async def test_only_a_bench_technician_of_the_depot_takes_an_order(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await depot_world(session)
    order = await ok(gql, RECEIVE, intake(world))
    outsider = await gql.mutate(
        START_DIAGNOSIS,
        {
            "repairOrderId": order["id"],
            "technicianId": world.gid("Technician", world.other_tech.id),
        },
    )
    assert error_codes(outsider) == ["INVALID"]
    taken = await ok(as_tech(gql, world.tech_b), START_DIAGNOSIS, {"repairOrderId": order["id"]})
    assert taken["status"] == "DIAGNOSING"
    assert taken["technician"]["id"] == world.gid("Technician", world.tech_b.id)


UPDATES = """
subscription($order: ID) { repairOrderUpdates(repairOrderId: $order) {
  action toStatus repairOrder { number status } } }
"""


@pytest.fixture
async def address(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> AsyncIterator[str]:
    async with serving(create_app(settings, sessions=sessions, broker=broker)) as address:
        yield address


async def _subscribe(
    address: str, settings: Settings, order_gid: str | None, **links: Any
) -> ClientConnection:
    socket = await connect(
        f"ws://{address}/graphql",
        subprotocols=["graphql-transport-ws"],
        open_timeout=5,  # type: ignore[list-item]
    )
    auth = f"Bearer {token(settings, Role.CUSTOMER, **links)}"
    await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": auth}}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 2))["type"] == "connection_ack"
    payload = {"query": UPDATES, "variables": {"order": order_gid}}
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    return socket


async def test_repair_order_updates_reach_the_customer_of_the_order_only(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    broker: Broker,
    address: str,
) -> None:
    world = await depot_world(session)
    order = await ok(gql, RECEIVE, intake(world))
    stranger = Customer(name="Not the owner")
    session.add(stranger)
    await session.flush()

    refused = await _subscribe(address, settings, order["id"], customer_id=stranger.id)
    message = json.loads(await asyncio.wait_for(refused.recv(), 2))
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "NOT_FOUND"
    await refused.close()

    socket = await _subscribe(address, settings, None, customer_id=world.customer.id)
    found = split_id(order["id"])
    assert found is not None
    data = {
        "repair_order_id": found[1],
        "action": "START_DIAGNOSIS",
        "from": "RECEIVED",
        "to": "DIAGNOSING",
        "at": "2026-12-04T10:00:00+00:00",
        "actor_role": "DISPATCHER",
        "reason": None,
    }
    event = Event(
        channels.customer_channel(world.customer.id or 0), channels.REPAIR_ORDER_CHANGED, data
    )
    for _ in range(20):
        await broker.publish_all([event])
        try:
            message = json.loads(await asyncio.wait_for(socket.recv(), 0.25))
        except TimeoutError:
            continue
        break
    else:
        raise AssertionError("no update was delivered")
    update = message["payload"]["data"]["repairOrderUpdates"]
    assert update == {
        "action": "START_DIAGNOSIS",
        "toStatus": "DIAGNOSING",
        "repairOrder": {"number": order["number"], "status": "RECEIVED"},
    }
    await socket.close()
