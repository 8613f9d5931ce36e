"""The billing run after terms or dates change (every day billed once, none left out, the
invoices adding up to the price), in the contract's currency, and one contract that cannot be
invoiced not stopping the others."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.contract_billing import service
from app.contract_billing.models import BillingFrequency, BillingTiming, TermsSet
from app.contracts.models import Contract
from app.core.auth import Role
from schema.ids import encode_id
from tests.billing import factories as billing
from tests.contract_billing.factories import contract, days_billed, invoices_of
from tests.support import GraphQLClient, StatementCounter

MONTHLY, QUARTERLY = BillingFrequency.MONTHLY, BillingFrequency.QUARTERLY
IN_ADVANCE, IN_ARREARS = BillingTiming.IN_ADVANCE, BillingTiming.IN_ARREARS


async def _bill(session: AsyncSession, of: Contract, day: date) -> service.BillingRun:
    now = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    return await service.bill_due(session, day, now, only=[of.id])  # type: ignore[list-item]


async def _ranges(session: AsyncSession, of: Contract) -> list[tuple[date, date, Decimal]]:
    return [
        (link.period_start, link.period_end, link.amount)
        for link, _ in await invoices_of(session, of)
    ]


async def test_changing_frequency_after_billing_does_not_bill_a_day_twice(
    session: AsyncSession,
) -> None:
    # given a contract billed quarterly in advance: January to March is invoiced
    await billing.price_list(session)
    agreement = await contract(
        session, price="36500.00", frequency=QUARTERLY, timing=IN_ADVANCE
    )  # 100 a day
    await _bill(session, agreement, date(2027, 1, 5))

    # when it is switched to monthly and billed in April
    await service.set_terms(session, agreement.id, TermsSet(frequency=MONTHLY), None)  # type: ignore[arg-type]
    run = await _bill(session, agreement, date(2027, 4, 2))

    # then only April is billed: February and March were billed with the quarter
    links = [link for link, _ in await invoices_of(session, agreement)]
    assert run.invoiced == 1
    assert await _ranges(session, agreement) == [
        (date(2027, 1, 1), date(2027, 3, 31), Decimal("9000.00")),
        (date(2027, 4, 1), date(2027, 4, 30), Decimal("3000.00")),
    ]
    assert max(days_billed(links).values()) == 1


async def test_no_day_is_missed_when_new_periods_straddle_the_last_billed_end(
    session: AsyncSession,
) -> None:
    # given a contract billed monthly in advance: January and February are invoiced
    await billing.price_list(session)
    agreement = await contract(session, price="36500.00", frequency=MONTHLY, timing=IN_ADVANCE)
    await _bill(session, agreement, date(2027, 2, 10))

    # when it is switched to quarterly and billed in April, then at the year's end
    await service.set_terms(session, agreement.id, TermsSet(frequency=QUARTERLY), None)  # type: ignore[arg-type]
    april = await _bill(session, agreement, date(2027, 4, 2))
    await _bill(session, agreement, date(2027, 12, 31))

    # then March, which the first quarter straddles, is billed as a short period of its own,
    # then whole quarters: every day of the year once, and the invoices add up to the price
    ranges = await _ranges(session, agreement)
    assert april.invoiced == 2
    assert ranges == [
        (date(2027, 1, 1), date(2027, 1, 31), Decimal("3100.00")),
        (date(2027, 2, 1), date(2027, 2, 28), Decimal("2800.00")),
        (date(2027, 3, 1), date(2027, 3, 31), Decimal("3100.00")),
        (date(2027, 4, 1), date(2027, 6, 30), Decimal("9100.00")),
        (date(2027, 7, 1), date(2027, 9, 30), Decimal("9200.00")),
        (date(2027, 10, 1), date(2027, 12, 31), Decimal("9200.00")),
    ]
    counted = days_billed([link for link, _ in await invoices_of(session, agreement)])
    assert len(counted) == 365 and set(counted.values()) == {1}
    assert sum(amount for *_, amount in ranges) == Decimal("36500.00")


async def test_moving_the_start_after_billing_bills_the_days_left_once(
    session: AsyncSession,
) -> None:
    # given a monthly contract in arrears whose January is invoiced
    await billing.price_list(session)
    agreement = await contract(session, price="12000.00", frequency=MONTHLY, timing=IN_ARREARS)
    await _bill(session, agreement, date(2027, 2, 1))

    # when its start moves to 15 January (its months now run from the 15th) and it is billed
    agreement.starts_on = date(2027, 1, 15)
    await session.flush()
    await _bill(session, agreement, date(2027, 3, 15))

    # then the first new month is billed from 1 February only, the next one whole
    ranges = [(start, end) for start, end, _ in await _ranges(session, agreement)]
    assert ranges == [
        (date(2027, 1, 1), date(2027, 1, 31)),
        (date(2027, 2, 1), date(2027, 2, 14)),
        (date(2027, 2, 15), date(2027, 3, 14)),
    ]
    links = [link for link, _ in await invoices_of(session, agreement)]
    assert max(days_billed(links).values()) == 1


SCHEDULE = """query($id: ID!) { contractInvoicing(contractId: $id) {
  frequency periods { start end billingDay amount { amount currency } invoice { number } } } }"""


async def test_the_schedule_shows_billed_periods_then_the_days_left(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    await billing.price_list(session)
    agreement = await contract(session, price="36500.00", frequency=MONTHLY, timing=IN_ADVANCE)
    await _bill(session, agreement, date(2027, 2, 10))
    await service.set_terms(session, agreement.id, TermsSet(frequency=QUARTERLY), None)  # type: ignore[arg-type]

    shown = await gql.as_role(Role.AGENT)(SCHEDULE, {"id": encode_id("Contract", agreement.id)})  # type: ignore[arg-type]

    periods = shown["contractInvoicing"]["periods"]
    assert [(p["start"], p["end"], p["amount"]["amount"]) for p in periods] == [
        ("2027-01-01", "2027-01-31", "3100.00"),
        ("2027-02-01", "2027-02-28", "2800.00"),
        ("2027-03-01", "2027-03-31", "3100.00"),
        ("2027-04-01", "2027-06-30", "9100.00"),
        ("2027-07-01", "2027-09-30", "9200.00"),
        ("2027-10-01", "2027-12-31", "9200.00"),
    ]
    assert [p["invoice"] is not None for p in periods] == [True, True] + [False] * 4
    assert [p["billingDay"] for p in periods[:3]] == ["2027-02-10", "2027-02-10", "2027-03-01"]


async def test_a_contract_is_invoiced_in_its_own_currency(session: AsyncSession) -> None:
    await billing.price_list(session)  # in INR
    agreement = await contract(session, price="1200.00", currency="USD", timing=IN_ADVANCE)

    await _bill(session, agreement, date(2027, 1, 2))

    ((_, invoice),) = await invoices_of(session, agreement)
    assert (invoice.currency, invoice.net_amount) == ("USD", Decimal("295.89"))


async def test_one_contract_that_cannot_be_invoiced_does_not_stop_the_others(
    session: AsyncSession, statements: StatementCounter
) -> None:
    # given three contracts due, the middle one priced so high its invoice (with tax)
    # overflows the amounts a document can hold
    await billing.price_list(session)
    first = await contract(session, frequency=MONTHLY, timing=IN_ADVANCE)
    huge = await contract(
        session, price="9999999999.99", frequency=BillingFrequency.ANNUAL, timing=IN_ADVANCE
    )
    last = await contract(session, frequency=MONTHLY, timing=IN_ADVANCE)
    day = date(2027, 2, 1)
    now = datetime(2027, 2, 1, 9, tzinfo=UTC)
    statements.reset()

    # when the run bills them
    run = await service.bill_due(session, day, now, only=[first.id, huge.id, last.id])  # type: ignore[list-item]

    # then the others are billed, the failed one is reported and left unbilled, and the
    # invoice numbers have no gap; the price list was read once for the run
    assert run.invoiced == 4
    assert [(f.contract_id, f.number) for f in run.failed] == [(huge.id, huge.number)]
    assert "numeric" in run.failed[0].message
    assert await invoices_of(session, huge) == []
    billed = await invoices_of(session, first) + await invoices_of(session, last)
    numbers = sorted(int(invoice.number.rsplit("-", 1)[1]) for _, invoice in billed)  # type: ignore[union-attr]
    assert numbers == list(range(numbers[0], numbers[0] + 4))
    assert sum("FROM price_lists" in sql for sql in statements.executed) == 1
