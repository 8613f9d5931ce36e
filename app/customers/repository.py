"""Customer and site queries, scoped to what the caller may read.

Every customer-owned row (sites here; assets and contracts in their domains) is scoped by
one clause over its customer id, `customer_scope`: staff see all, a customer user sees their
own customer, anyone else nothing. Letting technicians or partners see the customers of their
own tasks is one more branch there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal, Role
from app.customers.models import SEARCH_COLUMNS, Customer, Site
from app.technicians.models import Technician
from app.work_orders.models import Task


def customer_scope(principal: Principal | None, customer_id: Any) -> ColumnElement[bool]:
    """The condition on a customer id column under which `principal` may read the row."""
    if principal is None:
        return false()
    if principal.is_staff:
        return true()
    if principal.role is Role.CUSTOMER and principal.customer_id is not None:
        return customer_id == principal.customer_id
    if principal.role is Role.TECHNICIAN and principal.technician_id is not None:
        return customer_id.in_(_customers_served_by([principal.technician_id]))
    if principal.role is Role.PARTNER and principal.partner_id is not None:
        partner_people = select(Technician.id).where(
            col(Technician.partner_id) == principal.partner_id
        )
        return customer_id.in_(_customers_served_by(partner_people))
    return false()


def _customers_served_by(technician_ids: Any) -> Any:
    """Customers with a task given to one of these technicians: their field work needs them."""
    return select(Task.customer_id).where(col(Task.technician_id).in_(technician_ids))


def may_act_for(principal: Principal, customer_id: int) -> bool:
    """Whether `principal` may write on behalf of this customer (staff, or the customer)."""
    return principal.is_staff or (
        principal.role is Role.CUSTOMER and principal.customer_id == customer_id
    )


def readable(principal: Principal | None) -> SelectOfScalar[Customer]:
    return select(Customer).where(customer_scope(principal, col(Customer.id)))


def escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def listed(
    principal: Principal | None, *, search: str | None = None, include_archived: bool = False
) -> SelectOfScalar[Customer]:
    statement = readable(principal)
    if not include_archived:
        statement = statement.where(col(Customer.archived_at).is_(None))
    term = (search or "").strip()
    if term:
        pattern = f"%{escape_like(term)}%"
        statement = statement.where(
            or_(*(getattr(Customer, name).ilike(pattern) for name in SEARCH_COLUMNS))
        )
    return statement


async def get_readable(
    session: AsyncSession, principal: Principal | None, customer_id: int
) -> Customer | None:
    return await session.scalar(readable(principal).where(col(Customer.id) == customer_id))


def readable_sites(principal: Principal | None) -> SelectOfScalar[Site]:
    return select(Site).where(customer_scope(principal, col(Site.customer_id)))


def listed_sites(
    principal: Principal | None, *, customer_id: int | None = None, include_archived: bool = False
) -> SelectOfScalar[Site]:
    statement = readable_sites(principal)
    if customer_id is not None:
        statement = statement.where(col(Site.customer_id) == customer_id)
    if not include_archived:
        statement = statement.where(col(Site.archived_at).is_(None))
    return statement


async def get_readable_site(
    session: AsyncSession, principal: Principal | None, site_id: int
) -> Site | None:
    return await session.scalar(readable_sites(principal).where(col(Site.id) == site_id))


async def lock_readable_site(
    session: AsyncSession, principal: Principal | None, site_id: int
) -> Site | None:
    """The site locked for this transaction, if the caller may read it."""
    return await session.scalar(
        readable_sites(principal).where(col(Site.id) == site_id).with_for_update()
    )
