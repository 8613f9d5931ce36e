"""Offer rules: renewal offers, new-contract inquiries and offers, re-offers, answers, and the
order confirmation that creates the contract.

An offer row is one version: a re-offer supersedes the open version (or follows a declined or
expired one) with a new row, `revision` + 1, so what the customer saw is kept as sent.
Accepting a renewal creates the contract's next period at once, linked by `renewed_from_id`;
accepting a new-contract offer waits for staff to confirm the order, which creates it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import Asset
from app.contracts import repository as contracts
from app.contracts.models import Contract, ContractCreate, ContractKind
from app.contracts.service import check_contract, create_contract
from app.core.errors import (
    DomainError,
    ErrorCode,
    FieldProblem,
    NotFound,
    camel,
    collect,
    from_validation,
)
from app.core.models import utcnow
from app.core.repository import check_version, flush_unique, get_for_update
from app.customers.models import Customer, Site
from app.notifications.models import NotificationEvent
from app.notifications.outbox import enqueue
from app.renewals import links
from app.renewals.models import (
    OPEN_STAGES,
    Offer,
    OfferKind,
    OfferStage,
    RenewalPolicy,
)
from app.renewals.pricing import Quote, list_price, uplifted


@dataclass(frozen=True, slots=True)
class Terms:
    """Terms staff give an offer; None keeps what the offer (or the policy) already says."""

    contract_kind: ContractKind | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    price: Decimal | None = None
    currency: str | None = None
    covers_labour: bool | None = None
    covers_parts: bool | None = None
    visits_per_year: int | None = None
    sla_response_hours: int | None = None
    sla_resolution_hours: int | None = None
    covered_asset_ids: list[int] | None = None
    covered_site_ids: list[int] | None = None
    valid_until: date | None = None
    notes: str | None = None


# -- policies -------------------------------------------------------------------------------


async def policy_for(session: AsyncSession, kind: ContractKind) -> RenewalPolicy:
    """The stored policy of a kind, or the defaults when none is stored."""
    return await session.get(RenewalPolicy, kind) or RenewalPolicy(contract_kind=kind)


POLICY_RANGES: dict[str, tuple[Decimal, Decimal]] = {
    "lead_days": (Decimal(1), Decimal(730)),
    "uplift_percent": (Decimal(-100), Decimal(1000)),
    "term_months": (Decimal(1), Decimal(60)),
    "visits_per_year": (Decimal(0), Decimal(365)),
    "hours_per_visit": (Decimal("0.25"), Decimal(24)),
    "parts_loading_percent": (Decimal(0), Decimal(1000)),
    "offer_valid_days": (Decimal(1), Decimal(365)),
}


def _policy_problems(values: dict[str, Any]) -> list[FieldProblem]:
    problems = []
    for name, (low, high) in POLICY_RANGES.items():
        value = values.get(name)
        if value is not None and not low <= Decimal(value) <= high:
            problems.append(
                FieldProblem(f"{name} is {low} to {high}", ErrorCode.INVALID, [camel(name)])
            )
    days = values.get("reminder_days")
    if days is not None and any(d < 0 or d > 730 for d in days):
        problems.append(
            FieldProblem("reminder days are 0 to 730", ErrorCode.INVALID, ["reminderDays"])
        )
    return problems


async def update_policy(
    session: AsyncSession, kind: ContractKind, values: dict[str, Any], expected: int | None
) -> RenewalPolicy:
    """Change a kind's policy (stored on first change; defaults until then)."""
    policy = await session.get(RenewalPolicy, kind, with_for_update=True)
    stored = policy is not None
    policy = policy or RenewalPolicy(contract_kind=kind)
    check_version(policy, expected)
    collect(_policy_problems(values))
    if values.get("reminder_days") is not None:
        values["reminder_days"] = sorted(set(values["reminder_days"]), reverse=True)
    for name, value in values.items():
        setattr(policy, name, value)
    if stored:
        policy.version += 1
    else:
        session.add(policy)
    policy.updated_at = utcnow()
    await session.flush()
    return policy


# -- quoting --------------------------------------------------------------------------------


def next_period(contract: Contract, policy: RenewalPolicy) -> tuple[date, date]:
    starts = contract.ends_on + timedelta(days=1)
    return starts, starts + relativedelta(months=policy.term_months) - timedelta(days=1)


