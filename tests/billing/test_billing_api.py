"""Billing over GraphQL and HTTP: scoping, statement counts, estimates, payments and links."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.billing import invoices, links, payments
from app.billing.models import Invoice, InvoiceStatus, LinkStatus, PaymentLink
from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode
from app.work_orders.field import Completion, Step, complete
from schema.ids import encode_id
from tests.billing import factories
from tests.support import GraphQLClient, StatementCounter, error_codes
from tests.work_orders import factories as wf

ADMIN = Principal(subject="test:admin", role=Role.ADMIN, name="Admin")

INVOICES = """
query($first: Int) { invoices(first: $first) { totalCount edges { node {
  id number status totals { total { amount currency } net { amount } }
  balance { amount } customer { id name }
  lines { kind amount { amount } coverage { source note covered { amount } } tax { amount } }
  payments { receiptNumber }
} } } }
"""
ISSUE = """mutation($input: InvoiceActionInput!) { issueInvoice(input: $input) {
  invoice { id number status } userErrors { field code message } } }"""
RECORD = """mutation($input: RecordPaymentInput!) { recordPayment(input: $input) {
  payment { receiptNumber amount { amount } } invoice { status balance { amount } }
  userErrors { field code } } }"""
LINK = """mutation($input: InvoiceActionInput!) { createPaymentLink(input: $input) {
  paymentLink { token url amount { amount } status } userErrors { code } } }"""
CREATE_ESTIMATE = """mutation($input: CreateEstimateInput!) { createEstimate(input: $input) {
  estimate { id status totals { total { amount } } lines { kind coverage { source } } }
  userErrors { field code } } }"""
SEND = """mutation($input: EstimateActionInput!) { sendEstimate(input: $input) {
  estimate { status } userErrors { code } } }"""
ACCEPT = """mutation($input: EstimateActionInput!) { acceptEstimate(input: $input) {
  estimate { status } userErrors { code } } }"""


async def _issued(session: AsyncSession, world: wf.World) -> Invoice:
    task = await factories.task(session, world)
    tech = Principal(subject="t", role=Role.TECHNICIAN, technician_id=world.technician.id)
    done = Completion(resolution_code="FIXED", signature_ref="sig", signer_name="Asha")
    await complete(session, tech, Step(task.id), done)  # type: ignore[arg-type]
    draft = await session.scalar(select(Invoice).where(col(Invoice.task_id) == task.id))
    assert draft is not None and draft.id is not None
    return await invoices.issue_invoice(session, ADMIN, draft.id)


async def _chargeable_world(session: AsyncSession) -> wf.World:
    world = await wf.world(session)
    world.asset.warranty_expires_on = datetime(2001, 1, 1).date()
    return world


async def test_invoice_list_costs_the_same_statements_for_2_and_for_20_invoices(
    gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    await factories.price_list(session)
    world = await _chargeable_world(session)
    for _ in range(2):
        await _issued(session, world)
    statements.reset()
    small = await gql(INVOICES, {"first": 2})
    few = statements.total
    for _ in range(18):
        await _issued(session, world)
    statements.reset()
    large = await gql(INVOICES, {"first": 20})
    assert len(small["invoices"]["edges"]) == 2 and len(large["invoices"]["edges"]) == 20
    assert statements.total == few
    line = large["invoices"]["edges"][0]["node"]["lines"][0]
    assert line["kind"] == "LABOUR" and line["coverage"]["source"] == "NONE"


@pytest.mark.parametrize(
    ("role", "whose", "sees"),
    [
        (None, None, None),
        (Role.CUSTOMER, "own", 1),
        (Role.CUSTOMER, "other", 0),
        (Role.TECHNICIAN, "own", 2),
        (Role.TECHNICIAN, "other", 0),
        (Role.PARTNER, "other", 0),
        (Role.DISPATCHER, None, 2),
        (Role.AGENT, None, 2),
        (Role.ADMIN, None, 2),
    ],
)
async def test_who_sees_which_invoices(
    gql: GraphQLClient,
    session: AsyncSession,
    role: Role | None,
    whose: str | None,
    sees: int | None,
) -> None:
    # given one issued invoice and one draft of the same task's customer and technician
    await factories.price_list(session)
    world = await _chargeable_world(session)
    await _issued(session, world)
    task = await factories.task(session, world)
    session.add(Invoice(customer_id=world.customer.id, task_id=task.id))
    await session.flush()
    links_: dict[str, int | None] = {}
    if role is Role.CUSTOMER:
        links_["customer_id"] = world.customer.id if whose == "own" else 999_999
    if role is Role.TECHNICIAN:
        links_["technician_id"] = world.technician.id if whose == "own" else 999_999
    if role is Role.PARTNER:
        links_["partner_id"] = 999_999
    # when
    body = await gql.as_role(role, **links_).raw(INVOICES, {"first": 10})
    # then customers see issued invoices only; field roles their tasks'; staff all
    if sees is None:
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    else:
        assert body["data"]["invoices"]["totalCount"] == sees


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (None, "UNAUTHENTICATED"),
        (Role.CUSTOMER, "FORBIDDEN"),
        (Role.TECHNICIAN, "FORBIDDEN"),
        (Role.PARTNER, "FORBIDDEN"),
        (Role.DISPATCHER, "FORBIDDEN"),
        (Role.AGENT, None),
        (Role.ADMIN, None),
    ],
)
async def test_who_may_issue_an_invoice(
    gql: GraphQLClient, session: AsyncSession, role: Role | None, code: str | None
) -> None:
    await factories.price_list(session)
    world = await _chargeable_world(session)
    task = await factories.task(session, world)
    draft = Invoice(customer_id=world.customer.id, task_id=task.id)
    session.add(draft)
    await session.flush()
    assert draft.id is not None
    payload = await gql.as_role(role).mutate(ISSUE, {"invoiceId": encode_id("Invoice", draft.id)})
    if code is None:
        assert payload["invoice"]["number"].startswith("INV-")
    else:
        assert error_codes(payload) == [code]


async def test_issuing_an_unknown_invoice_is_not_found(gql: GraphQLClient) -> None:
    payload = await gql.mutate(ISSUE, {"invoiceId": encode_id("Invoice", 987_654)})
    assert error_codes(payload) == ["NOT_FOUND"]
    assert payload["userErrors"][0]["field"] == ["invoiceId"]


async def test_a_technician_takes_cash_and_the_receipt_is_numbered(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    await factories.price_list(session)
    world = await _chargeable_world(session)
    invoice = await _issued(session, world)
    assert invoice.id is not None
    tech = gql.as_role(Role.TECHNICIAN, technician_id=world.technician.id)
    payload = await tech.mutate(
        RECORD,
        {
            "invoiceId": encode_id("Invoice", invoice.id),
            "method": "CASH",
            "amount": "100.00",
        },
    )
    assert payload["userErrors"] == []
    assert payload["payment"]["receiptNumber"].startswith("RCT-")
    assert payload["invoice"]["status"] == "PARTIALLY_PAID"
    assert Decimal(payload["invoice"]["balance"]["amount"]) == invoice.total - Decimal("100.00")
    # and more than the balance is refused on amount
    too_much = await tech.mutate(
        RECORD,
        {"invoiceId": encode_id("Invoice", invoice.id), "method": "CARD", "amount": "99999.00"},
    )
    assert too_much["userErrors"] == [{"field": ["amount"], "code": "INVALID"}]


async def test_estimate_sent_then_accepted_by_its_customer_unblocks_work(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    from app.billing.estimates import estimate_blocks_work

    await factories.price_list(session)
    world = await _chargeable_world(session)
    task = await factories.task(session, world)
    assert task.id is not None
    tech = gql.as_role(Role.TECHNICIAN, technician_id=world.technician.id)
    created = await tech.mutate(
        CREATE_ESTIMATE,
        {
            "taskId": encode_id("Task", task.id),
            "lines": [
                {"kind": "LABOUR", "quantity": "2"},
                {"kind": "FEE", "quantity": "1", "description": "Gas top-up", "unitPrice": "500"},
            ],
        },
    )
    assert created["userErrors"] == []
    assert created["estimate"]["totals"]["total"]["amount"] == "2006.00"
    estimate_id = created["estimate"]["id"]
    assert await estimate_blocks_work(session, task.id)
    assert (await tech.mutate(SEND, {"estimateId": estimate_id}))["estimate"]["status"] == "SENT"
    stranger = gql.as_role(Role.CUSTOMER, customer_id=999_999)
    assert error_codes(await stranger.mutate(ACCEPT, {"estimateId": estimate_id})) == ["NOT_FOUND"]
    owner = gql.as_role(Role.CUSTOMER, customer_id=world.customer.id)
    accepted = await owner.mutate(ACCEPT, {"estimateId": estimate_id})
    assert accepted["estimate"]["status"] == "ACCEPTED"
    assert not await estimate_blocks_work(session, task.id)
    again = await owner.mutate(ACCEPT, {"estimateId": estimate_id})
    assert error_codes(again) == ["INVALID_TRANSITION"]


async def test_an_estimate_with_an_unknown_part_writes_nothing(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    await factories.price_list(session)
    world = await _chargeable_world(session)
    task = await factories.task(session, world)
    assert task.id is not None
    payload = await gql.as_role(Role.TECHNICIAN, technician_id=world.technician.id).mutate(
        CREATE_ESTIMATE,
        {
            "taskId": encode_id("Task", task.id),
            "lines": [{"kind": "PART", "quantity": "1", "partId": encode_id("Part", 999_999)}],
        },
    )
    assert payload["userErrors"] == [{"field": ["lines", "0", "partId"], "code": "NOT_FOUND"}]


# --- payment links ------------------------------------------------------------------------


async def test_a_payment_link_is_paid_once_through_the_provider_callback(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    await factories.price_list(session)
    world = await _chargeable_world(session)
    invoice = await _issued(session, world)
    assert invoice.id is not None
    customer = gql.as_role(Role.CUSTOMER, customer_id=world.customer.id)
    made = await customer.mutate(LINK, {"invoiceId": encode_id("Invoice", invoice.id)})
    token = made["paymentLink"]["token"]
    assert made["paymentLink"]["url"].endswith(f"/pay/{token}")
    # the customer opens it
    shown = await gql.http.get(f"/pay/{token}")
    assert shown.status_code == 200
    assert shown.json()["amount"] == str(invoice.total) and shown.json()["status"] == "OPEN"
    # an unsigned callback is refused
    body = json.dumps({"providerRef": "tx-1", "amount": str(invoice.total), "status": "SUCCEEDED"})
    forged = await gql.http.post(
        f"/pay/{token}/callback", content=body, headers={"X-Provider-Signature": "00"}
    )
    assert forged.status_code == 403
    # the signed callback pays it, and a replay pays nothing twice
    signed = {"X-Provider-Signature": links.provider_signature(body.encode())}
    first = await gql.http.post(f"/pay/{token}/callback", content=body, headers=signed)
    replay = await gql.http.post(f"/pay/{token}/callback", content=body, headers=signed)
    assert first.status_code == 200 and first.json()["duplicate"] is False
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert replay.json()["receiptNumber"] == first.json()["receiptNumber"]
    await session.refresh(invoice)
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, invoice.total)
    # the link now shows it is paid
    assert (await gql.http.get(f"/pay/{token}")).json()["status"] == "PAID"
    # another transaction on the paid link is money taken for nothing due: held as credit
    other = json.dumps({"providerRef": "tx-2", "amount": str(invoice.total), "status": "SUCCEEDED"})
    again = await gql.http.post(
        f"/pay/{token}/callback",
        content=other,
        headers={"X-Provider-Signature": links.provider_signature(other.encode())},
    )
    assert again.status_code == 200 and again.json()["status"] == "OVERPAID"
    assert Decimal(again.json()["credited"]) == invoice.total
    await session.refresh(invoice)
    assert invoice.amount_paid == invoice.total


async def test_a_tampered_or_expired_link_is_refused(session: AsyncSession) -> None:
    await factories.price_list(session)
    world = await _chargeable_world(session)
    invoice = await _issued(session, world)
    assert invoice.id is not None
    now = datetime(2031, 1, 1, tzinfo=UTC)
    link, token = await payments.create_payment_link(session, ADMIN, invoice.id, now=now)
    link_id, expiry, nonce, signature = token.split(".")
    longer = f"{link_id}.{int(expiry) + 86400}.{nonce}.{signature}"
    with pytest.raises(DomainError) as forged:
        links.verify(longer, now)
    assert forged.value.code is ErrorCode.INVALID
    with pytest.raises(DomainError) as expired:
        links.verify(token, link.expires_at + timedelta(seconds=1))
    assert expired.value.code is ErrorCode.CONFLICT
    assert links.verify(token, now).link_id == link.id
    # a new link cancels the earlier one
    await payments.create_payment_link(session, ADMIN, invoice.id, now=now)
    assert link.status is LinkStatus.CANCELLED
    assert (await session.get(PaymentLink, link.id)) is link


async def test_balances_and_collection_buckets(gql: GraphQLClient, session: AsyncSession) -> None:
    await factories.price_list(session)
    world = await _chargeable_world(session)
    first = await _issued(session, world)
    second = await _issued(session, world)
    first.due_on = datetime.now(UTC).date() - timedelta(days=45)
    second.due_on = datetime.now(UTC).date() - timedelta(days=100)
    await session.flush()
    cid = encode_id("Customer", world.customer.id)  # type: ignore[arg-type]
    data = await gql(
        """query($ids: [ID!]!) {
        customerBalances(customerIds: $ids) { outstanding { amount } }
        collections { totalCount }
        collectionBuckets { bucket invoiceCount balance { amount } } }""",
        {"ids": [cid]},
    )
    assert (
        Decimal(data["customerBalances"][0]["outstanding"]["amount"]) == first.total + second.total
    )
    assert data["collections"]["totalCount"] >= 2
    buckets = {b["bucket"]: b["invoiceCount"] for b in data["collectionBuckets"]}
    assert buckets["31-60"] >= 1 and buckets["90+"] >= 1
    customer = gql.as_role(Role.CUSTOMER, customer_id=world.customer.id)
    refused = await customer.raw("query { collections { totalCount } }")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
