"""Offers through the API: accept -> the next period, decline with a reason, re-offer,
the new-contract process, the signed link, and who may do what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.auth import Role
from app.core.models import utcnow
from app.notifications.models import Notification, NotificationEvent
from app.renewals import links
from app.renewals.models import Offer
from schema.ids import encode_id, split_id
from tests.renewals import factories
from tests.support import GraphQLClient, StatementCounter, error_codes

OFFER_FIELDS = """
id reference stage revision price { amount currency } startsOn endsOn lostReason answeredVia
version supersedes { id stage } contract { id number renewedBy { id } }
newContract { id startsOn endsOn renewedFrom { id } price { amount } coveredSites { id } }
"""
CREATE_RENEWAL = f"""
mutation($input: CreateRenewalOfferInput!) {{
  createRenewalOffer(input: $input) {{ offer {{ {OFFER_FIELDS} }} userErrors {{ field code }} }}
}}
"""
ACCEPT = f"""
mutation($input: AnswerContractOfferInput!) {{
  acceptContractOffer(input: $input) {{ offer {{ {OFFER_FIELDS} }} userErrors {{ field code }} }}
}}
"""
DECLINE = f"""
mutation($input: AnswerContractOfferInput!) {{
  declineContractOffer(input: $input) {{ offer {{ {OFFER_FIELDS} }} userErrors {{ field code }} }}
}}
"""
OFFER = f"""
mutation($input: OfferContractInput!) {{
  offerContract(input: $input) {{ offer {{ {OFFER_FIELDS} }} userErrors {{ field code }} }}
}}
"""
INQUIRY = f"""
mutation($input: CreateContractInquiryInput!) {{
  createContractInquiry(input: $input) {{ offer {{ {OFFER_FIELDS} }} userErrors {{ field code }} }}
}}
"""
CONFIRM = f"""
mutation($input: ConfirmContractOrderInput!) {{
  confirmContractOrder(input: $input) {{ offer {{ {OFFER_FIELDS} }} userErrors {{ field code }} }}
}}
"""
SITES = "query($id: ID!) { node(id: $id) { ... on Contract { coveredSites { id } } } }"
OFFERS = "query { contractOffers { totalCount edges { node { id stage } } } }"
PIPELINE = """
query($from: Date, $to: Date) {
  contractOfferPipeline { stage kind count value { amount } }
  renewalRate(endsFrom: $from, endsTo: $to) { due renewed declined open notOffered rate }
}
"""


async def renewable(session: AsyncSession, days: int = 40) -> tuple[str, str]:
    """(contract global id, customer global id) of an AMC of 12,000 ending in `days`."""
    today = utcnow().date()
    row = await factories.contract(
        session, ends_on=today + timedelta(days=days), starts_on=today - timedelta(days=300)
    )
    assert row.id is not None
    return encode_id("Contract", row.id), encode_id("Customer", row.customer_id)


def customer_of(gql: GraphQLClient, customer_gid: str) -> GraphQLClient:
    return gql.as_role(Role.CUSTOMER, customer_id=_db(customer_gid))


def _db(gid: str) -> int:
    parts = split_id(gid)
    assert parts is not None
    return parts[1]


async def offered(gql: GraphQLClient, contract_id: str, **extra: Any) -> dict[str, Any]:
    payload = await gql.mutate(CREATE_RENEWAL, {"contractId": contract_id, **extra})
    assert payload["userErrors"] == [], payload["userErrors"]
    result: dict[str, Any] = payload["offer"]
    return result


async def test_accepting_a_renewal_creates_the_next_period_linked_to_the_old(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    contract_id, customer_id = await renewable(session)
    offer = await offered(gql, contract_id, idempotencyKey="renew-1")
    assert offer["stage"] == "OFFERED" and offer["price"]["amount"] == "12600.00"

    # when the customer accepts in the app
    payload = await customer_of(gql, customer_id).mutate(ACCEPT, {"offerId": offer["id"]})

    # then a new contract follows the old one, at the offered price, with the same coverage
    accepted = payload["offer"]
    assert payload["userErrors"] == [] and accepted["stage"] == "WON"
    new = accepted["newContract"]
    assert new["renewedFrom"] == {"id": contract_id}
    assert new["startsOn"] == offer["startsOn"] and new["price"]["amount"] == "12600.00"
    assert len(new["coveredSites"]) == 1
    assert accepted["contract"]["renewedBy"] == {"id": new["id"]}
    assert accepted["answeredVia"] == "APP"

    # and a replay of the create, or a second accept, changes nothing
    assert (await offered(gql, contract_id, idempotencyKey="renew-1"))["id"] == offer["id"]
    again = await customer_of(gql, customer_id).mutate(ACCEPT, {"offerId": offer["id"]})
    assert again["offer"]["newContract"]["id"] == new["id"]
    # the customer was told once, naming the new contract
    (told,) = (
        await session.scalars(
            select(Notification).where(
                col(Notification.customer_id) == _db(customer_id),
                col(Notification.event) == NotificationEvent.CONTRACT_OFFER_ANSWERED,
            )
        )
    ).all()
    assert told.data["outcome"].startswith("accepted: contract ")
    # and a renewed contract takes no new offer
    refused = await gql.mutate(CREATE_RENEWAL, {"contractId": contract_id})
    assert error_codes(refused) == ["INVALID_TRANSITION"]


async def test_decline_keeps_the_reason_and_a_re_offer_follows_as_a_new_version(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    contract_id, customer_id = await renewable(session)
    first = await offered(gql, contract_id)
    customer = customer_of(gql, customer_id)

    declined = await customer.mutate(DECLINE, {"offerId": first["id"], "reason": "too dear"})
    assert declined["offer"]["stage"] == "DECLINED"
    assert declined["offer"]["lostReason"] == "too dear"
    assert error_codes(await customer.mutate(ACCEPT, {"offerId": first["id"]})) == [
        "INVALID_TRANSITION"
    ]

    # when the agent re-offers at a lower price
    terms = {"price": {"amount": "11500.00", "currency": "INR"}}
    payload = await gql.as_role(Role.AGENT).mutate(OFFER, {"offerId": first["id"], "terms": terms})
    second = payload["offer"]
    assert payload["userErrors"] == []
    assert (second["revision"], second["stage"]) == (2, "OFFERED")
    assert second["supersedes"] == {"id": first["id"], "stage": "DECLINED"}
    assert second["reference"].endswith("/2")

    # and a third version supersedes the open second one, which can no longer be accepted
    third = (await gql.mutate(OFFER, {"offerId": second["id"], "terms": terms}))["offer"]
    assert third["supersedes"] == {"id": second["id"], "stage": "SUPERSEDED"}
    assert error_codes(await customer.mutate(ACCEPT, {"offerId": second["id"]})) == [
        "INVALID_TRANSITION"
    ]
    won = await customer.mutate(ACCEPT, {"offerId": third["id"]})
    assert won["offer"]["newContract"]["price"]["amount"] == "11500.00"


async def test_one_open_renewal_offer_per_contract(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    contract_id, _ = await renewable(session)
    await offered(gql, contract_id)
    assert error_codes(await gql.mutate(CREATE_RENEWAL, {"contractId": contract_id})) == [
        "DUPLICATE"
    ]


async def test_a_new_contract_goes_inquiry_offer_accept_order(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    contract_id, customer_id = await renewable(session)
    customer = customer_of(gql, customer_id)
    site = (await gql(SITES, {"id": contract_id}))["node"]["coveredSites"][0]["id"]

    inquiry = await customer.mutate(
        INQUIRY, {"customerId": customer_id, "contractKind": "CMC", "notes": "two ACs"}
    )
    assert inquiry["offer"]["stage"] == "INQUIRY"
    start = utcnow().date() + timedelta(days=10)
    terms = {
        "startsOn": start.isoformat(),
        "endsOn": (start + timedelta(days=364)).isoformat(),
        "price": {"amount": "18000.00", "currency": "INR"},
        "coveredSiteIds": [site],
    }
    made = await gql.as_role(Role.AGENT).mutate(
        OFFER, {"offerId": inquiry["offer"]["id"], "terms": terms}
    )
    assert made["offer"]["stage"] == "OFFERED"
    accepted = await customer.mutate(ACCEPT, {"offerId": made["offer"]["id"]})
    assert (accepted["offer"]["stage"], accepted["offer"]["newContract"]) == ("ACCEPTED", None)

    confirmed = await gql.as_role(Role.MANAGER).mutate(CONFIRM, {"offerId": made["offer"]["id"]})
    assert confirmed["offer"]["stage"] == "WON"
    assert confirmed["offer"]["newContract"]["startsOn"] == start.isoformat()
    assert confirmed["offer"]["newContract"]["renewedFrom"] is None


async def test_the_signed_link_shows_accepts_once_and_refuses_forgeries(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    contract_id, _ = await renewable(session)
    offer = await offered(gql, contract_id)
    row = await session.get(Offer, _db(offer["id"]))
    assert row is not None
    token = links.sign(row)
    http: httpx.AsyncClient = gql.http

    shown = await http.get(f"/offers/{token}")
    assert shown.status_code == 200 and shown.json()["stage"] == "OFFERED"

    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert (await http.post(f"/offers/{forged}/accept")).status_code == 400
    other = f"{int(token.split('.')[0]) + 1}." + token.split(".", 1)[1]
    assert (await http.post(f"/offers/{other}/accept")).status_code == 400

    past = int((datetime.now(UTC) - timedelta(days=1)).timestamp())
    body = f"{row.id}.{past}.{row.nonce}"
    expired = f"{body}.{links._mac(body)}"
    assert (await http.post(f"/offers/{expired}/accept")).json()["error"] == "CONFLICT"

    first = await http.post(f"/offers/{token}/accept")
    second = await http.post(f"/offers/{token}/accept")
    assert first.status_code == second.status_code == 200
    assert first.json()["stage"] == "WON"
    assert first.json()["contractNumber"] == second.json()["contractNumber"]
    assert (await http.post(f"/offers/{token}/decline", json={"reason": "x"})).status_code == 409


@pytest.mark.parametrize(
    ("role", "create", "answer", "read"),
    [
        (None, "UNAUTHENTICATED", "UNAUTHENTICATED", "UNAUTHENTICATED"),
        (Role.TECHNICIAN, "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"),
        (Role.PARTNER, "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"),
        (Role.CUSTOMER, "FORBIDDEN", "NOT_FOUND", 0),  # another customer's offer
        (Role.DISPATCHER, "FORBIDDEN", None, 1),
        (Role.AGENT, None, None, 2),  # the offer and the one it created
        (Role.MANAGER, None, None, 2),  # the offer and the one it created
        (Role.ADMIN, None, None, 2),  # the offer and the one it created
    ],
)
async def test_permission_matrix(
    gql: GraphQLClient,
    session: AsyncSession,
    role: Role | None,
    create: str | None,
    answer: str | None,
    read: int | str,
) -> None:
    contract_id, _ = await renewable(session)
    other_id, other_customer = await renewable(session)
    offer = await offered(gql, contract_id)
    caller = gql.as_role(role, technician_id=1, partner_id=1, customer_id=_db(other_customer))

    created = await caller.mutate(CREATE_RENEWAL, {"contractId": other_id})
    assert error_codes(created) == ([create] if create else [])
    answered = await caller.mutate(DECLINE, {"offerId": offer["id"], "reason": "no"})
    assert error_codes(answered) == ([answer] if answer else [])
    body = await caller.raw(OFFERS)
    if isinstance(read, str):
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == [read]
    else:
        assert body["data"]["contractOffers"]["totalCount"] == read


async def test_a_customer_sees_and_answers_only_their_own_offers(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    mine, my_customer = await renewable(session)
    theirs, _ = await renewable(session)
    await offered(gql, mine)
    their_offer = await offered(gql, theirs)
    me = customer_of(gql, my_customer)

    listed = (await me(OFFERS))["contractOffers"]
    assert listed["totalCount"] == 1
    assert error_codes(await me.mutate(ACCEPT, {"offerId": their_offer["id"]})) == ["NOT_FOUND"]
    assert (await me.raw(PIPELINE))["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_pipeline_counts_by_stage_and_the_renewal_rate(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    won_id, won_customer = await renewable(session, days=20)
    lost_id, lost_customer = await renewable(session, days=21)
    open_id, _ = await renewable(session, days=22)
    won = await offered(gql, won_id)
    lost = await offered(gql, lost_id)
    await offered(gql, open_id)
    await customer_of(gql, won_customer).mutate(ACCEPT, {"offerId": won["id"]})
    await customer_of(gql, lost_customer).mutate(DECLINE, {"offerId": lost["id"]})

    today = utcnow().date()
    data = await gql(
        PIPELINE,
        {
            "from": (today + timedelta(days=20)).isoformat(),
            "to": (today + timedelta(days=22)).isoformat(),
        },
    )

    stages = {
        (s["stage"], s["kind"]): (s["count"], Decimal(s["value"]["amount"]))
        for s in data["contractOfferPipeline"]
    }
    assert stages == {
        ("WON", "RENEWAL"): (1, Decimal("12600.00")),
        ("DECLINED", "RENEWAL"): (1, Decimal("12600.00")),
        ("OFFERED", "RENEWAL"): (1, Decimal("12600.00")),
    }
    rate = data["renewalRate"]
    assert (rate["due"], rate["renewed"], rate["declined"], rate["open"]) == (3, 1, 1, 1)
    assert rate["rate"] == 0.5


async def test_inquiries_only_for_oneself_and_stale_offers_refused(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    _, mine = await renewable(session)
    _, theirs = await renewable(session)
    me = customer_of(gql, mine)
    inquiry = {"customerId": theirs, "contractKind": "AMC"}
    assert error_codes(await me.mutate(INQUIRY, inquiry)) == ["NOT_FOUND"]

    own = await me.mutate(INQUIRY, {**inquiry, "customerId": mine, "idempotencyKey": "i-1"})
    replay = await me.mutate(INQUIRY, {**inquiry, "customerId": mine, "idempotencyKey": "i-1"})
    assert replay["offer"]["id"] == own["offer"]["id"]
    stale = await gql.mutate(
        OFFER,
        {"offerId": own["offer"]["id"], "expectedVersion": 99, "terms": {"notes": "x"}},
    )
    assert error_codes(stale) == ["STALE_VERSION"]
    incomplete = await gql.mutate(OFFER, {"offerId": own["offer"]["id"], "terms": {}})
    assert error_codes(incomplete) == ["INVALID"]


async def test_an_expired_renewal_can_be_re_offered_with_a_new_deadline(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    contract_id, customer_id = await renewable(session)
    first = await offered(gql, contract_id)
    row = await session.get(Offer, _db(first["id"]))
    assert row is not None
    row.valid_until = utcnow().date() - timedelta(days=1)
    await session.flush()
    customer = customer_of(gql, customer_id)
    assert error_codes(await customer.mutate(ACCEPT, {"offerId": first["id"]})) == [
        "INVALID_TRANSITION"
    ]

    again = await gql.mutate(OFFER, {"offerId": first["id"], "terms": {}})
    assert again["userErrors"] == [] and again["offer"]["revision"] == 2
    assert (await customer.mutate(ACCEPT, {"offerId": again["offer"]["id"]}))["offer"][
        "stage"
    ] == "WON"


LISTING = """
query { contractOffers(first: 50) { edges { node {
  reference customer { name } contract { number renewedBy { id } } newContract { number }
  supersedes { id }
} } } }
"""


async def test_listing_offers_costs_the_same_for_one_or_many(
    gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    first_id, _ = await renewable(session)
    await offered(gql, first_id)
    statements.reset()
    await gql(LISTING)
    one = statements.total

    for _ in range(4):
        contract_id, customer_id = await renewable(session)
        offer = await offered(gql, contract_id)
        await customer_of(gql, customer_id).mutate(ACCEPT, {"offerId": offer["id"]})
    statements.reset()
    data = await gql(LISTING)

    assert len(data["contractOffers"]["edges"]) == 5
    assert statements.total <= one + 1  # the new contracts' loader joins in once
