"""Offer queries scoped to the caller, and the pipeline figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col, func, select
from sqlmodel.sql.expression import SelectOfScalar

from app.contracts.models import Contract
from app.core.auth import Principal, Role
from app.customers.repository import customer_scope
from app.renewals.models import Offer, OfferKind, OfferStage


def readable(principal: Principal | None) -> SelectOfScalar[Offer]:
    """Staff read every offer, a customer their own; technicians and partners none (offers
    are commercial, not field work)."""
    if principal is not None and principal.role in (Role.TECHNICIAN, Role.PARTNER):
        return select(Offer).where(sa.false())
    return select(Offer).where(customer_scope(principal, col(Offer.customer_id)))


def listed(
    principal: Principal | None,
    *,
    stages: list[OfferStage] | None = None,
    kind: OfferKind | None = None,
    customer_id: int | None = None,
    contract_id: int | None = None,
) -> SelectOfScalar[Offer]:
    statement = readable(principal)
    if stages:
        statement = statement.where(col(Offer.stage).in_(stages))
    if kind is not None:
        statement = statement.where(col(Offer.kind) == kind)
    if customer_id is not None:
        statement = statement.where(col(Offer.customer_id) == customer_id)
    if contract_id is not None:
        statement = statement.where(col(Offer.contract_id) == contract_id)
    return statement


async def get_readable(
    session: AsyncSession, principal: Principal | None, offer_id: int
) -> Offer | None:
    return await session.scalar(readable(principal).where(col(Offer.id) == offer_id))


async def customer_of(session: AsyncSession, offer_id: int) -> int | None:
    """The customer an offer is made to; None when there is no such offer."""
    customer_id: int | None = await session.scalar(
        select(Offer.customer_id).where(col(Offer.id) == offer_id)
    )
    return customer_id


@dataclass(frozen=True, slots=True)
class StageFigure:
    stage: OfferStage
    kind: OfferKind
    count: int
    value: Decimal
    currency: str


async def by_stage(
    session: AsyncSession, created_from: date | None, created_to: date | None
) -> list[StageFigure]:
    """Offers per stage and kind with their total value; only the newest version of each
    chain counts (a superseded, or a declined or expired one re-offered since, is left out)."""
    successor = aliased(Offer)
    replaced = sa.exists().where(col(successor.supersedes_id) == col(Offer.id))
    statement = (
        sa.select(
            col(Offer.stage),
            col(Offer.kind),
            col(Offer.currency),
            func.count(),
            func.sum(Offer.price),
        )
        .where(col(Offer.stage) != OfferStage.SUPERSEDED, ~replaced)
        .group_by(col(Offer.stage), col(Offer.kind), col(Offer.currency))
        .order_by(col(Offer.kind), col(Offer.stage), col(Offer.currency))
    )
    if created_from is not None:
        statement = statement.where(func.date(Offer.created_at) >= created_from)
    if created_to is not None:
        statement = statement.where(func.date(Offer.created_at) <= created_to)
    rows = (await session.execute(statement)).all()
    return [
        StageFigure(stage, kind, count, total or Decimal("0.00"), currency)
        for stage, kind, currency, count, total in rows
    ]


@dataclass(frozen=True, slots=True)
class RenewalRate:
    due: int
    """Contracts ending in the period."""
    renewed: int
    declined: int
    expired: int
    open: int
    not_offered: int

    @property
    def rate(self) -> float | None:
        """Renewed over those decided (renewed, declined, expired); None before any is."""
        decided = self.renewed + self.declined + self.expired
        return round(self.renewed / decided, 4) if decided else None


async def renewal_rate(session: AsyncSession, ends_from: date, ends_to: date) -> RenewalRate:
    """How the contracts ending in [from, to] fared: each counted once, by its latest offer."""
    latest = (
        select(
            Offer.contract_id,
            Offer.stage,
            func.row_number()
            .over(partition_by=col(Offer.contract_id), order_by=col(Offer.id).desc())
            .label("n"),
        )
        .where(col(Offer.kind) == OfferKind.RENEWAL)
        .subquery()
    )
    renewed = select(Contract.renewed_from_id).where(col(Contract.renewed_from_id).is_not(None))
    outcome = sa.case(
        (col(Contract.id).in_(renewed), "WON"),
        else_=sa.func.coalesce(latest.c.stage, "NONE"),
    )
    statement = (
        select(outcome, func.count())
        .select_from(Contract)
        .outerjoin(latest, sa.and_(latest.c.contract_id == Contract.id, latest.c.n == 1))
        .where(col(Contract.ends_on).between(ends_from, ends_to))
        .group_by(outcome)
    )
    counts = dict((await session.execute(statement)).all())
    return RenewalRate(
        due=sum(counts.values()),
        renewed=counts.get("WON", 0),
        declined=counts.get("DECLINED", 0),
        expired=counts.get("EXPIRED", 0),
        open=sum(counts.get(s, 0) for s in ("INQUIRY", "OFFERED", "ACCEPTED")),
        not_offered=counts.get("NONE", 0),
    )


@dataclass(frozen=True, slots=True)
class ExpiryMonth:
    month: date
    count: int
    value: Decimal
    renewed: int
    offered: int


async def expiring_by_month(session: AsyncSession, first: date, months: int) -> list[ExpiryMonth]:
    """Unarchived contracts ending per month from `first`'s month, with their value, how many
    are renewed and how many have an open offer."""
    start = first.replace(day=1)
    end = _month_after(start, months)
    month = func.date_trunc("month", Contract.ends_on)
    renewed = select(Contract.renewed_from_id).where(col(Contract.renewed_from_id).is_not(None))
    offered = select(Offer.contract_id).where(
        col(Offer.kind) == OfferKind.RENEWAL, col(Offer.stage) == OfferStage.OFFERED
    )
    statement = (
        sa.select(
            month,
            func.count(),
            func.coalesce(func.sum(Contract.price), 0),
            func.count().filter(col(Contract.id).in_(renewed)),
            func.count().filter(col(Contract.id).in_(offered)),
        )
        .where(
            col(Contract.archived_at).is_(None),
            col(Contract.ends_on) >= start,
            col(Contract.ends_on) < end,
        )
        .group_by(month)
        .order_by(month)
    )
    rows = (await session.execute(statement)).all()
    found = {m.date(): (c, v, r, o) for m, c, v, r, o in rows}
    result = []
    current = start
    for _ in range(months):
        count, value, renewed_n, offered_n = found.get(current, (0, Decimal(0), 0, 0))
        result.append(ExpiryMonth(current, count, Decimal(value), renewed_n, offered_n))
        current = _month_after(current, 1)
    return result


def _month_after(first: date, months: int) -> date:
    index = first.month - 1 + months
    return date(first.year + index // 12, index % 12 + 1, 1)
