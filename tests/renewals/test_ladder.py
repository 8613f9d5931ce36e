"""The renewal clock: offers at the policy's lead time, reminders at 60/30/7 days, expiry;
no duplicate on a rerun or when two runs overlap."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.db import SessionFactory
from app.notifications.models import Notification, NotificationEvent
from app.renewals.jobs import run_renewals
from app.renewals.ladder import advance
from app.renewals.models import Offer, OfferReminder, OfferStage
from tests.billing.factories import price_list
from tests.renewals import factories


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


async def offers_of(session: AsyncSession, contract_id: int | None) -> list[Offer]:
    rows = await session.scalars(select(Offer).where(col(Offer.contract_id) == contract_id))
    return list(rows.all())


async def notifications(session: AsyncSession, customer_id: int, event: NotificationEvent) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(col(Notification.customer_id) == customer_id, col(Notification.event) == event)
    )
    return int(count or 0)


async def test_the_ladder_offers_reminds_and_expires_once_per_step(session: AsyncSession) -> None:
    # given an AMC of 12,000 ending on 31 December (policy: offer 90 days ahead, +5%)
    contract = await factories.contract(session, ends_on=date(2086, 12, 31))
    customer = contract.customer_id

    # when the clock runs the day before the lead time, nothing is offered
    assert (await advance(session, at(date(2086, 10, 1))))["offered"] == 0
    assert await offers_of(session, contract.id) == []

    # then 90 days ahead the offer is made, priced with the uplift, and sent once
    assert (await advance(session, at(date(2086, 10, 2))))["offered"] == 1
    assert (await advance(session, at(date(2086, 10, 2))))["offered"] == 0
    (offer,) = await offers_of(session, contract.id)
    assert offer.stage is OfferStage.OFFERED
    assert (offer.starts_on, offer.ends_on) == (date(2087, 1, 1), date(2087, 12, 31))
    assert offer.price == Decimal("12600.00")
    assert await notifications(session, customer, NotificationEvent.CONTRACT_OFFER) == 1

    # and each reminder step fires on its day, once, however often the clock runs
    reminded = []
    for day in (
        date(2086, 10, 31),
        date(2086, 11, 1),
        date(2086, 11, 1),
        date(2086, 11, 20),
        date(2086, 12, 1),
        date(2086, 12, 2),
        date(2086, 12, 24),
        date(2086, 12, 24),
        date(2086, 12, 31),
    ):
        reminded.append((await advance(session, at(day)))["reminded"])
    assert reminded == [0, 1, 0, 0, 1, 0, 1, 0, 0]
    steps = await session.scalars(
        select(OfferReminder.days_before).where(col(OfferReminder.offer_id) == offer.id)
    )
    assert sorted(steps.all()) == [7, 30, 60]
    assert await notifications(session, customer, NotificationEvent.CONTRACT_OFFER_REMINDER) == 3

    # when nobody answers by the last day, the offer expires the day after
    assert (await advance(session, at(date(2087, 1, 1))))["expired"] == 1
    await session.refresh(offer)
    assert offer.stage is OfferStage.EXPIRED


async def test_a_missed_day_sends_the_latest_step_only(session: AsyncSession) -> None:
    # given an offer made 90 days ahead
    contract = await factories.contract(session, ends_on=date(2085, 12, 31))
    await advance(session, at(date(2085, 10, 2)))

    # when the clock next runs 20 days before the end (the 60 and 30 day steps passed)
    result = await advance(session, at(date(2085, 12, 11)))

    # then one reminder goes out, and both steps count as done
    assert result["reminded"] == 1
    assert (
        await notifications(
            session, contract.customer_id, NotificationEvent.CONTRACT_OFFER_REMINDER
        )
        == 1
    )
    assert (await advance(session, at(date(2085, 12, 12))))["reminded"] == 0


async def test_an_offer_made_late_skips_the_steps_already_past(session: AsyncSession) -> None:
    # given a contract found only 20 days before its end (e.g. created late)
    contract = await factories.contract(session, ends_on=date(2084, 6, 30))
    assert (await advance(session, at(date(2084, 6, 10))))["offered"] == 1

    # then the 60 and 30 day reminders never fire; the 7 day one does
    assert (await advance(session, at(date(2084, 6, 11))))["reminded"] == 0
    assert (await advance(session, at(date(2084, 6, 23))))["reminded"] == 1
    (offer,) = await offers_of(session, contract.id)
    assert offer.stage is OfferStage.OFFERED


async def test_without_a_price_the_price_list_prices_the_renewal(session: AsyncSession) -> None:
    # given a CMC without a recorded price, and a price list (labour 600/h, minimum 300)
    await price_list(session, effective_from=date(2083, 1, 1))
    contract = await factories.contract(
        session, ends_on=date(2083, 12, 31), price=None, kind=factories.ContractKind.CMC
    )

    await advance(session, at(date(2083, 10, 15)))

    # then 4 visits x 1 site x (600 x 1.5 h) + 40% for parts
    (offer,) = await offers_of(session, contract.id)
    assert offer.price == Decimal("5040.00")
    assert "4 visits x 1 items x 900.00" in offer.price_basis


async def test_two_clocks_at_once_make_one_offer_and_one_reminder(
    committed_sessions: SessionFactory,
) -> None:
    # given a committed contract in a year of its own, its offer already made
    async with committed_sessions() as session:
        contract = await factories.contract(session, ends_on=date(2093, 12, 31))
        await session.commit()
    await run_renewals(committed_sessions, None, at(date(2093, 10, 2)))

    # when two instances run the clock at the same moment, twice over
    for day in (date(2093, 11, 1), date(2093, 11, 2)):
        await asyncio.gather(
            run_renewals(committed_sessions, None, at(day)),
            run_renewals(committed_sessions, None, at(day)),
        )

    # then one offer and one reminder exist
    async with committed_sessions() as session:
        offers = await offers_of(session, contract.id)
        assert len(offers) == 1
        assert (
            await notifications(
                session, contract.customer_id, NotificationEvent.CONTRACT_OFFER_REMINDER
            )
            == 1
        )
        assert (
            await notifications(session, contract.customer_id, NotificationEvent.CONTRACT_OFFER)
            == 1
        )


async def test_a_contract_the_database_refuses_is_skipped_and_the_round_goes_on(
    session: AsyncSession,
) -> None:
    # given two contracts due, the first of which the database refuses an offer for
    refused = await factories.contract(session, ends_on=date(2083, 12, 30))
    fine = await factories.contract(session, ends_on=date(2083, 12, 31))
    await session.execute(
        sa.text(
            "CREATE FUNCTION refuse_offer() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.contract_id = {refused.id} THEN "
            "RAISE EXCEPTION 'numeric field overflow' USING ERRCODE = '22003'; END IF; "
            "RETURN NEW; END $$"
        )
    )
    await session.execute(
        sa.text(
            "CREATE TRIGGER refuse_offer BEFORE INSERT ON contract_offers "
            "FOR EACH ROW EXECUTE FUNCTION refuse_offer()"
        )
    )

    result = await advance(session, at(date(2083, 10, 2)))

    # then the refused one is counted as failed and the other is still offered
    assert (result["offered"], result["failed"]) == (1, 1)
    assert await offers_of(session, refused.id) == []
    assert len(await offers_of(session, fine.id)) == 1
