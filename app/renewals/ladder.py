"""The renewal clock: offers for contracts coming due, reminders up the ladder, expiry.

Every server instance runs it. One transaction-scoped advisory lock lets one run at a time
(a second run waits, then finds the work done); the unique index on open renewal offers and
the (offer, step) key of reminders keep a duplicate out even without it.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import sqlalchemy as sa
import structlog
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.contracts.models import Contract, ContractKind
from app.core.errors import DomainError
from app.customers.models import Customer
from app.notifications.models import NotificationEvent
from app.notifications.outbox import enqueue_once
from app.renewals import service
from app.renewals.models import Offer, OfferKind, OfferReminder, OfferStage, RenewalPolicy

log = structlog.get_logger("fieldgraph.renewals")

LOCK_KEY = 7_203_114_620
"""The advisory lock that keeps two renewal runs from overlapping."""


async def advance(session: AsyncSession, now: datetime) -> dict[str, int]:
    """One round: offer, remind, expire. Counts what it did."""
    await session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    counts: Counter[str] = Counter()
    for kind in ContractKind:
        policy = await service.policy_for(session, kind)
        await _offer_due(session, policy, now, counts)
        await _remind(session, policy, now, counts)
    counts["expired"] += await _expire(session, now)
    return {"offered": 0, "reminded": 0, "expired": 0, "unpriced": 0, "failed": 0} | dict(counts)


def _due_contracts(policy: RenewalPolicy, now: datetime) -> SelectOfScalar[Contract]:
    today = now.date()
    renewed = select(Contract.renewed_from_id).where(col(Contract.renewed_from_id).is_not(None))
    offered = select(Offer.contract_id).where(
        col(Offer.kind) == OfferKind.RENEWAL, col(Offer.contract_id).is_not(None)
    )
    return (
        select(Contract)
        .join(Customer, col(Customer.id) == col(Contract.customer_id))
        .where(
            col(Contract.kind) == policy.contract_kind,
            col(Contract.archived_at).is_(None),
            col(Customer.archived_at).is_(None),
            col(Contract.ends_on) >= today,
            col(Contract.ends_on) <= today + timedelta(days=policy.lead_days),
            col(Contract.id).not_in(renewed),
            col(Contract.id).not_in(offered),
        )
        .order_by(col(Contract.ends_on), col(Contract.id))
    )


async def _offer_due(
    session: AsyncSession, policy: RenewalPolicy, now: datetime, counts: Counter[str]
) -> None:
    for contract in (await session.scalars(_due_contracts(policy, now))).all():
        try:
            async with session.begin_nested():
                offer = await service.renewal_offer(session, contract, now)
                await session.flush()
                await service.send(session, offer, now)
        except DomainError as error:  # no price list, coverage gone: staff offer by hand
            counts["unpriced"] += 1
            log.info("renewal not offered", contract=contract.number, reason=str(error))
            continue
        except IntegrityError:  # a staff offer got there first
            continue
        except DBAPIError as error:  # a value the database refuses: skip it, keep the round
            counts["failed"] += 1
            log.warning("renewal offer failed", contract=contract.number, error=str(error.orig))
            continue
        counts["offered"] += 1


async def _remind(
    session: AsyncSession, policy: RenewalPolicy, now: datetime, counts: Counter[str]
) -> None:
    """For each open renewal offer, the ladder steps now due: all are recorded, the latest
    one is sent (a job that missed a day sends one reminder, not three)."""
    today = now.date()
    statement = (
        select(Offer, col(Contract.ends_on))
        .join(Contract, col(Contract.id) == col(Offer.contract_id))
        .where(
            col(Offer.kind) == OfferKind.RENEWAL,
            col(Offer.stage) == OfferStage.OFFERED,
            col(Offer.contract_kind) == policy.contract_kind,
            col(Contract.archived_at).is_(None),
            col(Contract.ends_on) >= today,
        )
        .order_by(col(Offer.id))
    )
    for offer, ends_on in (await session.execute(statement)).all():
        assert offer.sent_at is not None and offer.id is not None
        days_left = (ends_on - today).days
        steps = [
            d
            for d in policy.reminder_days
            if days_left <= d and offer.sent_at.date() < ends_on - timedelta(days=d)
        ]
        if not steps:
            continue
        inserted = await session.execute(
            insert(OfferReminder)
            .values([{"offer_id": offer.id, "days_before": d, "sent_at": now} for d in steps])
            .on_conflict_do_nothing(index_elements=["offer_id", "days_before"])
            .returning(col(OfferReminder.days_before))
        )
        new_steps = set(inserted.scalars().all())
        latest = min(steps)
        if latest not in new_steps:
            continue
        data = await service.message_values(session, offer)
        data |= {"days_left": days_left, "step": latest}
        await enqueue_once(
            session,
            NotificationEvent.CONTRACT_OFFER_REMINDER,
            f"contract-offer-reminder:{offer.id}:{latest}",
            customer_id=offer.customer_id,
            data=data,
        )
        counts["reminded"] += 1


async def _expire(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        sa.update(Offer)
        .where(
            col(Offer.stage) == OfferStage.OFFERED,
            col(Offer.valid_until) < now.date(),
        )
        .values(stage=OfferStage.EXPIRED, updated_at=now, version=col(Offer.version) + 1)
        .returning(col(Offer.id))
    )
    return len(result.scalars().all())
