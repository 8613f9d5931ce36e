"""A contract archived or ended early takes its open renewal offer with it: the offer expires,
cannot be accepted, and the ladder stops reminding."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.contracts.models import Contract
from app.core.models import utcnow
from app.renewals.ladder import advance
from app.renewals.models import Offer, OfferStage
from tests.renewals import factories
from tests.renewals.test_ladder import at
from tests.renewals.test_offers import ACCEPT, _db, customer_of, offered, renewable
from tests.support import GraphQLClient, error_codes

ARCHIVE = """
mutation($input: ArchiveInput!) {
  archiveContract(input: $input) { contract { id archivedAt } userErrors { field code } }
}
"""
END = """
mutation($input: EndContractInput!) {
  endContract(input: $input) { contract { id endsOn } userErrors { field code } }
}
"""


async def _stage(session: AsyncSession, offer_gid: str) -> tuple[OfferStage, str | None]:
    stage, reason = (
        await session.execute(
            select(Offer.stage, Offer.lost_reason).where(col(Offer.id) == _db(offer_gid))
        )
    ).one()
    return stage, reason


async def test_archiving_a_contract_expires_its_open_renewal_offer(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    contract_id, customer_id = await renewable(session)
    offer = await offered(gql, contract_id)

    archived = await gql.mutate(ARCHIVE, {"id": contract_id})

    assert archived["userErrors"] == []
    assert await _stage(session, offer["id"]) == (OfferStage.EXPIRED, "the contract was archived")
    refused = await customer_of(gql, customer_id).mutate(ACCEPT, {"offerId": offer["id"]})
    assert error_codes(refused) == ["INVALID_TRANSITION"]


async def test_ending_a_contract_early_expires_its_open_renewal_offer(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    contract_id, customer_id = await renewable(session)
    offer = await offered(gql, contract_id)
    early = utcnow().date() + timedelta(days=5)

    ended = await gql.mutate(
        END, {"contractId": contract_id, "endsOn": early.isoformat(), "reason": "site sold"}
    )

    assert ended["userErrors"] == []
    assert await _stage(session, offer["id"]) == (
        OfferStage.EXPIRED,
        "contract ended early: site sold",
    )
    refused = await customer_of(gql, customer_id).mutate(ACCEPT, {"offerId": offer["id"]})
    assert error_codes(refused) == ["INVALID_TRANSITION"]


async def test_accepting_refuses_an_offer_whose_contract_was_archived_or_moved(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given offers whose contracts changed behind them (written straight to the rows)
    archived_id, archived_customer = await renewable(session)
    moved_id, moved_customer = await renewable(session)
    archived_offer = await offered(gql, archived_id)
    moved_offer = await offered(gql, moved_id)
    archived = await session.get(Contract, _db(archived_id))
    moved = await session.get(Contract, _db(moved_id))
    assert archived is not None and moved is not None
    archived.archived_at = utcnow()
    moved.ends_on = moved.ends_on - timedelta(days=3)
    await session.flush()

    for customer, offer in ((archived_customer, archived_offer), (moved_customer, moved_offer)):
        payload = await customer_of(gql, customer).mutate(ACCEPT, {"offerId": offer["id"]})
        assert (payload["offer"], error_codes(payload)) == (None, ["INVALID_TRANSITION"])


async def test_the_ladder_does_not_remind_for_an_archived_contract(session: AsyncSession) -> None:
    contract = await factories.contract(session, ends_on=date(2084, 12, 31))
    assert (await advance(session, at(date(2084, 10, 2))))["offered"] == 1
    contract.archived_at = at(date(2084, 10, 20))
    await session.flush()

    # the 60-day step falls due
    assert (await advance(session, at(date(2084, 11, 1))))["reminded"] == 0
