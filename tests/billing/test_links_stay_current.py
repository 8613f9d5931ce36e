"""A payment link always asks for what is due now, and money a provider took is never
dropped: a link paid after its invoice was paid, credited or replaced is recorded, the
excess held as the customer's credit with an alert to refund it."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.billing import invoices, links, payments
from app.billing.models import (
    CreditNoteCreate,
    CreditNoteLineIn,
    CustomerCredit,
    Invoice,
    InvoiceStatus,
    LinkStatus,
    Payment,
    PaymentCreate,
    PaymentLink,
    PaymentMethod,
)
from app.core.auth import Principal, Role
from app.core.channels import ALERTS
from app.core.db import SessionFactory
from app.core.events import Broker
from app.core.models import utcnow
from schema.ids import encode_id
from tests.billing import factories
from tests.billing.test_billing_api import _chargeable_world, _issued
from tests.support import GraphQLClient
from tests.work_orders import factories as wf

ADMIN = Principal(subject="test:admin", role=Role.ADMIN, name="Admin")
BALANCES = """query($ids: [ID!]!) {
  customerBalances(customerIds: $ids) { outstanding { amount } credit { amount } } }"""


async def _pay(gql: GraphQLClient, token: str, ref: str, amount: Decimal | str) -> Any:
    body = json.dumps({"providerRef": ref, "amount": str(amount), "status": "SUCCEEDED"})
    headers = {"X-Provider-Signature": links.provider_signature(body.encode())}
    return await gql.http.post(f"/pay/{token}/callback", content=body, headers=headers)


async def _linked(session: AsyncSession) -> tuple[wf.World, Invoice, PaymentLink, str]:
    await factories.price_list(session)
    world = await _chargeable_world(session)
    invoice = await _issued(session, world)
    assert invoice.id is not None
    link, token = await payments.create_payment_link(session, ADMIN, invoice.id)
    return world, invoice, link, token


async def _cash(session: AsyncSession, invoice: Invoice, amount: Decimal) -> None:
    assert invoice.id is not None
    data = PaymentCreate(invoice_id=invoice.id, method=PaymentMethod.CASH, amount=amount)
    await payments.record_payment(session, ADMIN, data)


async def test_a_link_shows_the_balance_left_after_a_partial_payment(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    _, invoice, link, token = await _linked(session)
    await _cash(session, invoice, Decimal("100.00"))
    shown = (await gql.http.get(f"/pay/{token}")).json()
    assert (shown["status"], Decimal(shown["amount"])) == ("OPEN", invoice.total - 100)
    assert link.amount == invoice.total - 100


async def test_a_link_closes_when_the_invoice_is_paid_another_way(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    _, invoice, link, token = await _linked(session)
    await _cash(session, invoice, invoice.total)
    shown = (await gql.http.get(f"/pay/{token}")).json()
    assert (shown["status"], Decimal(shown["amount"])) == ("CLOSED", 0)
    assert link.status is LinkStatus.CLOSED


async def test_a_link_follows_credit_notes(gql: GraphQLClient, session: AsyncSession) -> None:
    _, invoice, link, token = await _linked(session)
    assert invoice.id is not None
    part = CreditNoteLineIn(position=0, amount=Decimal("10.00"))
    note = CreditNoteCreate(invoice_id=invoice.id, reason="goodwill", lines=[part])
    credit = await invoices.create_credit_note(session, ADMIN, note)
    shown = (await gql.http.get(f"/pay/{token}")).json()
    assert Decimal(shown["amount"]) == invoice.total - credit.total == invoice.balance
    assert link.amount == invoice.balance and link.status is LinkStatus.OPEN


async def test_a_link_closes_when_the_invoice_is_credited_in_full(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    _, invoice, link, token = await _linked(session)
    assert invoice.id is not None
    whole = CreditNoteCreate(invoice_id=invoice.id, reason="cancelled visit")
    await invoices.create_credit_note(session, ADMIN, whole)
    assert invoice.status is InvoiceStatus.CREDITED
    assert (await gql.http.get(f"/pay/{token}")).json()["status"] == "CLOSED"
    assert link.status is LinkStatus.CLOSED


async def test_a_link_paid_after_the_invoice_was_paid_is_held_as_credit_and_alerted(
    gql: GraphQLClient, session: AsyncSession, broker: Broker
) -> None:
    # given a link whose invoice the technician was then paid in cash
    world, invoice, _, token = await _linked(session)
    await _cash(session, invoice, invoice.total)
    # when the customer pays the link they opened before (the provider took the money)
    async with broker.subscribe(ALERTS) as alerts:
        paid = await _pay(gql, token, "tx-late-1", invoice.total)
        alert = await asyncio.wait_for(anext(alerts), 2)
    # then the money is recorded as the customer's credit, with a receipt
    assert paid.status_code == 200, paid.text
    answer = paid.json()
    assert answer["status"] == "OVERPAID" and Decimal(answer["credited"]) == invoice.total
    assert answer["receiptNumber"].startswith("RCT-") and answer["duplicate"] is False
    credit = await session.scalar(
        select(CustomerCredit).where(col(CustomerCredit.provider_ref) == "tx-late-1")
    )
    assert credit is not None and credit.amount == invoice.total
    assert credit.customer_id == world.customer.id and credit.payment_id is None
    await session.refresh(invoice)
    assert invoice.amount_paid == invoice.total  # the cash only
    # and the desk is alerted to refund it
    assert alert["kind"] == "OVERPAYMENT_HELD"
    assert alert["data"]["credit_id"] == credit.id
    assert Decimal(alert["data"]["amount"]) == invoice.total
    # and the customer's balance shows it
    cid = encode_id("Customer", world.customer.id)  # type: ignore[arg-type]
    customer = gql.as_role(Role.CUSTOMER, customer_id=world.customer.id)
    balance = (await customer(BALANCES, {"ids": [cid]}))["customerBalances"][0]
    assert Decimal(balance["credit"]["amount"]) == invoice.total
    assert Decimal(balance["outstanding"]["amount"]) == 0
    # and a replay of the notice records nothing twice
    replay = await _pay(gql, token, "tx-late-1", invoice.total)
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert replay.json()["receiptNumber"] == answer["receiptNumber"]
    held = await session.scalars(
        select(CustomerCredit).where(col(CustomerCredit.customer_id) == world.customer.id)
    )
    assert len(held.all()) == 1


CREDITS = """query($ids: [ID!], $refunded: Boolean) {
  customerCredits(customerIds: $ids, refunded: $refunded) {
    id customerId invoiceId amount { amount } receiptNumber refundedAt refundReference } }"""
REFUND = """mutation($input: RefundCustomerCreditInput!) { refundCustomerCredit(input: $input) {
  credit { id refundedAt refundReference } userErrors { field code } } }"""


async def test_the_desk_lists_held_credits_and_records_their_refund(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a link paid after the invoice was paid in cash: the money is held as credit
    world, invoice, _, token = await _linked(session)
    await _cash(session, invoice, invoice.total)
    assert (await _pay(gql, token, "tx-refund-1", invoice.total)).status_code == 200
    cid = encode_id("Customer", world.customer.id)  # type: ignore[arg-type]
    # then the desk and the customer see it; another customer does not
    (held,) = (await gql(CREDITS, {"ids": [cid], "refunded": False}))["customerCredits"]
    assert Decimal(held["amount"]["amount"]) == invoice.total and held["refundedAt"] is None
    assert held["invoiceId"] == encode_id("Invoice", invoice.id)  # type: ignore[arg-type]
    customer = gql.as_role(Role.CUSTOMER, customer_id=world.customer.id)
    assert [c["id"] for c in (await customer(CREDITS, {}))["customerCredits"]] == [held["id"]]
    stranger = gql.as_role(Role.CUSTOMER, customer_id=world.customer.id + 10**6)  # type: ignore[operator]
    assert (await stranger(CREDITS, {"ids": [cid]}))["customerCredits"] == []
    # when the desk refunds it (a blank or overlong reference is refused first)
    for bad in ("  ", "x" * 201):
        refusal = await gql.mutate(REFUND, {"creditId": held["id"], "reference": bad})
        assert refusal["userErrors"] == [{"field": ["reference"], "code": "INVALID"}]
    refund = {"creditId": held["id"], "reference": " NEFT-123 ", "idempotencyKey": "refund-1"}
    done = await gql.mutate(REFUND, refund)
    assert done["userErrors"] == [] and done["credit"]["refundReference"] == "NEFT-123"
    # and a retry of the same request answers the same refund
    assert await gql.mutate(REFUND, refund) == done
    # then it leaves the customer's credit balance, and cannot be refunded twice
    balance = (await gql(BALANCES, {"ids": [cid]}))["customerBalances"][0]
    assert Decimal(balance["credit"]["amount"]) == 0
    assert (await gql(CREDITS, {"ids": [cid], "refunded": False}))["customerCredits"] == []
    again = await gql.mutate(REFUND, {"creditId": held["id"]})
    assert [e["code"] for e in again["userErrors"]] == ["INVALID_TRANSITION"]
    # and a customer may not record a refund
    refused = await customer.mutate(REFUND, {"creditId": held["id"]})
    assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]


async def test_a_link_paid_in_full_after_a_partial_payment_takes_the_balance_and_holds_the_rest(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    _, invoice, link, token = await _linked(session)
    original = link.amount
    await _cash(session, invoice, Decimal("100.00"))
    # the customer's page was opened before the cash: they pay the old amount
    paid = await _pay(gql, token, "tx-old-amount", original)
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "OVERPAID" and Decimal(paid.json()["credited"]) == 100
    await session.refresh(invoice)
    assert invoice.status is InvoiceStatus.PAID and invoice.amount_paid == invoice.total
    payment = await session.scalar(
        select(Payment).where(col(Payment.provider_ref) == "tx-old-amount")
    )
    credit = await session.scalar(
        select(CustomerCredit).where(col(CustomerCredit.provider_ref) == "tx-old-amount")
    )
    assert payment is not None and payment.amount == original - 100
    assert credit is not None and credit.payment_id == payment.id
    assert credit.receipt_number == payment.receipt_number == paid.json()["receiptNumber"]
    await session.refresh(link)
    assert link.status is LinkStatus.PAID and link.payment_id == payment.id
    assert link.amount == payment.amount


async def test_a_replaced_or_expired_link_still_records_the_money(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    _, invoice, old, old_token = await _linked(session)
    assert invoice.id is not None
    _, token = await payments.create_payment_link(session, ADMIN, invoice.id)
    assert old.status is LinkStatus.CANCELLED
    # the replaced link is paid: the invoice takes it (it was still due)
    first = await _pay(gql, old_token, "tx-replaced", Decimal("50.00"))
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "PAID"
    await session.refresh(invoice)
    assert invoice.amount_paid == 50
    # the current link asks for the rest; paid after it expired, the money is still recorded
    link = await links.find_link(session, token, utcnow())
    await session.refresh(link)
    assert link.amount == invoice.total - 50
    link.expires_at = utcnow() - timedelta(minutes=1)
    await session.flush()
    expired = links.sign(link)
    assert (await gql.http.get(f"/pay/{expired}")).status_code == 409
    late = await _pay(gql, expired, "tx-expired", link.amount)
    assert late.status_code == 200, late.text
    await session.refresh(invoice)
    assert invoice.status is InvoiceStatus.PAID


async def test_a_notice_for_nothing_is_refused(gql: GraphQLClient, session: AsyncSession) -> None:
    _, _, _, token = await _linked(session)
    assert (await _pay(gql, token, "tx-zero", "0")).status_code == 400


async def _at_once(sessions: SessionFactory, go: asyncio.Event, work: Any) -> None:
    async with sessions() as session:
        await go.wait()
        await work(session)
        await session.commit()


async def test_cash_and_two_provider_notices_at_once_record_every_rupee(
    committed_sessions: SessionFactory,
) -> None:
    # given an issued invoice with an open link, committed
    async with committed_sessions() as session:
        await factories.price_list(session)
        world = await _chargeable_world(session)
        invoice = await _issued(session, world)
        assert invoice.id is not None
        _, token = await payments.create_payment_link(session, ADMIN, invoice.id)
        await session.commit()
    total, invoice_id = invoice.total, invoice.id
    refs = [f"tx-race-{invoice_id}-{i}" for i in range(2)]

    async def cash(session: AsyncSession) -> None:
        data = PaymentCreate(invoice_id=invoice_id, method=PaymentMethod.CASH, amount=total)
        await payments.record_payment(session, ADMIN, data)

    def online(ref: str) -> Any:
        async def pay(session: AsyncSession) -> None:
            await payments.pay_by_link(session, token, ref, total)

        return pay

    # when the technician takes cash while the customer pays the link twice, all at once
    go = asyncio.Event()
    works = [cash, *(online(ref) for ref in refs)]
    runs = [asyncio.create_task(_at_once(committed_sessions, go, w)) for w in works]
    await asyncio.sleep(0.1)
    go.set()
    outcomes = await asyncio.gather(*runs, return_exceptions=True)
    # then whichever came first, every payment is recorded: the invoice is paid once and
    # the rest is held as the customer's credit (the cash may be refused only if it lost)
    async with committed_sessions() as session:
        stored = await session.get(Invoice, invoice_id)
        paid = (
            await session.scalars(select(Payment).where(col(Payment.invoice_id) == invoice_id))
        ).all()
        held = (
            await session.scalars(
                select(CustomerCredit).where(col(CustomerCredit.invoice_id) == invoice_id)
            )
        ).all()
    assert not any(isinstance(o, Exception) for o in outcomes[1:]), outcomes
    assert stored is not None and stored.status is InvoiceStatus.PAID
    assert sum(p.amount for p in paid) == total
    cash_taken = not isinstance(outcomes[0], Exception)
    assert sum(c.amount for c in held) == total * (2 if cash_taken else 1)
    assert {c.provider_ref for c in held} <= set(refs)
