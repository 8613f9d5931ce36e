"""A completion draft reads priced as it stands; issuing stores that price and freezes it."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.billing.models import BillingLine, Invoice
from app.core.auth import Principal, Role
from app.work_orders.field import Completion, Step, complete
from app.work_orders.models import TaskPart
from schema.ids import encode_id
from tests.billing import factories
from tests.support import GraphQLClient, StatementCounter, error_codes
from tests.work_orders import factories as wf

INVOICE = """
query($id: ID!) { invoice(id: $id) {
  number status currency pricingProblem
  totals { subtotal { amount } covered { amount } net { amount } tax { amount }
           total { amount currency } }
  lines { position kind description quantity amount { amount currency } tax { amount }
          total { amount } coverage { source covered { amount } } }
} }
"""
INVOICES = """
query($first: Int) { invoices(first: $first, status: [DRAFT]) { edges { node {
  id totals { total { amount } } lines { kind amount { amount } }
} } } }
"""
ISSUE = """mutation($input: InvoiceActionInput!) { issueInvoice(input: $input) {
  invoice { number status totals { total { amount } } } userErrors { field code message } } }"""


async def _completed_draft(
    session: AsyncSession, world: wf.World, *, part_sku: str | None = None
) -> Invoice:
    """A 90-minute visit completed by its technician (with a part used): its draft."""
    task = await factories.task(session, world, minutes=90)
    if part_sku is not None:
        session.add(TaskPart(task_id=task.id, part_code=part_sku, quantity=2, author="t"))
    tech = Principal(subject="t", role=Role.TECHNICIAN, technician_id=world.technician.id)
    done = Completion(resolution_code="FIXED", signature_ref="sig", signer_name="Asha")
    await complete(session, tech, Step(task.id or 0), done)
    draft = await session.scalar(select(Invoice).where(col(Invoice.task_id) == task.id))
    assert draft is not None and draft.id is not None
    return draft


async def _chargeable_world(session: AsyncSession) -> wf.World:
    world = await wf.world(session)
    world.asset.warranty_expires_on = date(2001, 1, 1)
    return world


async def _stored_lines(session: AsyncSession, invoice_id: int) -> int:
    count = await session.scalar(
        select(func.count()).where(col(BillingLine.invoice_id) == invoice_id)
    )
    return int(count or 0)


def amounts(invoice: dict[str, object]) -> list[tuple[str, str, str]]:
    lines = invoice["lines"]
    assert isinstance(lines, list)
    return [(line["kind"], line["amount"]["amount"], line["tax"]["amount"]) for line in lines]


async def test_a_completion_draft_reads_priced_and_issuing_keeps_that_price(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a chargeable 90-minute visit that used two compressors, and its draft
    compressor = await factories.part(session, price="150.00")
    await factories.price_list(session, parts=[(compressor, "1000.00", "COMPRESSOR")])
    world = await _chargeable_world(session)
    draft = await _completed_draft(session, world, part_sku=compressor.sku)
    assert draft.id is not None
    invoice_id = encode_id("Invoice", draft.id)

    # when the desk opens the draft
    shown = (await gql(INVOICE, {"id": invoice_id}))["invoice"]

    # then it shows its lines and totals: labour 1.5 h x 600, the call-out, the parts
    assert (shown["status"], shown["number"], shown["pricingProblem"]) == ("DRAFT", None, None)
    assert amounts(shown) == [
        ("LABOUR", "900.00", "162.00"),
        ("FEE", "200.00", "36.00"),
        ("PART", "2000.00", "560.00"),
    ]
    assert shown["lines"][2]["description"] == f"{compressor.name} ({compressor.sku})"
    assert [line["position"] for line in shown["lines"]] == [0, 1, 2]
    assert shown["totals"] == {
        "subtotal": {"amount": "3100.00"},
        "covered": {"amount": "0.00"},
        "net": {"amount": "3100.00"},
        "tax": {"amount": "758.00"},
        "total": {"amount": "3858.00", "currency": "INR"},
    }
    # and reading wrote nothing: the draft is still unpriced, with no stored line
    await session.refresh(draft)
    assert draft.priced is False and draft.total == 0
    assert await _stored_lines(session, draft.id) == 0

    # when it is issued
    issued = await gql.mutate(ISSUE, {"invoiceId": invoice_id})

    # then the issued invoice holds exactly what the draft showed, numbered and stored
    assert error_codes(issued) == []
    assert issued["invoice"]["totals"]["total"]["amount"] == "3858.00"
    assert issued["invoice"]["number"].startswith("INV-")
    again = (await gql(INVOICE, {"id": invoice_id}))["invoice"]
    assert again["lines"] == shown["lines"]
    assert again["totals"] == shown["totals"]
    assert await _stored_lines(session, draft.id) == 3


async def test_a_draft_shows_its_coverage(gql: GraphQLClient, session: AsyncSession) -> None:
    # given a visit under the manufacturer's warranty
    await factories.price_list(session)
    world = await wf.world(session)
    world.asset.warranty_expires_on = date(2999, 1, 1)
    draft = await _completed_draft(session, world)
    assert draft.id is not None

    # when read
    shown = (await gql(INVOICE, {"id": encode_id("Invoice", draft.id)}))["invoice"]

    # then the warranty pays every line and nothing is charged
    assert [line["coverage"]["source"] for line in shown["lines"]] == ["WARRANTY", "WARRANTY"]
    assert shown["totals"]["covered"] == {"amount": "1100.00"}
    assert shown["totals"]["total"]["amount"] == "0.00"


async def test_a_draft_without_a_price_list_says_why_and_cannot_be_issued(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a draft of a visit finished before any price list takes effect
    await factories.price_list(session, effective_from=date(2999, 1, 1))
    world = await _chargeable_world(session)
    draft = await _completed_draft(session, world)
    assert draft.id is not None
    invoice_id = encode_id("Invoice", draft.id)

    # when read, then issued
    shown = (await gql(INVOICE, {"id": invoice_id}))["invoice"]
    issued = await gql.mutate(ISSUE, {"invoiceId": invoice_id})

    # then it shows no lines and says why; issuing is refused for that reason
    assert shown["pricingProblem"].startswith("no price list is in force on ")
    assert shown["lines"] == [] and shown["totals"]["total"]["amount"] == "0.00"
    assert error_codes(issued) == ["INVALID"]
    assert issued["userErrors"][0]["message"] == shown["pricingProblem"]


async def test_listing_drafts_prices_them_in_the_same_statements_for_2_and_for_20(
    gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    # given two drafts, then twenty, of chargeable visits with a part each
    part = await factories.part(session, price="150.00")
    await factories.price_list(session, parts=[(part, "400.00", None)])
    world = await _chargeable_world(session)
    for _ in range(2):
        await _completed_draft(session, world, part_sku=part.sku)
    statements.reset()
    small = await gql(INVOICES, {"first": 2})
    few = statements.total
    for _ in range(18):
        await _completed_draft(session, world, part_sku=part.sku)
    statements.reset()
    large = await gql(INVOICES, {"first": 20})

    # then every draft is priced, at no more statements for twenty than for two
    nodes = [edge["node"] for edge in large["invoices"]["edges"]]
    assert len(small["invoices"]["edges"]) == 2 and len(nodes) == 20
    # (labour 900 and call-out 200 at 18 %, two parts at 400 at 28 %)
    assert {node["totals"]["total"]["amount"] for node in nodes} == {"2322.00"}
    assert all(
        [line["kind"] for line in node["lines"]] == ["LABOUR", "FEE", "PART"] for node in nodes
    )
    assert statements.total == few
