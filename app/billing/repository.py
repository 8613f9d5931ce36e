"""Billing queries, scoped once to what the caller may read.

Staff see everything; a customer its own issued invoices and sent estimates; a technician
those of the tasks assigned to them; a partner those of its technicians' tasks.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, select
from sqlmodel.sql.expression import SelectOfScalar

from app.billing.models import (
    BillingLine,
    Estimate,
    EstimateStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    PriceList,
    UpsellOffer,
    UpsellStatus,
)
from app.core.auth import Principal, Role
from app.core.errors import NotFound
from app.technicians.models import Technician
from app.work_orders.models import Task


def _task_ids(principal: Principal) -> Any:
    """Tasks a technician or partner works on (None: not a field role)."""
    if principal.role is Role.TECHNICIAN and principal.technician_id:
        return select(Task.id).where(col(Task.technician_id) == principal.technician_id)
    if principal.role is Role.PARTNER and principal.partner_id:
        crew = select(Technician.id).where(col(Technician.partner_id) == principal.partner_id)
        return select(Task.id).where(col(Task.technician_id).in_(crew))
    return None


def readable_invoices(principal: Principal | None) -> SelectOfScalar[Invoice]:
    statement = select(Invoice)
    if principal is None:
        return statement.where(false())
    if principal.is_staff:
        return statement
    if principal.role is Role.CUSTOMER and principal.customer_id:
        return statement.where(
            col(Invoice.customer_id) == principal.customer_id,
            col(Invoice.status).not_in([InvoiceStatus.DRAFT, InvoiceStatus.VOID]),
        )
    tasks = _task_ids(principal)
    if tasks is None:
        return statement.where(false())
    return statement.where(col(Invoice.task_id).in_(tasks))


def readable_estimates(principal: Principal | None) -> SelectOfScalar[Estimate]:
    statement = select(Estimate)
    if principal is None:
        return statement.where(false())
    if principal.is_staff:
        return statement
    if principal.role is Role.CUSTOMER and principal.customer_id:
        return statement.where(
            col(Estimate.customer_id) == principal.customer_id,
            col(Estimate.status) != EstimateStatus.DRAFT,
        )
    tasks = _task_ids(principal)
    if tasks is None:
        return statement.where(false())
    return statement.where(col(Estimate.task_id).in_(tasks))


def readable_payments(principal: Principal | None) -> SelectOfScalar[Payment]:
    invoices = readable_invoices(principal).with_only_columns(col(Invoice.id))
    return select(Payment).where(col(Payment.invoice_id).in_(invoices))


def readable_upsells(principal: Principal | None) -> SelectOfScalar[UpsellOffer]:
    statement = select(UpsellOffer)
    if principal is None:
        return statement.where(false())
    if principal.is_staff:
        return statement
    if principal.role is Role.CUSTOMER and principal.customer_id:
        return statement.where(col(UpsellOffer.customer_id) == principal.customer_id)
    tasks = _task_ids(principal)
    if tasks is None:
        return statement.where(false())
    return statement.where(col(UpsellOffer.task_id).in_(tasks))


def listed_invoices(
    principal: Principal | None,
    *,
    customer_id: int | None = None,
    task_id: int | None = None,
    statuses: list[InvoiceStatus] | None = None,
) -> SelectOfScalar[Invoice]:
    statement = readable_invoices(principal)
    if customer_id is not None:
        statement = statement.where(col(Invoice.customer_id) == customer_id)
    if task_id is not None:
        statement = statement.where(col(Invoice.task_id) == task_id)
    if statuses:
        statement = statement.where(col(Invoice.status).in_(statuses))
    return statement


def listed_estimates(
    principal: Principal | None, *, task_id: int | None = None
) -> SelectOfScalar[Estimate]:
    statement = readable_estimates(principal)
    if task_id is not None:
        statement = statement.where(col(Estimate.task_id) == task_id)
    return statement


def price_lists(on: date | None = None) -> SelectOfScalar[PriceList]:
    statement = select(PriceList).where(col(PriceList.archived_at).is_(None))
    if on is not None:
        statement = statement.where(col(PriceList.effective_from) <= on)
    return statement


async def get_readable_invoice(
    session: AsyncSession, principal: Principal | None, invoice_id: int
) -> Invoice | None:
    return await session.scalar(readable_invoices(principal).where(col(Invoice.id) == invoice_id))


async def get_readable_estimate(
    session: AsyncSession, principal: Principal | None, estimate_id: int
) -> Estimate | None:
    return await session.scalar(
        readable_estimates(principal).where(col(Estimate.id) == estimate_id)
    )


async def get_readable_payment(
    session: AsyncSession, principal: Principal | None, payment_id: int
) -> Payment | None:
    return await session.scalar(readable_payments(principal).where(col(Payment.id) == payment_id))


def listed_upsells(
    principal: Principal | None,
    *,
    statuses: list[UpsellStatus] | None = None,
    task_id: int | None = None,
) -> SelectOfScalar[UpsellOffer]:
    """Readable offers, newest first; PAID_PENDING_STOCK lists what the dispatcher restocks."""
    statement = readable_upsells(principal)
    if statuses:
        statement = statement.where(col(UpsellOffer.status).in_(statuses))
    if task_id is not None:
        statement = statement.where(col(UpsellOffer.task_id) == task_id)
    return statement.order_by(col(UpsellOffer.id).desc())


async def get_readable_upsell(
    session: AsyncSession, principal: Principal | None, upsell_id: int
) -> UpsellOffer | None:
    return await session.scalar(readable_upsells(principal).where(col(UpsellOffer.id) == upsell_id))


async def get_readable_price_list(
    session: AsyncSession, principal: Principal | None, price_list_id: int
) -> PriceList | None:
    if principal is None or not principal.is_staff:
        return None
    return await session.get(PriceList, price_list_id)


async def invoice_for_change(
    session: AsyncSession, principal: Principal, invoice_id: int, field: str = "invoiceId"
) -> Invoice:
    """The invoice locked for this transaction, if the caller may read it; else NOT_FOUND."""
    statement = readable_invoices(principal).where(col(Invoice.id) == invoice_id)
    invoice = await session.scalar(statement.with_for_update(of=Invoice))
    if invoice is None:
        raise NotFound("invoice", [field])
    return invoice


async def estimate_for_change(
    session: AsyncSession, principal: Principal, estimate_id: int
) -> Estimate:
    statement = readable_estimates(principal).where(col(Estimate.id) == estimate_id)
    estimate = await session.scalar(statement.with_for_update(of=Estimate))
    if estimate is None:
        raise NotFound("estimate", ["estimateId"])
    return estimate


async def lines_of(
    session: AsyncSession, *, invoice_id: int | None = None, estimate_id: int | None = None
) -> list[BillingLine]:
    statement = select(BillingLine).order_by(col(BillingLine.position), col(BillingLine.id))
    if invoice_id is not None:
        statement = statement.where(col(BillingLine.invoice_id) == invoice_id)
    else:
        statement = statement.where(col(BillingLine.estimate_id) == estimate_id)
    return list((await session.scalars(statement)).all())