async def quote_renewal(
    session: AsyncSession, contract: Contract, policy: RenewalPolicy, items: int
) -> Quote:
    if contract.price is not None:
        return uplifted(contract.price, contract.currency, policy)
    return await list_price(
        session,
        policy,
        on=contract.ends_on + timedelta(days=1),
        visits_per_year=contract.visits_per_year,
        items=items,
        covers_parts=contract.covers_parts,
    )


# -- creating and sending --------------------------------------------------------------------


def offer_ref(offer: Offer) -> str:
    return f"OF-{offer.id}" + (f"/{offer.revision}" if offer.revision > 1 else "")


async def send(session: AsyncSession, offer: Offer, now: datetime) -> None:
    """Mark the offer sent and queue it to the customer (their preferred channel)."""
    offer.stage, offer.sent_at = OfferStage.OFFERED, now
    await session.flush()
    enqueue(
        session,
        NotificationEvent.CONTRACT_OFFER,
        customer_id=offer.customer_id,
        data=await message_values(session, offer),
        key=f"contract-offer:{offer.id}",
    )


async def message_values(session: AsyncSession, offer: Offer) -> dict[str, Any]:
    customer = await session.get(Customer, offer.customer_id)
    contract = await session.get(Contract, offer.contract_id) if offer.contract_id else None
    return {
        "offer_id": offer.id,
        "offer_ref": offer_ref(offer),
        "customer_name": customer.name if customer else "",
        "contract_kind": offer.contract_kind.value,
        "contract_number": contract.number if contract else "",
        "expires_on": contract.ends_on.isoformat() if contract else "",
        "starts_on": offer.starts_on.isoformat() if offer.starts_on else "",
        "ends_on": offer.ends_on.isoformat() if offer.ends_on else "",
        "price": str(offer.price) if offer.price is not None else "",
        "currency": offer.currency,
        "offer_link": links.url(offer),
    }


