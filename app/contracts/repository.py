"""Contract queries, scoped to what the caller may read, and the coverage look-ups."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.contracts.models import Contract, ContractCoverage
from app.core.auth import Principal
from app.customers.repository import customer_scope


def readable(principal: Principal | None) -> SelectOfScalar[Contract]:
    return select(Contract).where(customer_scope(principal, col(Contract.customer_id)))


def listed(
    principal: Principal | None,
    *,
    customer_id: int | None = None,
    active_on: date | None = None,
    include_archived: bool = False,
) -> SelectOfScalar[Contract]:
    statement = readable(principal)
    if customer_id is not None:
        statement = statement.where(col(Contract.customer_id) == customer_id)
    if active_on is not None:
        statement = statement.where(
            col(Contract.starts_on) <= active_on, col(Contract.ends_on) >= active_on
        )
    if not include_archived or active_on is not None:
        statement = statement.where(col(Contract.archived_at).is_(None))
    return statement


async def get_readable(
    session: AsyncSession, principal: Principal | None, contract_id: int
) -> Contract | None:
    return await session.scalar(readable(principal).where(col(Contract.id) == contract_id))


async def coverages_of(session: AsyncSession, contract_id: int) -> list[ContractCoverage]:
    rows = await session.scalars(
        select(ContractCoverage).where(col(ContractCoverage.contract_id) == contract_id)
    )
    return list(rows.all())


async def candidates(
    session: AsyncSession, asset_ids: Collection[int], site_ids: Collection[int]
) -> list[tuple[Contract, int | None, int | None]]:
    """Unarchived contracts covering any of the assets or sites, with what each row covers."""
    statement = (
        select(Contract, ContractCoverage.asset_id, ContractCoverage.site_id)
        .join(ContractCoverage, col(ContractCoverage.contract_id) == col(Contract.id))
        .where(
            col(Contract.archived_at).is_(None),
            or_(
                col(ContractCoverage.asset_id).in_(list(asset_ids)),
                col(ContractCoverage.site_id).in_(list(site_ids)),
            ),
        )
        .order_by(col(Contract.id))
    )
    return [(row[0], row[1], row[2]) for row in (await session.execute(statement)).all()]
