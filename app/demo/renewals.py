"""The demo's renewal pipeline as a going business has it: the renewal clock has run through
the last two months (offers, reminders, expiries), customers answered some offers (renewed,
declined with a reason, a re-offer after a decline), and a few customers without a contract
are somewhere in the new-contract process (inquiry, offer, accepted, ordered).

Deterministic: choices come from the offer ids. The messages of past days count as sent.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.contracts.models import (
    CONTRACT_NUMBER_SEQUENCE,
    Contract,
    ContractCoverage,
    ContractKind,
)
from app.notifications.models import Notification, NotificationEvent, NotificationStatus
from app.renewals import service
from app.renewals.ladder import advance
from app.renewals.models import Offer, OfferKind, OfferStage

LOST_REASONS = (
    "Price too high",
    "Moving to another provider",
    "Equipment being replaced",
    "Will call when needed",
)
DESK = "demo:sales-desk"
NEW_CONTRACT_STAGES = 8
"""Customers taken through the new-contract process, spread over its stages."""


async def run_pipeline(session: AsyncSession, now: datetime) -> Counter[str]:
    """Offers at every stage on the demo contracts; counts by stage."""
    await _number_after_demo_contracts(session)
    for days_ago in (60, 45, 30, 14, 7, 1):
        await advance(session, now - timedelta(days=days_ago))
    await _answers(session, now)
    await advance(session, now)
    await _new_contracts(session, now)
    await session.execute(
        sa.update(Notification)
        .where(
            col(Notification.event).in_(
                (
                    NotificationEvent.CONTRACT_OFFER,
                    NotificationEvent.CONTRACT_OFFER_REMINDER,
                    NotificationEvent.CONTRACT_OFFER_ANSWERED,
                )
            ),
            col(Notification.status) == NotificationStatus.PENDING,
        )
        .values(status=NotificationStatus.SENT, sent_at=now)
    )
    rows = await session.execute(
        sa.select(col(Offer.stage), sa.func.count()).group_by(col(Offer.stage))
    )
    return Counter({str(stage): count for stage, count in rows.all()})


async def _number_after_demo_contracts(session: AsyncSession) -> None:
    """Demo contract numbers carry their ids (CMC-2026-000002); generated numbers come from
    the sequence, which must start past them or a renewal's number would clash."""
    await session.execute(
        sa.text(
            f"SELECT setval('{CONTRACT_NUMBER_SEQUENCE}', "
            "(SELECT coalesce(max(id), 0) + 1 FROM contracts), false)"
        )
    )


async def _answers(session: AsyncSession, now: datetime) -> None:
    """Of the open renewal offers, in order: a third renewed, a sixth declined (half of those
    re-offered at a discount), a sixth revised before any answer, the rest left waiting or
    to expire."""
    offers = (
        await session.scalars(
            select(Offer)
            .where(col(Offer.stage) == OfferStage.OFFERED, col(Offer.kind) == OfferKind.RENEWAL)
            .order_by(col(Offer.id))
        )
    ).all()
    for index, offer in enumerate(offers):
        assert offer.id is not None and offer.sent_at is not None
        answered_at = min(offer.sent_at + timedelta(days=3 + offer.id % 10), now)
        if offer.valid_until is not None and answered_at.date() > offer.valid_until:
            continue
        pick = index % 6
        if pick in (0, 1):
            via = ("LINK", "APP", "STAFF")[offer.id % 3]
            await service.answer(session, offer, accept=True, via=via, now=answered_at)
        elif pick == 2:
            reason = LOST_REASONS[offer.id % len(LOST_REASONS)]
            await service.answer(
                session, offer, accept=False, via="LINK", now=answered_at, reason=reason
            )
            if offer.id % 2 == 0:
                await _reoffer(session, offer, answered_at + timedelta(days=1))
        elif pick == 3:  # the desk revised the price before an answer
            await _reoffer(session, offer, answered_at)


async def _reoffer(session: AsyncSession, offer: Offer, at: datetime) -> None:
    assert offer.id is not None and offer.price is not None
    discount = (offer.price * Decimal("0.95")).quantize(Decimal("0.01"))
    await service.make_offer(session, offer.id, service.Terms(price=discount), None, DESK, at)


async def _new_contracts(session: AsyncSession, now: datetime) -> None:
    """Customers whose contracts all ended (else any, from the last) ask for a CMC."""
    active = select(Contract.customer_id).where(col(Contract.ends_on) >= now.date())
    lapsed = (
        await session.scalars(
            select(Contract.customer_id)
            .where(col(Contract.customer_id).not_in(active))
            .distinct()
            .order_by(col(Contract.customer_id))
            .limit(NEW_CONTRACT_STAGES)
        )
    ).all()
    extra = (
        await session.scalars(
            select(Contract.customer_id)
            .distinct()
            .order_by(col(Contract.customer_id).desc())
            .limit(NEW_CONTRACT_STAGES - len(lapsed))
        )
    ).all()
    for step, customer_id in enumerate([*lapsed, *extra]):
        await _new_contract(session, customer_id, step % 4, now - timedelta(days=20 - step))


async def _new_contract(session: AsyncSession, customer_id: int, stage: int, at: datetime) -> None:
    inquiry = await service.create_inquiry(
        session, customer_id, ContractKind.CMC, "Asked for a yearly CMC at the last visit", DESK, at
    )
    if stage == 0:
        return
    covered = (
        await session.scalars(
            select(ContractCoverage)
            .join(Contract, col(Contract.id) == col(ContractCoverage.contract_id))
            .where(col(Contract.customer_id) == customer_id)
            .order_by(col(ContractCoverage.id).desc())
            .limit(1)
        )
    ).first()
    if covered is None:
        return
    starts = at.date() + timedelta(days=15)
    terms = service.Terms(
        starts_on=starts,
        ends_on=starts + timedelta(days=364),
        price=Decimal("14400.00"),
        visits_per_year=4,
        covers_parts=True,
        covered_asset_ids=[covered.asset_id] if covered.asset_id else None,
        covered_site_ids=[covered.site_id] if covered.site_id else None,
    )
    assert inquiry.id is not None
    offer = await service.make_offer(session, inquiry.id, terms, None, DESK, at + timedelta(days=1))
    if stage >= 2:
        await service.answer(session, offer, accept=True, via="APP", now=at + timedelta(days=3))
    if stage >= 3:
        assert offer.id is not None
        await service.confirm_order(session, offer.id, None, at + timedelta(days=4))
