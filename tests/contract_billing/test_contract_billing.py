"""Contract billing: periods and their share of the price, invoices on the billing day once
(whoever runs the job, however often), income recognised day by day, the sales register."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.billing.models import InvoiceStatus
from app.contract_billing import service
from app.contract_billing.models import BillingFrequency, BillingTiming, ContractInvoicingTerms
from app.contract_billing.service import MonthIncome, Period, periods, split
from app.core.auth import Role
from app.core.db import SessionFactory, unit_of_work
from schema.ids import encode_id
from tests.billing import factories as billing
from tests.contract_billing import factories
from tests.support import GraphQLClient

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


async def test_periods_are_invoiced_on_their_billing_day_once(session: AsyncSession) -> None:
    # given a 12,000 contract billed quarterly in arrears, and a price list for the tax
    await billing.price_list(session)
    contract = await factories.contract(session)
    now = datetime(2027, 7, 2, 9, tzinfo=UTC)

    # when the job runs on 2 July, and again
    first = await service.bill_due(session, now.date(), now, only=[contract.id])  # type: ignore[list-item]
    again = await service.bill_due(session, now.date(), now, only=[contract.id])  # type: ignore[list-item]

    # then the two ended quarters are invoiced, once, numbered one after the other
    billed = await factories.invoices_of(session, contract)
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
    contract = await factories.contract(session, frequency=MONTHLY, timing=BillingTiming.IN_ADVANCE)
    terms = await session.scalar(
        select(ContractInvoicingTerms).where(col(ContractInvoicingTerms.contract_id) == contract.id)
    )
    assert terms is not None
    terms.bill_from = date(2027, 3, 1)  # January and February were billed elsewhere
    now = datetime(2027, 4, 10, 9, tzinfo=UTC)

    await service.bill_due(session, now.date(), now, only=[contract.id])  # type: ignore[list-item]

    starts = [link.period_start for link, _ in await factories.invoices_of(session, contract)]
    assert starts == [date(2027, 3, 1), date(2027, 4, 1)]


async def test_two_instances_billing_at_once_make_one_invoice_per_period(
    committed_sessions: SessionFactory,
) -> None:
    async with unit_of_work(committed_sessions, None) as session:
        await billing.price_list(session)
        contract = await factories.contract(session, frequency=MONTHLY)
    now = datetime(2027, 6, 15, 9, tzinfo=UTC)

    async def run() -> int:
        async with unit_of_work(committed_sessions, None) as session:
            return (await service.bill_due(session, now.date(), now, only=[contract.id])).invoiced  # type: ignore[list-item]

    made = await asyncio.gather(run(), run(), run())

    async with committed_sessions() as session:
        billed = await factories.invoices_of(session, contract)
    assert sum(made) == 5 and len(billed) == 5
    numbers = sorted(int(invoice.number.rsplit("-", 1)[1]) for _, invoice in billed)  # type: ignore[union-attr]
    assert numbers == list(range(numbers[0], numbers[0] + 5))


async def test_income_is_recognised_day_by_day_across_months(session: AsyncSession) -> None:
    # 36,500 over 365 days from 15 January: 100 a day, in a currency no other contract has
    await factories.contract(
        session,
        price="36500.00",
        starts_on=date(2027, 1, 15),
        ends_on=date(2028, 1, 14),
        currency="XTS",
    )
    await factories.contract(session, price="999.00", currency="INR")

    months = await service.income_by_month(session, date(2027, 1, 1), date(2027, 2, 28))
    ours = await service.income_by_month(
        session, date(2027, 1, 1), date(2027, 2, 28), currency="XTS"
    )

    assert [m for m in months if m.currency == "XTS"] == [
        MonthIncome(date(2027, 1, 1), "XTS", Decimal("1700.00"), 1),  # 17 days of January
        MonthIncome(date(2027, 2, 1), "XTS", Decimal("2800.00"), 1),  # 28 days of February
    ]
    assert ours == [m for m in months if m.currency == "XTS"]
    assert [(m.month, m.currency) for m in months] == [
        (date(2027, 1, 1), "INR"),
        (date(2027, 1, 1), "XTS"),
        (date(2027, 2, 1), "INR"),
        (date(2027, 2, 1), "XTS"),
    ]


INVOICING = """query($id: ID!) { contractInvoicing(contractId: $id) {
  frequency timing billFrom version contractId
  periods { start end billingDay amount { amount } invoice { number status } } } }"""
SET = """mutation($input: SetContractInvoicingInput!) { setContractInvoicing(input: $input) {
  contractInvoicing { frequency timing version periods { start } }
  userErrors { field code } } }"""
REGISTER = """query($from: Date, $to: Date) { salesRegister(from: $from, to: $to) {
  count totals { currency count net { amount currency } tax { amount } total { amount } }
  documents(first: 50) { edges { node { number } } } } }"""
INCOME = """query { contractIncome(from: "2027-01-01", to: "2027-03-31") {
  month amount { amount currency } contracts } }"""
INCOME_IN = """query($from: Date, $to: Date, $currency: String, $first: Int! = 60) {
  contractIncome(from: $from, to: $to, currency: $currency, first: $first) {
  month amount { amount currency } contracts } }"""


async def test_the_desk_sets_terms_and_reads_periods_through_the_api(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    await billing.price_list(session)
    contract = await factories.contract(session, price="1200.00", frequency=ANNUAL)
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
    assert numbers == [first["invoice"]["number"]] and register["count"] == 1
    assert register["totals"] == [
        {
            "currency": "INR",
            "count": 1,
            "net": {"amount": "295.89", "currency": "INR"},
            "tax": {"amount": "53.26"},
            "total": {"amount": "349.15"},
        }
    ]
    income = (await manager(INCOME))["contractIncome"]
    assert [(m["month"], m["amount"]["amount"], m["contracts"]) for m in income] == [
        ("2027-01-01", "101.92", 1),  # 1,200 over 365 days: 31 of them
        ("2027-02-01", "92.05", 1),
        ("2027-03-01", "101.92", 1),
    ]


ALLOWED = {
    # role: (contractInvoicing, contractIncome, salesRegister, setContractInvoicing)
    Role.ADMIN: (True, True, True, True),
    Role.MANAGER: (True, True, True, True),
    Role.AGENT: (True, False, True, False),  # the desk reads terms and the register
    Role.DISPATCHER: (False, False, False, False),
    Role.TECHNICIAN: (False, False, False, False),
    Role.PARTNER: (False, False, False, False),
    Role.CUSTOMER: (False, False, False, False),
    None: (False, False, False, False),
}


@pytest.mark.parametrize("role", list(ALLOWED))
async def test_billing_views_and_terms_are_for_the_office(
    gql: GraphQLClient, session: AsyncSession, role: Role | None
) -> None:
    agreement = await factories.contract(session)
    cid = encode_id("Contract", agreement.id)  # type: ignore[arg-type]
    client = gql.as_role(role, customer_id=agreement.customer_id, partner_id=1, technician_id=1)

    reads = [
        await client.raw(INVOICING, {"id": cid}),
        await client.raw(INCOME),
        await client.raw(REGISTER, {"from": "2027-01-01", "to": "2027-01-31"}),
    ]
    write = await client.mutate(SET, {"contractId": cid, "frequency": "MONTHLY"})

    refused = "UNAUTHENTICATED" if role is None else "FORBIDDEN"
    codes = [r["errors"][0]["extensions"]["code"] if "errors" in r else None for r in reads]
    codes.append(write["userErrors"][0]["code"] if write["userErrors"] else None)
    assert codes == [None if ok else refused for ok in ALLOWED[role]]


HOSTILE = [
    (INCOME_IN, {"from": "9999-12-01", "to": "9999-12-31"}, ["from"]),
    (INCOME_IN, {"to": "0001-01-01"}, ["to"]),
    (INCOME_IN, {"from": "0001-01-01", "to": "2027-01-01"}, ["from"]),
    (INCOME_IN, {"from": "2027-03-01", "to": "2027-01-31"}, ["to"]),
    (INCOME_IN, {"from": "2020-01-01", "to": "2027-01-31"}, ["to"]),
    (INCOME_IN, {"from": "2027-01-01", "to": "2027-03-31", "currency": "usd"}, ["currency"]),
    (INCOME_IN, {"from": "2027-01-01", "to": "2027-03-31", "first": 2}, ["first"]),
    (REGISTER, {"from": "9999-12-31", "to": "9999-12-31"}, ["from"]),
    (REGISTER, {"to": "9999-12-31"}, ["to"]),
    (REGISTER, {"to": "0001-01-01"}, ["to"]),
    (REGISTER, {"from": "2027-02-01", "to": "2027-01-31"}, ["to"]),
    (REGISTER, {"from": "2020-01-01", "to": "2027-01-31"}, ["to"]),
]


@pytest.mark.parametrize(("query", "variables", "field"), HOSTILE)
async def test_reports_refuse_days_out_of_range_with_a_typed_error(
    gql: GraphQLClient, query: str, variables: dict[str, str], field: list[str]
) -> None:
    answer = await gql.as_role(Role.MANAGER).raw(query, variables)

    (error,) = answer["errors"]
    assert error["extensions"] == {"code": "INVALID", "field": field}


async def test_a_year_of_register_is_allowed_and_income_rows_up_to_first(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    await factories.contract(session, currency="XTS")
    manager = gql.as_role(Role.MANAGER)

    register = await manager.raw(REGISTER, {"from": "2028-01-01", "to": "2028-12-31"})
    income = await manager.raw(INCOME_IN, {"from": "2027-01-01", "to": "2027-03-31", "first": 3})

    assert "errors" not in register and register["data"]["salesRegister"]["count"] == 0
    assert register["data"]["salesRegister"]["totals"] == []
    assert [m["amount"]["currency"] for m in income["data"]["contractIncome"]] == ["XTS"] * 3


async def test_the_register_sums_each_currency_apart(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a contract invoice in rupees and one in dollars issued on the same day
    await billing.price_list(session)
    rupees = await factories.contract(session, price="1200.00", frequency=BillingFrequency.ANNUAL)
    dollars = await factories.contract(
        session, price="365.00", frequency=BillingFrequency.ANNUAL, currency="USD"
    )
    now = datetime(2028, 1, 1, 9, tzinfo=UTC)  # both billed in arrears after their year
    await service.bill_due(session, now.date(), now, only=[rupees.id, dollars.id])  # type: ignore[list-item]

    register = (
        await gql.as_role(Role.AGENT)(REGISTER, {"from": "2028-01-01", "to": "2028-01-01"})
    )["salesRegister"]

    assert register["count"] == 2
    assert [(t["currency"], t["count"], t["net"], t["total"]) for t in register["totals"]] == [
        ("INR", 1, {"amount": "1200.00", "currency": "INR"}, {"amount": "1416.00"}),
        ("USD", 1, {"amount": "365.00", "currency": "USD"}, {"amount": "430.70"}),
    ]


async def test_a_contract_ending_on_the_calendars_last_day_reads_whole(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    agreement = await factories.contract(
        session,
        starts_on=date(9999, 1, 1),
        ends_on=date(9999, 12, 31),
        frequency=BillingFrequency.MONTHLY,
        timing=BillingTiming.IN_ARREARS,
    )

    shown = await gql.as_role(Role.MANAGER)(
        INVOICING,
        {"id": encode_id("Contract", agreement.id)},  # type: ignore[arg-type]
    )

    periods = shown["contractInvoicing"]["periods"]
    assert len(periods) == 12
    assert periods[-1]["start"] == "9999-12-01" and periods[-1]["end"] == "9999-12-31"
    assert periods[-1]["billingDay"] == "9999-12-31"  # the calendar has no day after it
    assert sum(Decimal(p["amount"]["amount"]) for p in periods) == Decimal("12000.00")


async def test_terms_of_an_unknown_or_archived_contract_are_not_found(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    archived = await factories.contract(session)
    archived.archived_at = datetime(2027, 1, 1, tzinfo=UTC)
    await session.flush()
    manager = gql.as_role(Role.MANAGER)

    answers = [
        await manager.mutate(
            SET, {"contractId": encode_id("Contract", cid), "timing": "IN_ADVANCE"}
        )
        for cid in (archived.id, 987654)
    ]

    assert [a["userErrors"] for a in answers] == [
        [{"field": ["contractId"], "code": "NOT_FOUND"}]
    ] * 2
