"""Product catalogue and installed-asset rules: warranty dates, e-warranty, moves between sites."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.assets import repository
from app.assets.models import (
    NOT_NULL_ASSET_FIELDS,
    NOT_NULL_PRODUCT_MODEL_FIELDS,
    Asset,
    AssetRegister,
    AssetUpdate,
    ProductModel,
    ProductModelCreate,
    ProductModelUpdate,
)
from app.core.auth import Principal
from app.core.errors import DomainError, ErrorCode, FieldProblem, NotFound, collect
from app.core.models import utcnow
from app.core.repository import apply_changes, check_version, flush_unique, get_for_update
from app.customers import repository as customers
from app.customers.models import Site
from app.customers.service import reject_nulls

# -- product models -----------------------------------------------------------------------


async def create_product_model(session: AsyncSession, data: ProductModelCreate) -> ProductModel:
    model = ProductModel.model_validate(data)
    session.add(model)
    await flush_unique(session, "code", f"a product model with code {data.code} exists")
    return model


async def update_product_model(
    session: AsyncSession,
    product_model_id: int,
    changes: ProductModelUpdate,
    expected_version: int | None,
) -> ProductModel:
    model = await get_for_update(session, ProductModel, product_model_id, what="product model")
    check_version(model, expected_version)
    values = changes.model_dump(exclude_unset=True)
    reject_nulls(values, NOT_NULL_PRODUCT_MODEL_FIELDS)
    apply_changes(model, values)
    model.touch()
    await session.flush()
    return model


async def archive_product_model(
    session: AsyncSession, product_model_id: int, expected_version: int | None
) -> ProductModel:
    """An archived model keeps its installed assets but takes no new registrations."""
    model = await get_for_update(session, ProductModel, product_model_id, what="product model")
    check_version(model, expected_version)
    if model.archived_at is None:
        model.archived_at = utcnow()
        model.touch()
        await session.flush()
    return model


# -- warranty -----------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def warranty_expiry(
    model: ProductModel, sold_on: date | None, installed_on: date | None
) -> date | None:
    """The last day of the manufacturer's warranty, counted from purchase (else installation)."""
    began = sold_on or installed_on
    if began is None or model.warranty_months <= 0:
        return None
    return add_months(began, model.warranty_months) - timedelta(days=1)


def certificate_number(asset_id: int, registered_on: date) -> str:
    """`EW-<year>-<asset id, 8 digits>-<Luhn check digit>`: unique per asset, reproducible."""
    body = f"{registered_on.year}{asset_id:08d}"
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return f"EW-{registered_on.year}-{asset_id:08d}-{(10 - total % 10) % 10}"


def _date_problems(asset: Asset) -> list[FieldProblem]:
    problems = []
    if asset.sold_on and asset.installed_on and asset.installed_on < asset.sold_on:
        problems.append(
            FieldProblem("installation cannot precede the sale", ErrorCode.INVALID, ["installedOn"])
        )
    began = asset.sold_on or asset.installed_on
    if asset.warranty_expires_on and began and asset.warranty_expires_on < began:
        problems.append(
            FieldProblem(
                "the warranty cannot expire before it begins",
                ErrorCode.INVALID,
                ["warrantyExpiresOn"],
            )
        )
    return problems


# -- assets -------------------------------------------------------------------------------


async def _product_model(session: AsyncSession, product_model_id: int) -> ProductModel:
    model = await session.get(ProductModel, product_model_id)
    if model is None:
        raise NotFound("product model", ["productModelId"])
    if model.archived_at is not None:
        raise DomainError("the product model is archived", ErrorCode.INVALID, ["productModelId"])
    return model


async def _site(session: AsyncSession, principal: Principal, site_id: int) -> Site:
    site = await customers.get_readable_site(session, principal, site_id)
    if site is None:
        raise NotFound("site", ["siteId"])
    if site.archived_at is not None:
        raise DomainError("the site is archived", ErrorCode.INVALID, ["siteId"])
    return site