async def renewal_offer(
    session: AsyncSession,
    contract: Contract,
    now: datetime,
    *,
    actor: str = "system",
    terms: Terms | None = None,
) -> Offer:
    """A renewal offer for the contract's next period, priced and sent (not flushed under a
    savepoint: the caller handles the one-open-offer-per-contract unique index)."""
    if contract.archived_at is not None:
        raise DomainError("the contract is archived", ErrorCode.INVALID, ["contractId"])
    assert contract.id is not None
    await refuse_renewed(session, contract.id)
    policy = await policy_for(session, contract.kind)
    covered = await contracts.coverages_of(session, contract.id)
    starts, ends = next_period(contract, policy)
    offer = Offer(
        kind=OfferKind.RENEWAL,
        stage=OfferStage.OFFERED,
        customer_id=contract.customer_id,
        contract_id=contract.id,
        contract_kind=contract.kind,
        starts_on=starts,
        ends_on=ends,
        covers_labour=contract.covers_labour,
        covers_parts=contract.covers_parts,
        visits_per_year=contract.visits_per_year,
        sla_response_hours=contract.sla_response_hours,
        sla_resolution_hours=contract.sla_resolution_hours,
        covered_asset_ids=[c.asset_id for c in covered if c.asset_id],
        covered_site_ids=[c.site_id for c in covered if c.site_id],
        valid_until=contract.ends_on,
        currency=contract.currency,
        nonce=secrets.token_urlsafe(16),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    _apply(offer, terms or Terms())
    if offer.price is None:
        quote = await quote_renewal(session, contract, policy, len(covered))
        offer.price, offer.currency, offer.price_basis = quote.price, quote.currency, quote.basis
    await check_terms(session, offer)
    session.add(offer)
    return offer


async def refuse_renewed(
    session: AsyncSession, contract_id: int, field: str = "contractId"
) -> None:
    """INVALID_TRANSITION when the contract already has its next period."""
    renewed = await session.scalar(
        select(Contract.id).where(col(Contract.renewed_from_id) == contract_id)
    )
    if renewed is not None:
        raise DomainError("the contract was already renewed", ErrorCode.INVALID_TRANSITION, [field])


async def expire_renewal_offers(
    session: AsyncSession, contract_id: int, reason: str, now: datetime
) -> int:
    """The contract was archived or ended early: its open renewal offers expire (the period
    they offer no longer follows it), with the reason kept. Returns how many did."""
    result = await session.execute(
        sa.update(Offer)
        .where(
            col(Offer.contract_id) == contract_id,
            col(Offer.kind) == OfferKind.RENEWAL,
            col(Offer.stage).in_(OPEN_STAGES),
        )
        .values(
            stage=OfferStage.EXPIRED,
            lost_reason=reason[:500],
            updated_at=now,
            version=col(Offer.version) + 1,
        )
        .returning(col(Offer.id))
        .execution_options(synchronize_session="fetch")
    )
    return len(result.scalars().all())


async def create_renewal_offer(
    session: AsyncSession, contract_id: int, terms: Terms, actor: str, now: datetime
) -> Offer:
    """Staff offer a renewal by hand (before the job does, or with their own terms)."""
    contract = await get_for_update(session, Contract, contract_id, what="contract")
    offer = await renewal_offer(session, contract, now, actor=actor, terms=terms)
    await flush_unique(
        session, "contractId", "the contract has an open renewal offer: re-offer it instead"
    )
    await send(session, offer, now)
    return offer


async def create_inquiry(
    session: AsyncSession,
    customer_id: int,
    kind: ContractKind,
    notes: str | None,
    actor: str,
    now: datetime,
) -> Offer:
    """A customer's request for a contract: the first step of a new-contract offer."""
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("customer", ["customerId"])
    if customer.archived_at is not None:
        raise DomainError("the customer is archived", ErrorCode.INVALID, ["customerId"])
    offer = Offer(
        kind=OfferKind.NEW_CONTRACT,
        stage=OfferStage.INQUIRY,
        customer_id=customer_id,
        contract_kind=kind,
        nonce=secrets.token_urlsafe(16),
        notes=notes,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(offer)
    await session.flush()
    return offer


async def make_offer(
    session: AsyncSession,
    offer_id: int,
    terms: Terms,
    expected: int | None,
    actor: str,
    now: datetime,
) -> Offer:
    """Offer terms: an inquiry becomes an offer; an open, declined or expired offer is
    re-offered as a new version that supersedes it. Sent at once."""
    current = await get_for_update(session, Offer, offer_id, what="offer")
    check_version(current, expected)
    if current.stage is OfferStage.INQUIRY:
        offer = current
        offer.touch()
    elif current.stage in (OfferStage.OFFERED, OfferStage.DECLINED, OfferStage.EXPIRED):
        offer = await _next_version(session, current, actor, now)
    else:
        raise DomainError(
            f"a {current.stage} offer cannot be offered again",
            ErrorCode.INVALID_TRANSITION,
            ["offerId"],
        )
    _apply(offer, terms)
    if offer.valid_until is None or offer.valid_until < now.date():
        policy = await policy_for(session, offer.contract_kind)
        offer.valid_until = now.date() + timedelta(days=policy.offer_valid_days)
    await check_terms(session, offer)
    await flush_unique(session, "offerId", "a newer version of this offer exists")
    await send(session, offer, now)
    return offer


async def _next_version(session: AsyncSession, current: Offer, actor: str, now: datetime) -> Offer:
    """A new version after `current`, which must be the newest of its chain; a renewal only
    while the contract has no next period and no other open offer."""
    newer = await session.scalar(select(Offer.id).where(col(Offer.supersedes_id) == current.id))
    if newer is not None:
        raise DomainError(
            "a newer version of this offer exists: re-offer that one",
            ErrorCode.INVALID_TRANSITION,
            ["offerId"],
        )
    if current.kind is OfferKind.RENEWAL:
        assert current.contract_id is not None
        contract = await session.get(Contract, current.contract_id)
        if contract is None or contract.archived_at is not None:
            raise DomainError("the contract is archived", ErrorCode.INVALID, ["offerId"])
        await refuse_renewed(session, current.contract_id, "offerId")
        newer = await session.scalar(
            select(Offer.id).where(
                col(Offer.contract_id) == current.contract_id,
                col(Offer.kind) == OfferKind.RENEWAL,
                col(Offer.stage).in_(OPEN_STAGES),
                col(Offer.id) != current.id,
            )
        )
        if newer is not None:
            raise DomainError(
                "a newer version of this offer is open", ErrorCode.INVALID_TRANSITION, ["offerId"]
            )
    if current.stage is OfferStage.OFFERED:
        current.stage = OfferStage.SUPERSEDED
        current.touch()
        await session.flush()
    values = current.model_dump(
        exclude={"id", "stage", "version", "sent_at", "answered_at", "answered_via"}
        | {"lost_reason", "created_at", "updated_at", "archived_at", "supersedes_id"}
    )
    offer = Offer.model_validate(
        values
        | {
            "stage": OfferStage.OFFERED,
            "supersedes_id": current.id,
            "revision": current.revision + 1,
            "nonce": secrets.token_urlsafe(16),
            "created_by": actor,
            "created_at": now,
            "updated_at": now,
            "valid_until": current.valid_until if current.kind is OfferKind.RENEWAL else None,
        }
    )
    session.add(offer)
    return offer


def _apply(offer: Offer, terms: Terms) -> None:
    for field in fields(terms):
        value = getattr(terms, field.name)
        if value is not None:
            setattr(offer, field.name, value)
    if terms.price is not None:
        offer.price_basis = "set by staff"


async def check_terms(session: AsyncSession, offer: Offer) -> None:
    """An offer is sent only with terms the customer can accept: those the contract it would
    create must have (checked by the contract's own rules), with the customer's own assets
    and sites covered."""
    _check_complete(offer)
    await _check_covered(session, offer)
    await check_contract(session, contract_terms(offer))


def contract_terms(offer: Offer) -> ContractCreate:
    """The contract an accepted offer creates; INVALID problems when a term breaks its rules."""
    assert offer.starts_on is not None and offer.ends_on is not None
    try:
        return ContractCreate(
            customer_id=offer.customer_id,
            kind=offer.contract_kind,
            starts_on=offer.starts_on,
            ends_on=offer.ends_on,
            covers_labour=offer.covers_labour,
            covers_parts=offer.covers_parts,
            sla_response_hours=offer.sla_response_hours,
            sla_resolution_hours=offer.sla_resolution_hours,
            visits_per_year=offer.visits_per_year,
            price=offer.price,
            currency=offer.currency,
            covered_asset_ids=list(offer.covered_asset_ids),
            covered_site_ids=list(offer.covered_site_ids),
        )
    except ValidationError as error:
        raise from_validation(error) from error


def _check_complete(offer: Offer) -> None:
    if offer.starts_on is None or offer.ends_on is None:
        raise DomainError("an offer needs its period", ErrorCode.INVALID, ["startsOn"])
    if offer.ends_on < offer.starts_on:
        raise DomainError("the period ends before it starts", ErrorCode.INVALID, ["endsOn"])
    if offer.price is None:
        raise DomainError("an offer needs a price", ErrorCode.INVALID, ["price"])
    if not offer.covered_asset_ids and not offer.covered_site_ids:
        raise DomainError(
            "cover at least one asset or site", ErrorCode.INVALID, ["coveredAssetIds"]
        )


async def _check_covered(session: AsyncSession, offer: Offer) -> None:
    """Covered assets and sites must be the customer's (the contract checks the rest)."""
    for model, ids, field, what in (
        (Asset, offer.covered_asset_ids, "coveredAssetIds", "asset"),
        (Site, offer.covered_site_ids, "coveredSiteIds", "site"),
    ):
        if not ids:
            continue
        owners = await session.execute(
            select(model.id, model.customer_id).where(col(model.id).in_(ids))
        )
        found: dict[Any, Any] = dict(owners.all())
        for index, db_id in enumerate(ids):
            if found.get(db_id) != offer.customer_id:
                raise NotFound(f"the customer's {what}", [field, str(index)])


# -- answers --------------------------------------------------------------------------------


async def answer(
    session: AsyncSession,
    offer: Offer,
    *,
    accept: bool,
    via: str,
    now: datetime,
    reason: str | None = None,
) -> Offer:
    """The customer's answer (through the app, the signed link or staff on their behalf).
    Answering again the same way changes nothing; the other way is INVALID_TRANSITION."""
    done = (OfferStage.ACCEPTED, OfferStage.WON) if accept else (OfferStage.DECLINED,)
    if offer.stage in done and offer.answered_at is not None:
        return offer
    if offer.stage is OfferStage.SUPERSEDED:
        raise DomainError(
            "this offer was replaced by a newer one", ErrorCode.INVALID_TRANSITION, ["offerId"]
        )
    if offer.stage is not OfferStage.OFFERED:
        raise DomainError(
            f"the offer is {offer.stage}: it cannot be answered",
            ErrorCode.INVALID_TRANSITION,
            ["offerId"],
        )
    if offer.valid_until is not None and now.date() > offer.valid_until:
        raise DomainError("the offer has expired", ErrorCode.INVALID_TRANSITION, ["offerId"])
    offer.answered_at, offer.answered_via = now, via[:40]
    offer.touch()
    if not accept:
        offer.stage = OfferStage.DECLINED
        offer.lost_reason = (reason or "no reason given").strip()[:500]
    elif offer.kind is OfferKind.RENEWAL:
        await _conclude(session, offer)
    else:
        offer.stage = OfferStage.ACCEPTED
    await session.flush()
    await acknowledge(session, offer)
    return offer


async def acknowledge(session: AsyncSession, offer: Offer) -> None:
    """Tell the customer what their answer (or the order confirmation) did."""
    contract = await session.get(Contract, offer.new_contract_id) if offer.new_contract_id else None
    if contract is not None:
        outcome = (
            f"accepted: contract {contract.number} runs from {contract.starts_on} "
            f"to {contract.ends_on}"
        )
    elif offer.stage is OfferStage.ACCEPTED:
        outcome = "accepted: we will confirm your order shortly"
    else:
        outcome = "declined: thank you for letting us know"
    enqueue(
        session,
        NotificationEvent.CONTRACT_OFFER_ANSWERED,
        customer_id=offer.customer_id,
        data=await message_values(session, offer) | {"outcome": outcome},
        key=f"contract-offer-answered:{offer.id}:{offer.stage.value}",
    )


async def confirm_order(
    session: AsyncSession, offer_id: int, expected: int | None, now: datetime
) -> Offer:
    """Staff confirm the order of an accepted new-contract offer: the contract is created."""
    offer = await get_for_update(session, Offer, offer_id, what="offer")
    if offer.stage is OfferStage.WON:
        return offer  # confirmed already: a retry gets the same answer, whatever its version
    check_version(offer, expected)
    if offer.stage is not OfferStage.ACCEPTED:
        raise DomainError(
            "only an accepted offer can be confirmed as an order",
            ErrorCode.INVALID_TRANSITION,
            ["offerId"],
        )
    offer.touch()
    await _conclude(session, offer)
    await session.flush()
    await acknowledge(session, offer)
    return offer


async def _conclude(session: AsyncSession, offer: Offer) -> None:
    """Create the contract the offer describes; a renewal links it to the period it renews,
    which must still be current, unrenewed and end the day before the offer starts."""
    assert offer.starts_on is not None and offer.ends_on is not None
    if offer.contract_id is not None:
        renewed = await get_for_update(session, Contract, offer.contract_id, what="contract")
        if renewed.archived_at is not None:
            raise DomainError(
                "the contract was archived", ErrorCode.INVALID_TRANSITION, ["offerId"]
            )
        await refuse_renewed(session, offer.contract_id, "offerId")
        if offer.starts_on != renewed.ends_on + timedelta(days=1):
            raise DomainError(
                "the contract's end changed: the offer no longer follows it",
                ErrorCode.INVALID_TRANSITION,
                ["offerId"],
            )
    contract = await create_contract(session, contract_terms(offer))
    contract.renewed_from_id = offer.contract_id
    offer.new_contract_id = contract.id
    offer.stage = OfferStage.WON


async def answer_by_id(
    session: AsyncSession,
    offer_id: int,
    *,
    accept: bool,
    via: str,
    expected: int | None = None,
    reason: str | None = None,
) -> Offer:
    offer = await _lock_for_answer(session, offer_id)
    if offer is None:
        raise NotFound("offer", ["offerId"])
    if offer.stage is OfferStage.OFFERED:
        check_version(offer, expected)
    return await answer(session, offer, accept=accept, via=via, now=utcnow(), reason=reason)


async def answer_by_link(
    session: AsyncSession, token: str, *, accept: bool, now: datetime, reason: str | None = None
) -> Offer:
    offer = await offer_by_link(session, token, now, lock=True)
    return await answer(session, offer, accept=accept, via="LINK", now=now, reason=reason)


async def offer_by_link(
    session: AsyncSession, token: str, now: datetime, *, lock: bool = False
) -> Offer:
    claims = links.verify(token, now)
    if lock:
        offer = await _lock_for_answer(session, claims.offer_id)
    else:
        offer = await session.get(Offer, claims.offer_id)
    if offer is None or offer.nonce != claims.nonce:
        raise NotFound("offer", ["token"])
    return offer


async def _lock_for_answer(session: AsyncSession, offer_id: int) -> Offer | None:
    """The offer locked, its renewed contract locked first: archiving or ending the contract
    takes the same two locks in the same order."""
    contract_id = await session.scalar(select(Offer.contract_id).where(col(Offer.id) == offer_id))
    if contract_id is not None:
        await session.scalar(
            select(Contract.id).where(col(Contract.id) == contract_id).with_for_update()
        )
    offer: Offer | None = await session.scalar(
        select(Offer).where(col(Offer.id) == offer_id).with_for_update()
    )
    return offer
