"""Accessory upsell: offered on site, accepted by the customer, paid by link, consumed from
the van; money received is never lost when the van is short of the part."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import ProductCategory, ProductModel
from app.billing import links, payments
from app.billing.jobs import deliver_pending_upsells
from app.billing.models import (
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentCreate,
    PaymentMethod,
    UpsellOffer,
    UpsellStatus,
)
from app.core.auth import Principal, Role
from app.core.channels import ALERTS
from app.core.db import SessionFactory
from app.core.events import Broker
from app.inventory import stock
from app.inventory.catalogue import ensure_van
from app.inventory.ledger import Stamp
from app.inventory.models import (
    MovementKind,
    MovementLine,
    Part,
    PartCompatibility,
    StockLevel,
    StockMovement,
)
from app.work_orders.models import Task
from schema.ids import decode_id, encode_id
from tests.billing import factories
from tests.inventory import factories as inv
from tests.support import GraphQLClient, StatementCounter, error_codes
from tests.work_orders import factories as wf

OFFER = """mutation($input: OfferUpsellInput!) { offerUpsell(input: $input) {
  upsell { id status quantity unitPrice { amount currency } partId taskId }
  userErrors { field code } } }"""
ACCEPT = """mutation($input: UpsellActionInput!) { acceptUpsell(input: $input) {
  upsell { id status } paymentLink { token amount { amount } status }
  userErrors { field code } } }"""
DECLINE = """mutation($input: UpsellActionInput!) { declineUpsell(input: $input) {
  upsell { id status } paymentLink { token } userErrors { field code } } }"""
DELIVER = """mutation($input: UpsellActionInput!) { deliverUpsell(input: $input) {
  upsell { id status paidAt stockShortAt deliveredAt } userErrors { field code } } }"""
UPSELL = """query($id: ID!) { node(id: $id) { ... on UpsellOffer {
  status paidAt stockShortAt deliveredAt } } }"""

STOCK = Stamp(actor="test:stores", reason="stock for the test")


@dataclass
class Scene:
    world: wf.World
    task: Task
    accessory: Part
    technician: GraphQLClient
    customer: GraphQLClient


async def _scene(gql: GraphQLClient, session: AsyncSession, *, in_van: int) -> Scene:
    """A technician on site at an asset whose model the accessory fits; `in_van` units in
    their van."""
    await factories.price_list(session)
    world = await wf.world(session)
    task = await factories.task(session, world)
    accessory = await factories.part(session, cost="300.00", price="450.00", accessory=True)
    session.add(
        PartCompatibility(part_id=accessory.id, product_model_id=world.asset.product_model_id)
    )
    await session.flush()
    assert world.technician.id is not None and accessory.id is not None
    await _stock_van(session, world.technician.id, accessory.id, in_van)
    return Scene(
        world,
        task,
        accessory,
        gql.as_role(Role.TECHNICIAN, technician_id=world.technician.id),
        gql.as_role(Role.CUSTOMER, customer_id=world.customer.id),
    )


async def _stock_van(session: AsyncSession, technician_id: int, part_id: int, n: int) -> None:
    await ensure_van(session, technician_id)
    if n:
        warehouse = await inv.warehouse(session)
        assert warehouse.id is not None
        lines = [MovementLine(part_id=part_id, quantity=n)]
        await stock.receive(session, warehouse.id, lines, STOCK)
        await stock.issue_to_van(session, warehouse.id, technician_id, lines, STOCK)


async def _van_units(session: AsyncSession, scene: Scene) -> int:
    assert scene.world.technician.id is not None
    van = await ensure_van(session, scene.world.technician.id)
    level = await session.scalar(
        select(StockLevel).where(
            col(StockLevel.location_id) == van.id, col(StockLevel.part_id) == scene.accessory.id
        )
    )
    if level is None:
        return 0
    await session.refresh(level)
    return level.on_hand


async def _offer_and_accept(scene: Scene) -> tuple[str, str]:
    """(upsell id, payment link token)"""
    offered = await scene.technician.mutate(
        OFFER,
        {
            "taskId": encode_id("Task", scene.task.id),  # type: ignore[arg-type]
            "partId": encode_id("Part", scene.accessory.id),  # type: ignore[arg-type]
        },
    )
    assert offered["userErrors"] == []
    upsell_id = offered["upsell"]["id"]
    accepted = await scene.customer.mutate(ACCEPT, {"upsellId": upsell_id})
    assert accepted["userErrors"] == []
    return upsell_id, accepted["paymentLink"]["token"]


def _notice(ref: str, amount: str) -> tuple[str, dict[str, str]]:
    body = json.dumps({"providerRef": ref, "amount": amount, "status": "SUCCEEDED"})
    return body, {"X-Provider-Signature": links.provider_signature(body.encode())}


async def _pay(gql: GraphQLClient, token: str, ref: str, amount: str) -> Any:
    body, headers = _notice(ref, amount)
    return await gql.http.post(f"/pay/{token}/callback", content=body, headers=headers)


async def _offer_row(session: AsyncSession, upsell_id: str) -> UpsellOffer:
    row = await session.get(UpsellOffer, decode_id(upsell_id, "UpsellOffer", "id"))
    assert row is not None
    await session.refresh(row)
    return row


async def _consumptions(session: AsyncSession, task_id: int) -> list[StockMovement]:
    rows = await session.scalars(
        select(StockMovement).where(
            col(StockMovement.task_id) == task_id,
            col(StockMovement.kind) == MovementKind.CONSUME,
        )
    )
    return list(rows.all())


# --- offer --------------------------------------------------------------------------------


async def test_a_technician_offers_an_accessory_that_fits_the_asset_s_model(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a technician on site and an accessory that fits the asset's model
    scene = await _scene(gql, session, in_van=1)
    # when they offer it
    offered = await scene.technician.mutate(
        OFFER,
        {
            "taskId": encode_id("Task", scene.task.id),  # type: ignore[arg-type]
            "partId": encode_id("Part", scene.accessory.id),  # type: ignore[arg-type]
            "quantity": 1,
        },
    )
    # then the offer waits for the customer at the part's price
    assert offered["userErrors"] == []
    assert offered["upsell"]["status"] == "OFFERED"
    assert offered["upsell"]["unitPrice"] == {"amount": "450.00", "currency": "INR"}
    assert offered["upsell"]["taskId"] == encode_id("Task", scene.task.id)  # type: ignore[arg-type]


async def test_an_accessory_for_another_model_or_a_plain_part_is_refused(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given an accessory made for another product model, and a part that is no accessory
    scene = await _scene(gql, session, in_van=0)
    other_model = ProductModel(code="TV-9", name="Television", category=ProductCategory.HVAC)
    session.add(other_model)
    await session.flush()
    misfit = await factories.part(session, accessory=True)
    session.add(PartCompatibility(part_id=misfit.id, product_model_id=other_model.id))
    plain = await factories.part(session, accessory=False)
    session.add(
        PartCompatibility(part_id=plain.id, product_model_id=scene.world.asset.product_model_id)
    )
    await session.flush()
    task = encode_id("Task", scene.task.id)  # type: ignore[arg-type]
    # when the technician offers them
    for part in (misfit, plain):
        payload = await scene.technician.mutate(
            OFFER,
            {"taskId": task, "partId": encode_id("Part", part.id)},  # type: ignore[arg-type]
        )
        # then each is INVALID on partId and nothing is written
        assert payload["userErrors"] == [{"field": ["partId"], "code": "INVALID"}]
    offers = await session.scalars(
        select(UpsellOffer).where(col(UpsellOffer.task_id) == scene.task.id)
    )
    assert offers.all() == []


# --- accept, pay, consume -----------------------------------------------------------------


async def test_accepted_and_paid_by_link_the_accessory_leaves_the_van(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given an accessory in the van, offered and accepted: an issued invoice and a link
    scene = await _scene(gql, session, in_van=2)
    upsell_id, token = await _offer_and_accept(scene)
    offer = await _offer_row(session, upsell_id)
    assert offer.status is UpsellStatus.CONFIRMED and offer.invoice_id is not None
    invoice = await session.get(Invoice, offer.invoice_id)
    assert invoice is not None and invoice.status is InvoiceStatus.ISSUED
    # when the provider says the customer paid
    paid = await _pay(gql, token, "tx-up-1", str(invoice.total))
    # then the payment is recorded with a receipt, and one unit left the van for the task
    assert paid.status_code == 200
    assert paid.json()["upsellStatus"] == "PAID" and paid.json()["duplicate"] is False
    offer = await _offer_row(session, upsell_id)
    assert offer.status is UpsellStatus.PAID
    assert offer.paid_at is not None and offer.delivered_at is not None
    assert offer.stock_short_at is None
    await session.refresh(invoice)
    assert invoice.status is InvoiceStatus.PAID
    assert await _van_units(session, scene) == 1
    consumed = await _consumptions(session, scene.task.id)  # type: ignore[arg-type]
    assert [(m.part_id, m.on_hand_delta) for m in consumed] == [(scene.accessory.id, -1)]


async def test_a_declined_offer_has_no_invoice_and_leaves_the_van_alone(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    scene = await _scene(gql, session, in_van=1)
    offered = await scene.technician.mutate(
        OFFER,
        {
            "taskId": encode_id("Task", scene.task.id),  # type: ignore[arg-type]
            "partId": encode_id("Part", scene.accessory.id),  # type: ignore[arg-type]
        },
    )
    declined = await scene.customer.mutate(DECLINE, {"upsellId": offered["upsell"]["id"]})
    assert declined["upsell"]["status"] == "DECLINED" and declined["paymentLink"] is None
    # a decided offer cannot be accepted afterwards
    again = await scene.customer.mutate(ACCEPT, {"upsellId": offered["upsell"]["id"]})
    assert error_codes(again) == ["INVALID_TRANSITION"]
    assert await _van_units(session, scene) == 1


# --- a short van never loses the money ---------------------------------------------------


async def test_a_short_van_records_the_payment_alerts_and_delivers_after_restock(
    gql: GraphQLClient, session: AsyncSession, broker: Broker
) -> None:
    # given an accepted accessory while the van holds none of it
    scene = await _scene(gql, session, in_van=0)
    upsell_id, token = await _offer_and_accept(scene)
    offer = await _offer_row(session, upsell_id)
    invoice = await session.get(Invoice, offer.invoice_id)
    assert invoice is not None
    # when the provider's callback arrives
    async with broker.subscribe(ALERTS) as alerts:
        paid = await _pay(gql, token, "tx-short-1", str(invoice.total))
        alert = await asyncio.wait_for(anext(alerts), 2)
    # then the payment and its receipt are recorded; the upsell waits for stock
    assert paid.status_code == 200
    assert paid.json()["upsellStatus"] == "PAID_PENDING_STOCK"
    assert paid.json()["receiptNumber"].startswith("RCT-")
    payment = await session.scalar(select(Payment).where(col(Payment.provider_ref) == "tx-short-1"))
    assert payment is not None and payment.amount == invoice.total
    await session.refresh(invoice)
    assert invoice.status is InvoiceStatus.PAID
    offer = await _offer_row(session, upsell_id)
    assert offer.status is UpsellStatus.PAID_PENDING_STOCK and offer.stock_short_at is not None
    assert await _consumptions(session, scene.task.id) == []  # type: ignore[arg-type]
    # and the dispatcher is alerted with what to restock
    assert alert["kind"] == "UPSELL_STOCK_SHORT"
    assert alert["data"]["upsell_id"] == offer.id
    assert alert["data"]["part_id"] == scene.accessory.id
    assert alert["data"]["technician_id"] == scene.world.technician.id
    # when delivery is asked while still short, it is refused and writes nothing
    still_short = await scene.technician.mutate(DELIVER, {"upsellId": upsell_id})
    assert still_short["userErrors"] == [{"field": ["upsellId"], "code": "INSUFFICIENT_STOCK"}]
    # when the van is restocked and the technician delivers
    await _stock_van(session, scene.world.technician.id, scene.accessory.id, 1)  # type: ignore[arg-type]
    delivered = await scene.technician.mutate(DELIVER, {"upsellId": upsell_id})
    # then the part leaves the van once and the upsell is PAID
    assert delivered["userErrors"] == []
    assert delivered["upsell"]["status"] == "PAID"
    assert delivered["upsell"]["deliveredAt"] is not None
    assert await _van_units(session, scene) == 0
    assert len(await _consumptions(session, scene.task.id)) == 1  # type: ignore[arg-type]
    # and delivering again is an invalid transition
    again = await scene.technician.mutate(DELIVER, {"upsellId": upsell_id})
    assert error_codes(again) == ["INVALID_TRANSITION"]


async def test_the_retry_job_delivers_once_the_van_is_restocked(
    gql: GraphQLClient, session: AsyncSession, sessions: SessionFactory
) -> None:
    # given a paid upsell waiting for stock
    scene = await _scene(gql, session, in_van=0)
    upsell_id, token = await _offer_and_accept(scene)
    offer = await _offer_row(session, upsell_id)
    invoice = await session.get(Invoice, offer.invoice_id)
    assert invoice is not None
    await _pay(gql, token, "tx-retry-1", str(invoice.total))
    # when the job runs while still short, nothing changes (and no second alert)
    assert await deliver_pending_upsells(sessions, None) == []
    first_short = (await _offer_row(session, upsell_id)).stock_short_at
    # when the van is restocked and the job runs
    await _stock_van(session, scene.world.technician.id, scene.accessory.id, 1)  # type: ignore[arg-type]
    delivered = await deliver_pending_upsells(sessions, None)
    # then the offer is delivered from the van
    assert delivered == [offer.id]
    offer = await _offer_row(session, upsell_id)
    assert offer.status is UpsellStatus.PAID and offer.stock_short_at == first_short
    assert await _van_units(session, scene) == 0


async def test_a_replayed_callback_pays_and_consumes_once(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given an accessory paid through its link
    scene = await _scene(gql, session, in_van=3)
    upsell_id, token = await _offer_and_accept(scene)
    offer = await _offer_row(session, upsell_id)
    invoice = await session.get(Invoice, offer.invoice_id)
    assert invoice is not None
    first = await _pay(gql, token, "tx-replay-1", str(invoice.total))
    # when the provider sends the same notice again
    replay = await _pay(gql, token, "tx-replay-1", str(invoice.total))
    # then it answers with the first receipt and nothing moves twice
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert replay.json()["receiptNumber"] == first.json()["receiptNumber"]
    payments_made = await session.scalars(
        select(Payment).where(col(Payment.invoice_id) == invoice.id)
    )
    assert len(payments_made.all()) == 1
    assert len(await _consumptions(session, scene.task.id)) == 1  # type: ignore[arg-type]
    assert await _van_units(session, scene) == 2


async def test_a_replayed_callback_after_a_restock_delivers_the_waiting_part(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a paid upsell that found the van short
    scene = await _scene(gql, session, in_van=0)
    upsell_id, token = await _offer_and_accept(scene)
    offer = await _offer_row(session, upsell_id)
    invoice = await session.get(Invoice, offer.invoice_id)
    assert invoice is not None
    await _pay(gql, token, "tx-late-1", str(invoice.total))
    # when the van is restocked and the provider repeats its notice
    await _stock_van(session, scene.world.technician.id, scene.accessory.id, 1)  # type: ignore[arg-type]
    replay = await _pay(gql, token, "tx-late-1", str(invoice.total))
    # then no second payment is taken and the part is delivered
    assert replay.json() | {"receiptNumber": None} == {
        "status": "PAID",
        "receiptNumber": None,
        "duplicate": True,
        "upsellStatus": "PAID",
    }
    assert await _van_units(session, scene) == 0


async def test_cash_for_an_accessory_with_a_short_van_keeps_the_payment(
    session: AsyncSession, gql: GraphQLClient
) -> None:
    # given an accepted accessory while the van is empty
    scene = await _scene(gql, session, in_van=0)
    upsell_id, _ = await _offer_and_accept(scene)
    offer = await _offer_row(session, upsell_id)
    invoice = await session.get(Invoice, offer.invoice_id)
    assert invoice is not None
    # when the technician takes cash for it
    tech = Principal(subject="t", role=Role.TECHNICIAN, technician_id=scene.world.technician.id)
    data = PaymentCreate(invoice_id=invoice.id, method=PaymentMethod.CASH, amount=invoice.total)  # type: ignore[arg-type]
    payment, paid = await payments.record_payment(session, tech, data)
    # then the payment stands and the upsell waits for stock
    assert payment.id is not None and paid.status is InvoiceStatus.PAID
    assert offer.status is UpsellStatus.PAID_PENDING_STOCK


# --- who may deliver ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, "UNAUTHENTICATED"),
        (Role.CUSTOMER, "FORBIDDEN"),
        (Role.PARTNER, "FORBIDDEN"),
        ("other technician", "NOT_FOUND"),
        ("own technician", "INSUFFICIENT_STOCK"),
        (Role.DISPATCHER, "INSUFFICIENT_STOCK"),
        (Role.ADMIN, "INSUFFICIENT_STOCK"),
    ],
)
async def test_who_may_deliver_a_paid_upsell(
    gql: GraphQLClient, session: AsyncSession, role: Role | str | None, expected: str
) -> None:
    # given a paid upsell waiting for stock
    scene = await _scene(gql, session, in_van=0)
    upsell_id, token = await _offer_and_accept(scene)
    offer = await _offer_row(session, upsell_id)
    invoice = await session.get(Invoice, offer.invoice_id)
    assert invoice is not None
    await _pay(gql, token, f"tx-perm-{role}", str(invoice.total))
    if role == "own technician":
        client = scene.technician
    elif role == "other technician":
        other = await inv.technician(session, "Other")
        client = gql.as_role(Role.TECHNICIAN, technician_id=other.id)
    elif role is Role.CUSTOMER:
        client = scene.customer
    else:
        client = gql.as_role(role)  # type: ignore[arg-type]
    # when they ask to deliver it (the van is still short)
    raw = await client.raw(DELIVER, {"input": {"upsellId": upsell_id}})
    # then only its technician and the desk get as far as the stock check
    payload = (raw.get("data") or {}).get("deliverUpsell")
    codes = error_codes(payload) if payload else [e["extensions"]["code"] for e in raw["errors"]]
    assert codes == [expected]


async def test_the_offer_shows_its_payment_and_stock_state(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    scene = await _scene(gql, session, in_van=0)
    upsell_id, token = await _offer_and_accept(scene)
    offer = await _offer_row(session, upsell_id)
    invoice = await session.get(Invoice, offer.invoice_id)
    assert invoice is not None
    await _pay(gql, token, "tx-show-1", str(invoice.total))
    shown = await gql.as_role(Role.DISPATCHER)(UPSELL, {"id": upsell_id})
    assert shown["node"]["status"] == "PAID_PENDING_STOCK"
    assert shown["node"]["paidAt"] is not None and shown["node"]["stockShortAt"] is not None
    assert shown["node"]["deliveredAt"] is None


# --- the list of offers -------------------------------------------------------------------

OFFERS = """query($status: [UpsellStatus!], $first: Int) {
  upsellOffers(status: $status, first: $first) { totalCount edges { node {
    id status quantity unitPrice { amount } partId taskId invoiceId stockShortAt } } } }"""


async def _offers(session: AsyncSession, scene: Scene, n: int, status: UpsellStatus) -> None:
    assert scene.world.technician.id is not None and scene.accessory.id is not None
    for _ in range(n):
        session.add(
            UpsellOffer(
                task_id=scene.task.id,  # type: ignore[arg-type]
                customer_id=scene.world.customer.id,  # type: ignore[arg-type]
                technician_id=scene.world.technician.id,
                part_id=scene.accessory.id,
                unit_price=Decimal("450.00"),
                status=status,
                offered_by="test:tech",
            )
        )
    await session.flush()


async def test_the_dispatcher_lists_paid_upsells_waiting_for_stock(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given one paid upsell waiting for stock and two still offered
    scene = await _scene(gql, session, in_van=0)
    upsell_id, token = await _offer_and_accept(scene)
    offer = await _offer_row(session, upsell_id)
    invoice = await session.get(Invoice, offer.invoice_id)
    assert invoice is not None
    await _pay(gql, token, "tx-list-1", str(invoice.total))
    await _offers(session, scene, 2, UpsellStatus.OFFERED)
    # when the dispatcher lists what waits for stock
    waiting = await gql.as_role(Role.DISPATCHER)(OFFERS, {"status": ["PAID_PENDING_STOCK"]})
    # then exactly that one shows, with its invoice
    assert waiting["upsellOffers"]["totalCount"] == 1
    [node] = [e["node"] for e in waiting["upsellOffers"]["edges"]]
    assert node["id"] == upsell_id and node["stockShortAt"] is not None
    assert node["invoiceId"] == encode_id("Invoice", offer.invoice_id)  # type: ignore[arg-type]
    # and the customer sees their three, a stranger none
    mine = await scene.customer(OFFERS)
    stranger = await gql.as_role(Role.CUSTOMER, customer_id=987_654)(OFFERS)
    assert mine["upsellOffers"]["totalCount"] == 3
    assert stranger["upsellOffers"]["totalCount"] == 0


async def test_the_offer_list_costs_the_same_statements_for_2_and_for_20(
    gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    scene = await _scene(gql, session, in_van=0)
    await _offers(session, scene, 20, UpsellStatus.OFFERED)
    counts = []
    for first in (2, 20):
        statements.reset()
        data = await gql.as_role(Role.DISPATCHER)(OFFERS, {"first": first})
        assert len(data["upsellOffers"]["edges"]) == first
        counts.append(statements.total)
    assert counts[0] == counts[1]
