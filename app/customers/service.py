"""Customer and site business rules: create, update and archive, with customer self-service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import Asset
from app.core.auth import Principal
from app.core.errors import DomainError, ErrorCode, FieldProblem, Forbidden, NotFound, collect
from app.core.models import utcnow
from app.core.repository import apply_changes, check_version, get_for_update
from app.customers import repository
from app.customers.models import (
    NOT_NULL_CUSTOMER_FIELDS,
    NOT_NULL_SITE_FIELDS,
    Customer,
    CustomerCreate,
    CustomerUpdate,
    Site,
    SiteCreate,
    SiteUpdate,
)


def api_name(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def reject_nulls(changes: Mapping[str, Any], required: frozenset[str]) -> None:
    """An update may clear optional fields, never required ones."""
    collect(
        [
            FieldProblem(f"{api_name(name)} cannot be cleared", ErrorCode.INVALID, [api_name(name)])
            for name, value in changes.items()
            if value is None and name in required
        ]
    )


async def _check_external_ref(
    session: AsyncSession, external_ref: str | None, customer_id: int | None = None
) -> None:
    if external_ref is None:
        return
    clash = await session.scalar(
        select(Customer.id).where(
            col(Customer.external_ref) == external_ref,
            col(Customer.archived_at).is_(None),
            col(Customer.id) != (customer_id or 0),
        )
    )
    if clash is not None:
        raise DomainError(
            f"a customer with external reference {external_ref} exists",
            ErrorCode.DUPLICATE,
            ["externalRef"],
        )


async def create_customer(session: AsyncSession, data: CustomerCreate) -> Customer:
    await _check_external_ref(session, data.external_ref)
    customer = Customer.model_validate(data)
    customer.preferred_channels = [str(channel) for channel in data.preferred_channels]
    session.add(customer)
    await session.flush()
    return customer


async def update_customer(
    session: AsyncSession, customer_id: int, changes: CustomerUpdate, expected_version: int | None
) -> Customer:
    customer = await get_for_update(session, Customer, customer_id, what="customer")
    check_version(customer, expected_version)
    values = changes.model_dump(exclude_unset=True)
    reject_nulls(values, NOT_NULL_CUSTOMER_FIELDS)
    if "external_ref" in values:
        await _check_external_ref(session, values["external_ref"], customer_id)
    if "preferred_channels" in values:
        values["preferred_channels"] = [str(c) for c in values["preferred_channels"]]
    apply_changes(customer, values)
    customer.touch()
    await session.flush()
    return customer


async def archive_customer(
    session: AsyncSession, customer_id: int, expected_version: int | None
) -> Customer:
    """Archive the customer with its sites and assets; contracts keep their own periods."""
    customer = await get_for_update(session, Customer, customer_id, what="customer")
    check_version(customer, expected_version)
    if customer.archived_at is not None:
        return customer
    now = utcnow()
    customer.archived_at = now
    customer.touch()
    for model in (Site, Asset):
        await session.execute(
            update(model)
            .where(col(model.customer_id) == customer_id, col(model.archived_at).is_(None))
            .values(archived_at=now, updated_at=now, version=col(model.version) + 1)
        )
    await session.flush()
    return customer


async def _customer_for_site(session: AsyncSession, principal: Principal, customer_id: int) -> None:
    if not repository.may_act_for(principal, customer_id):
        raise Forbidden("you may only add sites to your own account", ["customerId"])
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("customer", ["customerId"])
    if customer.archived_at is not None:
        raise DomainError("the customer is archived", ErrorCode.INVALID, ["customerId"])


async def create_site(session: AsyncSession, principal: Principal, data: SiteCreate) -> Site:
    await _customer_for_site(session, principal, data.customer_id)
    site = Site.model_validate(data)
    session.add(site)
    await session.flush()
    return site


async def lock_site(session: AsyncSession, principal: Principal, site_id: int) -> Site:
    """The site for a write, locked; NOT_FOUND when absent or not the caller's to see."""
    site = await repository.lock_readable_site(session, principal, site_id)
    if site is None:
        raise NotFound("site", ["id"])
    return site


async def update_site(
    session: AsyncSession,
    principal: Principal,
    site_id: int,
    changes: SiteUpdate,
    expected_version: int | None,
) -> Site:
    site = await lock_site(session, principal, site_id)
    check_version(site, expected_version)
    values = changes.model_dump(exclude_unset=True)
    reject_nulls(values, NOT_NULL_SITE_FIELDS)
    apply_changes(site, values)
    site.touch()
    await session.flush()
    return site


async def archive_site(
    session: AsyncSession, principal: Principal, site_id: int, expected_version: int | None
) -> Site:
    """Archive a site that no longer holds active assets (move or archive them first)."""
    site = await lock_site(session, principal, site_id)
    check_version(site, expected_version)
    if site.archived_at is not None:
        return site
    holding = await session.scalar(
        select(Asset.id).where(col(Asset.site_id) == site_id, col(Asset.archived_at).is_(None))
    )
    if holding is not None:
        raise DomainError(
            "the site still holds active assets; move or archive them first",
            ErrorCode.CONFLICT,
            ["id"],
        )
    site.archived_at = utcnow()
    site.touch()
    await session.flush()
    return site
