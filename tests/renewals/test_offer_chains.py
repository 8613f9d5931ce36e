"""Re-offers follow the newest version of a chain only, and a contract period is renewed once:
an old declined version cannot be re-offered into a second renewal or a second open offer."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.contracts.models import Contract
from app.core.models import utcnow
from tests.renewals.test_offers import (
    ACCEPT,
    CONFIRM,
    DECLINE,
    INQUIRY,
    OFFER,
    PIPELINE,
    SITES,
    _db,
    customer_of,
    offered,
    renewable,
)
from tests.support import GraphQLClient, error_codes


async def test_an_old_declined_renewal_cannot_be_re_offered_after_the_renewal_is_won(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    contract_id, customer_id = await renewable(session)
    customer = customer_of(gql, customer_id)
    first = await offered(gql, contract_id)
    await customer.mutate(DECLINE, {"offerId": first["id"], "reason": "too dear"})
    second = (await gql.mutate(OFFER, {"offerId": first["id"], "terms": {}}))["offer"]
    won = await customer.mutate(ACCEPT, {"offerId": second["id"]})
    assert won["offer"]["stage"] == "WON"

    # when staff re-offer the old declined first version again
    again = await gql.mutate(OFFER, {"offerId": first["id"], "terms": {}})

    # then it is refused, and the contract keeps exactly one renewal
    assert (again["offer"], error_codes(again)) == (None, ["INVALID_TRANSITION"])
    renewals = await session.scalar(
        select(func.count())
        .select_from(Contract)
        .where(col(Contract.renewed_from_id) == _db(contract_id))
    )
    assert renewals == 1


async def test_a_declined_new_contract_offer_is_re_offered_once(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    contract_id, customer_id = await renewable(session)
    customer = customer_of(gql, customer_id)
    site = (await gql(SITES, {"id": contract_id}))["node"]["coveredSites"][0]["id"]
    inquiry = await customer.mutate(INQUIRY, {"customerId": customer_id, "contractKind": "CMC"})
    start = utcnow().date() + timedelta(days=10)
    terms = {
        "startsOn": start.isoformat(),
        "endsOn": (start + timedelta(days=364)).isoformat(),
        "price": {"amount": "18000.00", "currency": "INR"},
        "coveredSiteIds": [site],
    }
    first = (await gql.mutate(OFFER, {"offerId": inquiry["offer"]["id"], "terms": terms}))["offer"]
    await customer.mutate(DECLINE, {"offerId": first["id"], "reason": "later"})

    second = await gql.mutate(OFFER, {"offerId": first["id"], "terms": {}})
    third = await gql.mutate(OFFER, {"offerId": first["id"], "terms": {}})

    assert (second["userErrors"], second["offer"]["stage"]) == ([], "OFFERED")
    assert (third["offer"], error_codes(third)) == (None, ["INVALID_TRANSITION"])


async def test_accepting_refuses_when_the_contract_was_renewed_meanwhile(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    contract_id, customer_id = await renewable(session)
    offer = await offered(gql, contract_id)
    old = await session.get(Contract, _db(contract_id))
    assert old is not None
    session.add(
        Contract(
            number=f"AMC-R-{old.id}",
            kind=old.kind,
            customer_id=old.customer_id,
            starts_on=old.ends_on + timedelta(days=1),
            ends_on=old.ends_on + timedelta(days=365),
            renewed_from_id=old.id,
        )
    )
    await session.flush()

    payload = await customer_of(gql, customer_id).mutate(ACCEPT, {"offerId": offer["id"]})

    assert (payload["offer"], error_codes(payload)) == (None, ["INVALID_TRANSITION"])


async def test_the_pipeline_counts_a_re_offered_chain_once(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    contract_id, customer_id = await renewable(session)
    first = await offered(gql, contract_id)
    await customer_of(gql, customer_id).mutate(DECLINE, {"offerId": first["id"]})
    await gql.mutate(OFFER, {"offerId": first["id"], "terms": {}})

    data = await gql(PIPELINE)

    assert [
        (s["stage"], s["kind"], s["count"], s["value"]["amount"])
        for s in data["contractOfferPipeline"]
    ] == [("OFFERED", "RENEWAL", 1, "12600.00")]


async def test_a_replayed_re_offer_returns_the_same_version(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    contract_id, _ = await renewable(session)
    first = await offered(gql, contract_id)
    sent = {"offerId": first["id"], "terms": {}, "idempotencyKey": "re-offer-1"}

    second = await gql.mutate(OFFER, sent)
    replay = await gql.mutate(OFFER, sent)

    assert replay == second and second["offer"]["revision"] == 2


async def test_a_retried_order_confirmation_returns_the_won_offer(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    contract_id, customer_id = await renewable(session)
    customer = customer_of(gql, customer_id)
    site = (await gql(SITES, {"id": contract_id}))["node"]["coveredSites"][0]["id"]
    inquiry = await customer.mutate(INQUIRY, {"customerId": customer_id, "contractKind": "CMC"})
    start = utcnow().date() + timedelta(days=10)
    terms = {
        "startsOn": start.isoformat(),
        "endsOn": (start + timedelta(days=364)).isoformat(),
        "price": {"amount": "18000.00", "currency": "INR"},
        "coveredSiteIds": [site],
    }
    made = (await gql.mutate(OFFER, {"offerId": inquiry["offer"]["id"], "terms": terms}))["offer"]
    accepted = (await customer.mutate(ACCEPT, {"offerId": made["id"]}))["offer"]
    sent = {"offerId": made["id"], "expectedVersion": accepted["version"]}

    first = await gql.mutate(CONFIRM, sent)
    retry = await gql.mutate(CONFIRM, sent)

    assert first["userErrors"] == retry["userErrors"] == []
    assert retry["offer"]["newContract"]["id"] == first["offer"]["newContract"]["id"]
