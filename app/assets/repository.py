"""Product model and asset queries, scoped to what the caller may read."""

from __future__ import annotations

from sqlalchemy import func, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, select, true
from sqlmodel.sql.expression import SelectOfScalar

from app.assets.models import Asset, ProductCategory, ProductModel
from app.core.auth import Principal
from app.customers.repository import customer_scope, escape_like


def readable_product_models(principal: Principal | None) -> SelectOfScalar[ProductModel]:
    """The catalogue is open to every authenticated caller."""
    return select(ProductModel).where(true() if principal is not None else false())


def listed_product_models(
    principal: Principal | None,
    *,
    category: ProductCategory | None = None,
    search: str | None = None,
    include_archived: bool = False,
) -> SelectOfScalar[ProductModel]:
    statement = readable_product_models(principal)
    if category is not None:
        statement = statement.where(col(ProductModel.category) == category)
    term = (search or "").strip()
    if term:
        pattern = f"%{escape_like(term)}%"
        statement = statement.where(
            or_(
                col(ProductModel.code).ilike(pattern),
                col(ProductModel.name).ilike(pattern),
                col(ProductModel.brand).ilike(pattern),
            )
        )
    if not include_archived:
        statement = statement.where(col(ProductModel.archived_at).is_(None))
    return statement


async def get_readable_product_model(
    session: AsyncSession, principal: Principal | None, product_model_id: int
) -> ProductModel | None:
    return await session.scalar(
        readable_product_models(principal).where(col(ProductModel.id) == product_model_id)
    )


def readable(principal: Principal | None) -> SelectOfScalar[Asset]:
    return select(Asset).where(customer_scope(principal, col(Asset.customer_id)))


def listed(
    principal: Principal | None,
    *,
    customer_id: int | None = None,
    site_id: int | None = None,
    serial_number: str | None = None,
    include_archived: bool = False,
) -> SelectOfScalar[Asset]:
    statement = readable(principal)
    if customer_id is not None:
        statement = statement.where(col(Asset.customer_id) == customer_id)
    if site_id is not None:
        statement = statement.where(col(Asset.site_id) == site_id)
    if serial_number is not None and serial_number.strip():
        statement = statement.where(
            func.lower(col(Asset.serial_number)) == serial_number.strip().lower()
        )
    if not include_archived:
        statement = statement.where(col(Asset.archived_at).is_(None))
    return statement


async def get_readable(
    session: AsyncSession, principal: Principal | None, asset_id: int
) -> Asset | None:
    return await session.scalar(readable(principal).where(col(Asset.id) == asset_id))


async def lock_readable(
    session: AsyncSession, principal: Principal | None, asset_id: int
) -> Asset | None:
    return await session.scalar(
        readable(principal).where(col(Asset.id) == asset_id).with_for_update()
    )