def _issue_certificate(asset: Asset, today: date, field: str) -> None:
    if asset.ewarranty_certificate is not None:
        raise DomainError(
            f"the e-warranty is already registered as {asset.ewarranty_certificate}",
            ErrorCode.CONFLICT,
            [field],
        )
    if asset.sold_on is None and asset.installed_on is None:
        raise DomainError(
            "an e-warranty needs the date of sale or installation",
            ErrorCode.INVALID,
            [field],
        )
    if not asset.under_warranty(today):
        raise DomainError("the asset is not under warranty", ErrorCode.INVALID, [field])
    assert asset.id is not None
    asset.ewarranty_certificate = certificate_number(asset.id, today)
    asset.ewarranty_registered_on = today


async def register_asset(
    session: AsyncSession, principal: Principal, data: AssetRegister, today: date
) -> Asset:
    model = await _product_model(session, data.product_model_id)
    site = await _site(session, principal, data.site_id)
    asset = Asset.model_validate(
        data.model_dump(exclude={"register_ewarranty"}) | {"customer_id": site.customer_id}
    )
    if asset.warranty_expires_on is None:
        asset.warranty_expires_on = warranty_expiry(model, asset.sold_on, asset.installed_on)
    collect(_date_problems(asset))
    session.add(asset)
    await flush_unique(
        session, "serialNumber", f"serial {data.serial_number} is already registered"
    )
    if data.register_ewarranty:
        _issue_certificate(asset, today, "registerEwarranty")
        await session.flush()
    return asset


async def lock_asset(session: AsyncSession, principal: Principal, asset_id: int) -> Asset:
    asset = await repository.lock_readable(session, principal, asset_id)
    if asset is None:
        raise NotFound("asset", ["id"])
    return asset


async def update_asset(
    session: AsyncSession,
    principal: Principal,
    asset_id: int,
    changes: AssetUpdate,
    expected_version: int | None,
) -> Asset:
    """Correct an asset's details or move it to another site of the same customer.

    A new sale/installation date or product model recomputes the warranty expiry unless the
    same update sets it explicitly."""
    asset = await lock_asset(session, principal, asset_id)
    check_version(asset, expected_version)
    values = changes.model_dump(exclude_unset=True)
    reject_nulls(values, NOT_NULL_ASSET_FIELDS)
    if "site_id" in values and values["site_id"] != asset.site_id:
        site = await _site(session, principal, values["site_id"])
        if site.customer_id != asset.customer_id:
            raise DomainError(
                "an asset can move only between sites of its own customer",
                ErrorCode.INVALID,
                ["siteId"],
            )
    model_id = values.get("product_model_id", asset.product_model_id)
    model_changed = model_id != asset.product_model_id
    model = (
        await _product_model(session, model_id)
        if model_changed
        else await session.get(ProductModel, model_id)
    )
    assert model is not None
    apply_changes(asset, values)
    recompute = model_changed or {"sold_on", "installed_on"} & values.keys()
    if recompute and "warranty_expires_on" not in values:
        asset.warranty_expires_on = warranty_expiry(model, asset.sold_on, asset.installed_on)
    collect(_date_problems(asset))
    asset.touch()
    await flush_unique(session, "serialNumber", "this serial is already registered for the model")
    return asset


async def register_ewarranty(
    session: AsyncSession,
    principal: Principal,
    asset_id: int,
    expected_version: int | None,
    today: date,
) -> Asset:
    asset = await lock_asset(session, principal, asset_id)
    check_version(asset, expected_version)
    _issue_certificate(asset, today, "id")
    asset.touch()
    await session.flush()
    return asset


async def archive_asset(
    session: AsyncSession, principal: Principal, asset_id: int, expected_version: int | None
) -> Asset:
    asset = await lock_asset(session, principal, asset_id)
    check_version(asset, expected_version)
    if asset.archived_at is None:
        asset.archived_at = utcnow()
        asset.touch()
        await session.flush()
    return asset
