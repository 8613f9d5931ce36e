"""An offer is sent only with terms the customer can accept: what the contract it creates
must have, checked when the offer is made; the signed link never answers 500."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.renewals import links
from app.renewals.models import Offer
from tests.customers import factories as customers
from tests.renewals.test_offers import CREATE_RENEWAL, OFFER, _db, offered, renewable
from tests.support import GraphQLClient


def problems(payload: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        ({"visitsPerYear": 366}, [(["visitsPerYear"], "INVALID")]),
        ({"slaResponseHours": 0}, [(["slaResponseHours"], "INVALID")]),
        (
            {"slaResponseHours": 8, "slaResolutionHours": 4},
            [(["slaResolutionHours"], "INVALID")],
        ),
        ({"price": {"amount": "100.00", "currency": "inr"}}, [(["currency"], "INVALID")]),
        ({"contractKind": "EXTENDED_WARRANTY"}, [(["coveredSiteIds"], "INVALID")]),
    ],
)
async def test_a_renewal_offer_with_terms_no_contract_may_have_is_refused(
    gql: GraphQLClient,
    session: AsyncSession,
    terms: dict[str, Any],
    expected: list[tuple[list[str], str]],
) -> None:
    contract_id, _ = await renewable(session)

    payload = await gql.mutate(CREATE_RENEWAL, {"contractId": contract_id, "terms": terms})

    assert (payload["offer"], problems(payload)) == (None, expected)


async def test_a_re_offer_is_checked_the_same_way(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    contract_id, _ = await renewable(session)
    first = await offered(gql, contract_id)

    payload = await gql.mutate(OFFER, {"offerId": first["id"], "terms": {"visitsPerYear": 999}})

    assert (payload["offer"], problems(payload)) == (None, [(["visitsPerYear"], "INVALID")])


async def test_another_customers_asset_cannot_be_covered(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    contract_id, _ = await renewable(session)
    stranger = await customers.household(gql, name="Ravi Iyer", serial="SN-OTHER")

    payload = await gql.mutate(
        CREATE_RENEWAL,
        {"contractId": contract_id, "terms": {"coveredAssetIds": [stranger["asset"]["id"]]}},
    )

    assert (payload["offer"], problems(payload)) == (
        None,
        [(["coveredAssetIds", "0"], "NOT_FOUND")],
    )


async def test_accepting_by_link_an_offer_that_breaks_the_rules_is_refused_not_500(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given an offer sent before the rules were checked (written straight to the row)
    contract_id, _ = await renewable(session)
    offer = await offered(gql, contract_id)
    row = await session.get(Offer, _db(offer["id"]))
    assert row is not None
    row.visits_per_year = 999
    await session.flush()

    response = await gql.http.post(f"/offers/{links.sign(row)}/accept")

    assert response.status_code == 400
    assert (response.json()["error"], response.json()["field"]) == ("INVALID", ["visitsPerYear"])
