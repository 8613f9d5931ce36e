"""Walk-in orders end to end through GraphQL: priced from the price list, invoiced at once,
paid at the counter or left on account, a field visit planned from them, and who may do it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.billing.models import Invoice, InvoiceStatus
from app.core.auth import Role
from app.inventory import stock
from app.inventory.ledger import Stamp
from app.inventory.models import MovementLine, StockMovement
from app.walk_in.models import WalkInOrder
from schema.ids import encode_id, split_id
from tests.billing import factories as billing
from tests.inventory import factories as inventory
from tests.support import GraphQLClient, error_codes
from tests.work_orders import factories as wf

CREATE = """
mutation($input: CreateWalkInOrderInput!) { createWalkInOrder(input: $input) {
  order { id number settlement description version
    invoice { id number status balance { amount } totals { total { amount } } dueOn }
    payment { method amount { amount } receiptNumber }
    fieldVisit { id status type windowStart site { id } } }
  userErrors { field message code } } }
"""
PLAN = """
mutation($input: PlanWalkInFieldVisitInput!) { planWalkInFieldVisit(input: $input) {
  order { id version fieldVisit { id status description } }
  userErrors { field message code } } }
"""
LIST = "{ walkInOrders(first: 10) { totalCount edges { node { id number } } } }"


def gid(kind: str, db_id: int | None) -> str:
    assert db_id is not None
    return encode_id(kind, db_id)


async def counter(session: AsyncSession) -> tuple[wf.World, str]:
    """A customer at the counter, the price list in force and a part on it at 150."""
    world = await wf.world(session)
    part = await billing.part(session, price="150.00")
    await billing.price_list(session, labour="600.00", parts=[(part, "150.00", None)])
    return world, gid("Part", part.id)


def order_input(world: wf.World, part: str, **changes: Any) -> dict[str, Any]:
    return {
        "customerId": gid("Customer", world.customer.id),
        "siteId": gid("Site", world.site.id),
        "description": "Remote not working; new batteries and a check",
        "lines": [
            {"kind": "LABOUR", "quantity": "1"},
            {"kind": "PART", "partId": part, "quantity": "2"},
        ],
        "settlement": "PAY_NOW",
        "payment": {"method": "CASH"},
    } | changes


# labour 1 h at 600 + 18% = 708.00; 2 parts at 150 + 28% = 384.00
TOTAL = "1092.00"


async def test_an_order_paid_at_the_counter_is_invoiced_and_receipted_at_once(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world, part = await counter(session)

    payload = await gql.as_role(Role.AGENT).mutate(CREATE, order_input(world, part))

    assert payload["userErrors"] == []
    order = payload["order"]
    assert order["number"].startswith("WI-") and order["settlement"] == "PAY_NOW"
    invoice = order["invoice"]
    assert invoice["number"].startswith("INV-") and invoice["status"] == "PAID"
    assert invoice["totals"]["total"] == {"amount": TOTAL}
    assert invoice["balance"] == {"amount": "0.00"}
    assert order["payment"]["method"] == "CASH"
    assert order["payment"]["amount"] == {"amount": TOTAL}
    assert order["payment"]["receiptNumber"].startswith("RCT-")
    assert order["fieldVisit"] is None


async def test_an_order_on_account_leaves_the_invoice_due(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world, part = await counter(session)
    on_account = order_input(world, part, settlement="ON_ACCOUNT", payment=None)

    order = (await gql.mutate(CREATE, on_account))["order"]

    assert order["payment"] is None
    assert order["invoice"]["status"] == "ISSUED"
    assert order["invoice"]["balance"] == {"amount": TOTAL}
    assert order["invoice"]["dueOn"] is not None
    # paid later against the invoice, as any invoice is
    paid = await gql.mutate(
        """mutation($input: RecordPaymentInput!) { recordPayment(input: $input) {
        invoice { status } userErrors { code } } }""",
        {"invoiceId": order["invoice"]["id"], "method": "CARD", "amount": TOTAL},
    )
    assert paid == {"invoice": {"status": "PAID"}, "userErrors": []}


async def test_a_customer_with_an_overdue_invoice_must_pay_at_the_counter(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world, part = await counter(session)
    on_account = order_input(world, part, settlement="ON_ACCOUNT", payment=None)
    first = (await gql.mutate(CREATE, on_account))["order"]
    invoice = await session.get(Invoice, int(_db_id(first["invoice"]["id"])))
    assert invoice is not None
    invoice.due_on = datetime.now(UTC).date() - timedelta(days=3)
    await session.flush()
    invoices_before = await session.scalar(select(func.count()).select_from(Invoice))

    refused = await gql.mutate(CREATE, on_account)

    assert error_codes(refused) == ["CONFLICT"] and refused["userErrors"][0]["field"] == [
        "settlement"
    ]
    assert await session.scalar(select(func.count()).select_from(Invoice)) == invoices_before
    paid_now = await gql.mutate(CREATE, order_input(world, part))
    assert paid_now["userErrors"] == []


async def test_bad_orders_are_refused_with_the_field_at_fault(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world, part = await counter(session)
    no_payment = await gql.mutate(CREATE, order_input(world, part, payment=None))
    assert error_codes(no_payment) == ["INVALID"] and no_payment["userErrors"][0]["field"] == [
        "payment"
    ]
    bad_line = order_input(world, part, lines=[{"kind": "PART", "partId": part, "quantity": "0"}])
    refused = await gql.mutate(CREATE, bad_line)
    assert error_codes(refused) == ["INVALID"]
    assert refused["userErrors"][0]["field"] == ["lines", "0", "quantity"]
    other = await wf.customer(session)
    foreign_site = await gql.mutate(
        CREATE, order_input(world, part) | {"customerId": gid("Customer", other.id)}
    )
    assert error_codes(foreign_site) == ["INVALID"]
    assert foreign_site["userErrors"][0]["field"] == ["siteId"]
    assert await session.scalar(select(func.count()).select_from(WalkInOrder)) == 0


async def test_a_field_visit_is_planned_with_the_order_or_later_once(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world, part = await counter(session)
    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    visit = {
        "description": "Fit the new unit on site",
        "windowStart": start.isoformat(),
        "windowEnd": (start + timedelta(hours=2)).isoformat(),
        "durationMinutes": 90,
    }
    with_visit = (await gql.mutate(CREATE, order_input(world, part, fieldVisit=visit)))["order"]
    task = with_visit["fieldVisit"]
    assert task["status"] == "UNSCHEDULED" and task["type"] == "REPAIR"
    assert task["site"]["id"] == gid("Site", world.site.id)
    assert datetime.fromisoformat(task["windowStart"]) == start

    plain = (await gql.mutate(CREATE, order_input(world, part)))["order"]
    stale = await gql.mutate(PLAN, {"orderId": plain["id"], "expectedVersion": 9, "visit": {}})
    assert error_codes(stale) == ["STALE_VERSION"]
    planned = await gql.mutate(PLAN, {"orderId": plain["id"], "expectedVersion": 1, "visit": {}})
    assert planned["userErrors"] == []
    assert planned["order"]["version"] == 2
    assert planned["order"]["fieldVisit"]["description"] == plain["description"]
    again = await gql.mutate(PLAN, {"orderId": plain["id"], "visit": {}})
    assert error_codes(again) == ["CONFLICT"]


async def test_a_retried_order_is_taken_once(gql: GraphQLClient, session: AsyncSession) -> None:
    world, part = await counter(session)
    once = order_input(world, part, idempotencyKey="counter-42")
    first = await gql.mutate(CREATE, once)
    again = await gql.mutate(CREATE, once)
    assert first["userErrors"] == [] and again == first
    assert await session.scalar(select(func.count()).select_from(WalkInOrder)) == 1
    paid = await session.scalar(
        select(func.count()).select_from(Invoice).where(col(Invoice.status) == InvoiceStatus.PAID)
    )
    assert paid == 1


async def test_who_may_take_and_read_walk_in_orders(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world, part = await counter(session)
    for role in (Role.ADMIN, Role.MANAGER, Role.DISPATCHER, Role.AGENT):
        assert (await gql.as_role(role).mutate(CREATE, order_input(world, part)))[
            "userErrors"
        ] == []
    for role in (Role.TECHNICIAN, Role.PARTNER, Role.CUSTOMER):
        refused = await gql.as_role(role).mutate(CREATE, order_input(world, part))
        assert error_codes(refused) == ["FORBIDDEN"]
    anonymous = await gql.as_role(None).mutate(CREATE, order_input(world, part))
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]

    own = gql.as_role(Role.CUSTOMER, customer_id=world.customer.id)
    assert (await own(LIST))["walkInOrders"]["totalCount"] == 4
    stranger = gql.as_role(Role.CUSTOMER, customer_id=world.customer.id + 10_000)
    assert (await stranger(LIST))["walkInOrders"]["totalCount"] == 0
    for role in (Role.TECHNICIAN, Role.PARTNER):
        body = await gql.as_role(role).raw(LIST)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def _db_id(global_id: str) -> str:
    parts = split_id(global_id)
    assert parts is not None
    return str(parts[1])


STOCK = """
mutation($input: CreateWalkInOrderInput!) { createWalkInOrder(input: $input) {
  order { id number stockLocation { id } } userErrors { field message code } } }
