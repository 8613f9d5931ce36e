"""Contract billing: periods and their share of the price, invoices on the billing day once
(whoever runs the job, however often), income recognised day by day, the sales register."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.billing.models import Invoice, InvoiceStatus
from app.contract_billing import service
from app.contract_billing.models import (
    BillingFrequency,
    BillingTiming,
    ContractInvoice,
    ContractInvoicingTerms,
)
from app.contract_billing.service import Period, periods, split
from app.contracts.models import Contract, ContractKind
from app.core.auth import Role
from app.core.db import SessionFactory, unit_of_work
from schema.ids import encode_id
from tests.billing import factories as billing
from tests.support import GraphQLClient
from tests.work_orders import factories

MONTHLY, QUARTERLY, ANNUAL = (
    BillingFrequency.MONTHLY,
    BillingFrequency.QUARTERLY,
    BillingFrequency.ANNUAL,
)


def test_periods_count_months_from_the_first_day_and_end_with_the_contract() -> None:
    found = periods(date(2027, 1, 31), date(2027, 5, 15), MONTHLY)

    assert [(p.start, p.end) for p in found] == [
        (date(2027, 1, 31), date(2027, 2, 27)),
        (date(2027, 2, 28), date(2027, 3, 30)),
        (date(2027, 3, 31), date(2027, 4, 29)),
        (date(2027, 4, 30), date(2027, 5, 15)),
    ]


def test_a_leap_year_quarter_has_its_29th_of_february() -> None:
    found = periods(date(2028, 1, 1), date(2028, 12, 31), QUARTERLY)

    assert [p.days for p in found] == [91, 91, 92, 92]
    assert sum(p.days for p in found) == 366


@pytest.mark.parametrize(
    ("price", "days", "expected"),
    [
        ("100.00", [10, 10, 10], ["33.34", "33.33", "33.33"]),
        ("1000.00", [31, 28, 31], ["344.45", "311.11", "344.44"]),
        ("0.02", [1, 1, 1], ["0.01", "0.01", "0.00"]),
    ],
)
def test_the_shares_follow_the_days_and_add_up_to_the_price(
    price: str, days: list[int], expected: list[str]
) -> None:
    parts, start = [], date(2027, 1, 1)
    for length in days:
        parts.append(Period(start, date.fromordinal(start.toordinal() + length - 1)))
        start = date.fromordinal(start.toordinal() + length)

    shares = split(Decimal(price), parts)

    assert shares == [Decimal(e) for e in expected]
    assert sum(shares) == Decimal(price)


def test_in_advance_bills_on_the_first_day_in_arrears_the_day_after_the_last() -> None:
    period = Period(date(2027, 1, 1), date(2027, 3, 31))

    assert service.billing_day(period, BillingTiming.IN_ADVANCE) == date(2027, 1, 1)
    assert service.billing_day(period, BillingTiming.IN_ARREARS) == date(2027, 4, 1)


async def _contract(
    session: AsyncSession,
    price: str = "12000.00",
    starts_on: date = date(2027, 1, 1),
    ends_on: date = date(2027, 12, 31),
    frequency: BillingFrequency = QUARTERLY,
    timing: BillingTiming = BillingTiming.IN_ARREARS,
) -> Contract:
    customer = await factories.customer(session)
    contract = Contract(
        number=f"AMC-T-{customer.id}",
        kind=ContractKind.AMC,
        customer_id=customer.id,  # type: ignore[arg-type]
        starts_on=starts_on,
        ends_on=ends_on,
        price=Decimal(price),
    )
    session.add(contract)
    await session.flush()
    session.add(
        ContractInvoicingTerms(
            contract_id=contract.id,  # type: ignore[arg-type]
            frequency=frequency,
            timing=timing,
            bill_from=starts_on,
        )
    )
    await session.flush()
    return contract


async def _invoices_of(
    session: AsyncSession, contract: Contract
) -> list[tuple[ContractInvoice, Invoice]]:
    rows = await session.execute(
        select(ContractInvoice, Invoice)
        .join(Invoice, col(Invoice.id) == col(ContractInvoice.invoice_id))
        .where(col(ContractInvoice.contract_id) == contract.id)
        .order_by(col(ContractInvoice.period_start))
    )
    return [(link, invoice) for link, invoice in rows.all()]


async def test_periods_are_invoiced_on_their_billing_day_once(session: AsyncSession) -> None:
    # given a 12,000 contract billed quarterly in arrears, and a price list for the tax
    await billing.price_list(session)
    contract = await _contract(session)
    now = datetime(2027, 7, 2, 9, tzinfo=UTC)

    # when the job runs on 2 July, and again
    first = await service.bill_due(session, now.date(), now, only=[contract.id])  # type: ignore[list-item]
    again = await service.bill_due(session, now.date(), now, only=[contract.id])  # type: ignore[list-item]

    # then the two ended quarters are invoiced, once, numbered one after the other
    billed = await _invoices_of(session, contract)
    assert (first.invoiced, again.invoiced) == (2, 0)
    assert [(link.period_start, link.amount) for link, _ in billed] == [
        (date(2027, 1, 1), Decimal("2958.90")),  # 90 of 365 days
        (date(2027, 4, 1), Decimal("2991.78")),  # 91 days
    ]
    assert all(invoice.status is InvoiceStatus.ISSUED for _, invoice in billed)
    assert all(invoice.net_amount == link.amount for link, invoice in billed)
    assert [invoice.total for _, invoice in billed] == [Decimal("3491.50"), Decimal("3530.30")]
    numbers = [int(invoice.number.rsplit("-", 1)[1]) for _, invoice in billed]  # type: ignore[union-attr]
    assert numbers[1] == numbers[0] + 1


async def test_in_advance_bills_the_running_period_and_nothing_before_bill_from(
    session: AsyncSession,
) -> None:
    await billing.price_list(session)
    contract = await _contract(session, frequency=MONTHLY, timing=BillingTiming.IN_ADVANCE)
    terms = await session.scalar(
        select(ContractInvoicingTerms).where(col(ContractInvoicingTerms.contract_id) == contract.id)
    )
    assert terms is not None
    terms.bill_from = date(2027, 3, 1)  # January and February were billed elsewhere
    now = datetime(2027, 4, 10, 9, tzinfo=UTC)

    await service.bill_due(session, now.date(), now, only=[contract.id])  # type: ignore[list-item]

    starts = [link.period_start for link, _ in await _invoices_of(session, contract)]
    assert starts == [date(2027, 3, 1), date(2027, 4, 1)]


async def test_two_instances_billing_at_once_make_one_invoice_per_period(
    committed_sessions: SessionFactory,
) -> None:
    async with unit_of_work(committed_sessions, None) as session:
        await billing.price_list(session)
        contract = await _contract(session, frequency=MONTHLY)
    now = datetime(2027, 6, 15, 9, tzinfo=UTC)

    async def run() -> int:
        async with unit_of_work(committed_sessions, None) as session:
            return (await service.bill_due(session, now.date(), now, only=[contract.id])).invoiced  # type: ignore[list-item]

    made = await asyncio.gather(run(), run(), run())

    async with committed_sessions() as session:
        billed = await _invoices_of(session, contract)
    assert sum(made) == 5 and len(billed) == 5
    numbers = sorted(int(invoice.number.rsplit("-", 1)[1]) for _, invoice in billed)  # type: ignore[union-attr]
    assert numbers == list(range(numbers[0], numbers[0] + 5))


async def test_income_is_recognised_day_by_day_across_months(session: AsyncSession) -> None:
    # 36,500 over 365 days from 15 January: 100 a day
    await _contract(
        session, price="36500.00", starts_on=date(2027, 1, 15), ends_on=date(2028, 1, 14)
    )

    months = await service.income_by_month(session, date(2027, 1, 1), date(2027, 2, 28))

    ours = {m.month: m.amount for m in months}
    assert ours[date(2027, 1, 1)] >= Decimal("1700.00")  # 17 days of January
    assert ours[date(2027, 2, 1)] >= Decimal("2800.00")  # 28 days of February


INVOICING = """query($id: ID!) { contractInvoicing(contractId: $id) {
  frequency timing billFrom version contractId
  periods { start end billingDay amount { amount } invoice { number status } } } }"""
SET = """mutation($input: SetContractInvoicingInput!) { setContractInvoicing(input: $input) {
  contractInvoicing { frequency timing version periods { start } }
  userErrors { field code } } }"""
REGISTER = """query($from: Date!, $to: Date!) { salesRegister(from: $from, to: $to) {
  count net { amount } total { amount } documents(first: 50) { edges { node { number } } } } }"""
INCOME = """query { contractIncome(from: "2027-01-01", to: "2027-03-31") {
  month amount { amount currency } contracts } }"""


async def test_the_desk_sets_terms_and_reads_periods_through_the_api(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    await billing.price_list(session)
    contract = await _contract(session, price="1200.00", frequency=ANNUAL)
    cid = encode_id("Contract", contract.id)  # type: ignore[arg-type]
    manager = gql.as_role(Role.MANAGER)

    before = (await manager(INVOICING, {"id": cid}))["contractInvoicing"]
    changed = await manager.mutate(SET, {
        "contractId": cid, "frequency": "QUARTERLY", "expectedVersion": before["version"],
    })  # fmt: skip
    stale = await manager.mutate(SET, {
        "contractId": cid, "timing": "IN_ADVANCE", "expectedVersion": before["version"],
    })  # fmt: skip
    late = await manager.mutate(SET, {"contractId": cid, "billFrom": "2030-01-01"})
    now = datetime(2027, 4, 2, 9, tzinfo=UTC)
    await service.bill_due(session, now.date(), now, only=[contract.id])  # type: ignore[list-item]
    after = (await manager(INVOICING, {"id": cid}))["contractInvoicing"]

    assert len(before["periods"]) == 1 and before["frequency"] == "ANNUAL"
    assert changed["userErrors"] == []
    assert changed["contractInvoicing"]["frequency"] == "QUARTERLY"
    assert len(changed["contractInvoicing"]["periods"]) == 4
    assert [e["code"] for e in stale["userErrors"]] == ["STALE_VERSION"]
    assert late["userErrors"] == [{"field": ["billFrom"], "code": "INVALID"}]
    first, second = after["periods"][:2]
    assert first["invoice"]["status"] == "ISSUED" and first["amount"]["amount"] == "295.89"
    assert second["invoice"] is None
    register = (await manager(REGISTER, {"from": "2027-04-02", "to": "2027-04-02"}))[
        "salesRegister"
    ]
    numbers = [e["node"]["number"] for e in register["documents"]["edges"]]
    assert first["invoice"]["number"] in numbers and register["count"] >= 1
    income = (await manager(INCOME))["contractIncome"]
    assert [m["month"] for m in income] == ["2027-01-01", "2027-02-01", "2027-03-01"]


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.PARTNER, Role.TECHNICIAN, Role.DISPATCHER])
async def test_billing_views_and_terms_are_for_the_office(
    gql: GraphQLClient, session: AsyncSession, role: Role
) -> None:
    contract = await _contract(session)
    cid = encode_id("Contract", contract.id)  # type: ignore[arg-type]
    client = gql.as_role(role, customer_id=contract.customer_id, partner_id=1, technician_id=1)

    reads = [
        await client.raw(INVOICING, {"id": cid}),
        await client.raw(INCOME),
        await client.raw(REGISTER, {"from": "2027-01-01", "to": "2027-01-31"}),
    ]
    write = await client.mutate(SET, {"contractId": cid, "frequency": "MONTHLY"})

    assert [r["errors"][0]["extensions"]["code"] for r in reads] == ["FORBIDDEN"] * 3
    assert [e["code"] for e in write["userErrors"]] == ["FORBIDDEN"]