"""


async def test_parts_sold_from_the_counter_warehouse_leave_its_stock_once(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given the counter's warehouse holding 3 of the part
    world, part = await counter(session)
    store = await inventory.warehouse(session)
    part_id = int(_db_id(part))
    assert store.id is not None
    lines = [MovementLine(part_id=part_id, quantity=3)]
    await stock.receive(session, store.id, lines, Stamp(actor="test:stores"))
    sold = order_input(world, part, stockLocationId=gid("StockLocation", store.id))

    # when an order sells 2 (and is retried with its key)
    first = await gql.mutate(STOCK, sold | {"idempotencyKey": "stock-1"})
    again = await gql.mutate(STOCK, sold | {"idempotencyKey": "stock-1"})

    # then 2 left the warehouse once, named by the order
    assert first["userErrors"] == [] and again == first
    assert first["order"]["stockLocation"] == {"id": gid("StockLocation", store.id)}
    moved = (
        await session.scalars(
            select(StockMovement).where(col(StockMovement.reference) == first["order"]["number"])
        )
    ).all()
    assert [(m.kind.value, m.on_hand_delta) for m in moved] == [("CONSUME", -2)]

    # and an order for 2 more is refused on its line, writing nothing
    short = await gql.mutate(STOCK, sold)
    assert error_codes(short) == ["INSUFFICIENT_STOCK"]
    assert short["userErrors"][0]["field"] == ["lines", "1", "quantity"]
    assert await session.scalar(select(func.count()).select_from(WalkInOrder)) == 1
    half = order_input(
        world,
        part,
        stockLocationId=gid("StockLocation", store.id),
        lines=[{"kind": "PART", "partId": part, "quantity": "0.5"}],
    )
    assert error_codes(await gql.mutate(STOCK, half)) == ["INVALID"]
