"""Taking a walk-in order at the counter: price its lines, issue its invoice, take the money
(or leave it on the customer's account), and plan a field visit from it when one is needed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.assets.models import Asset
from app.billing import invoices
from app.billing.invoices import ManualInvoice
from app.billing.models import Invoice, InvoiceKind, LineKind, PaymentCreate
from app.billing.payments import PAYABLE, record_payment
from app.core.auth import Principal
from app.core.errors import DomainError, ErrorCode, FieldProblem, NotFound, collect
from app.core.models import utcnow
from app.core.repository import check_version, get_for_update
from app.customers.models import Customer, Site
from app.inventory.ledger import Leg, Stamp, post
from app.inventory.models import MovementKind, StockLocationKind
from app.inventory.stock import active_location
from app.walk_in.models import (
    FieldVisitPlan,
    Settlement,
    WalkInOrder,
    WalkInOrderCreate,
)
from app.work_orders import service as tasks
from app.work_orders.models import TaskCreate
from app.work_orders.transitions import Actor

SERIES = "WI"
"""Walk-in orders are numbered WI-<year>-<n>, without gaps (the billing document counters)."""


async def create_order(
    session: AsyncSession,
    principal: Principal,
    data: WalkInOrderCreate,
    now: datetime | None = None,
) -> WalkInOrder:
    """Price the lines from the price list in force, issue the invoice now, then take the
    payment in full (PAY_NOW) or leave the balance on the customer's account (ON_ACCOUNT,
    refused while the customer has overdue invoices). A field visit in the input becomes a
    task at the customer's site."""
    now = now or utcnow()
    await _check_parties(session, data)
    _check_settlement(data)
    if data.settlement is Settlement.ON_ACCOUNT:
        await _nothing_overdue(session, data.customer_id, now.date())
    invoice = await invoices.create_invoice(
        session, ManualInvoice(customer_id=data.customer_id, lines=data.lines), now
    )
    await invoices.issue(session, invoice, now)
    assert invoice.id is not None
    number = await invoices.next_number(session, SERIES, now.year)
    if data.stock_location_id is not None:
        await _issue_parts(session, principal, data, number)
    order = WalkInOrder(
        number=number,
        customer_id=data.customer_id,
        site_id=data.site_id,
        asset_id=data.asset_id,
        description=data.description,
        settlement=data.settlement,
        invoice_id=invoice.id,
        paid_nothing=invoice.total <= 0,
        stock_location_id=data.stock_location_id,
        created_by=principal.subject,
    )
    if data.settlement is Settlement.PAY_NOW and invoice.total > 0:
        assert data.payment is not None
        payment, _ = await record_payment(
            session,
            principal,
            PaymentCreate(
                invoice_id=invoice.id,
                method=data.payment.method,
                amount=invoice.total,
                reference=data.payment.reference,
            ),
        )
        order.payment_id = payment.id
    session.add(order)
    await session.flush()
    if data.field_visit is not None:
        await _plan(session, principal, order, data.field_visit, ["fieldVisit"])
    return order


async def plan_field_visit(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    visit: FieldVisitPlan,
    expected_version: int | None,
) -> WalkInOrder:
    """A field visit planned later from an order (one per order)."""
    order = await get_for_update(session, WalkInOrder, order_id, what="walk-in order", field="id")
    check_version(order, expected_version)
    await _plan(session, principal, order, visit, [])
    order.touch()
    await session.flush()
    return order


async def _plan(
    session: AsyncSession,
    principal: Principal,
    order: WalkInOrder,
    visit: FieldVisitPlan,
    at: list[str],
) -> None:
    if order.task_id is not None:
        raise DomainError(
            "the order already has a field visit planned", ErrorCode.CONFLICT, [*at, "id"]
        )
    problem = visit.window_problem()
    if problem is not None:
        raise DomainError(problem, ErrorCode.INVALID, [*at, "windowStart"])
    site_id = visit.site_id or order.site_id
    if site_id is None:
        raise DomainError(
            "a field visit needs a site: give siteId (or take the order at a site)",
            ErrorCode.INVALID,
            [*at, "siteId"],
        )
    await _site_of(session, order.customer_id, site_id, [*at, "siteId"])
    task = await tasks.create_task(
        session,
        Actor.of(principal),
        TaskCreate(
            type=visit.type,
            customer_id=order.customer_id,
            site_id=site_id,
            asset_id=order.asset_id,
            description=visit.description or order.description or f"Field visit for {order.number}",
            priority=visit.priority,
            duration_minutes=visit.duration_minutes,
            window_start=visit.window_start,
            window_end=visit.window_end,
            required_skills=visit.required_skills,
        ),
    )
    order.task_id = task.id
    await session.flush()


async def _issue_parts(
    session: AsyncSession, principal: Principal, data: WalkInOrderCreate, number: str
) -> None:
    """The parts sold leave the counter's warehouse as one ledger operation (all or none:
    a short line is INSUFFICIENT_STOCK on its quantity)."""
    assert data.stock_location_id is not None
    await active_location(
        session, data.stock_location_id, "stockLocationId", StockLocationKind.WAREHOUSE
    )
    legs: list[Leg] = []
    problems: list[FieldProblem] = []
    for i, line in enumerate(data.lines):
        if line.kind is not LineKind.PART or line.part_id is None:
            continue
        at = ("lines", str(i), "quantity")
        if line.quantity != line.quantity.to_integral_value():
            problems.append(
                FieldProblem("parts from stock are sold in whole units", ErrorCode.INVALID, at)
            )
            continue
        legs.append(Leg(data.stock_location_id, line.part_id, -int(line.quantity), field=at))
    collect(problems)
    if not legs:
        return
    stamp = Stamp(
        actor=principal.subject,
        reason=f"walk-in order {number}",
        reference=number,
        operation_key=f"walk-in:{number}:parts",
    )
    await post(session, MovementKind.CONSUME, legs, stamp)


async def _check_parties(session: AsyncSession, data: WalkInOrderCreate) -> None:
    customer = await session.get(Customer, data.customer_id)
    if customer is None:
        raise NotFound("customer", ["customerId"])
    if customer.archived_at is not None:
        raise DomainError("the customer is archived", ErrorCode.INVALID, ["customerId"])
    if data.site_id is not None:
        await _site_of(session, data.customer_id, data.site_id, ["siteId"])
    if data.asset_id is not None:
        asset = await session.get(Asset, data.asset_id)
        if asset is None:
            raise NotFound("asset", ["assetId"])
        if asset.customer_id != data.customer_id:
            raise DomainError("the asset is not the customer's", ErrorCode.INVALID, ["assetId"])


async def _site_of(session: AsyncSession, customer_id: int, site_id: int, field: list[str]) -> Site:
    site = await session.get(Site, site_id)
    if site is None:
        raise NotFound("site", field)
    if site.customer_id != customer_id or site.archived_at is not None:
        raise DomainError("not an active site of the customer", ErrorCode.INVALID, field)
    return site


def _check_settlement(data: WalkInOrderCreate) -> None:
    problems = []
    if data.settlement is Settlement.PAY_NOW and data.payment is None:
        problems.append(
            FieldProblem("say how the customer pays (cash or card)", ErrorCode.INVALID, ["payment"])
        )
    if data.settlement is Settlement.ON_ACCOUNT and data.payment is not None:
        problems.append(
            FieldProblem(
                "an order on account takes no payment now; record it on the invoice later",
                ErrorCode.INVALID,
                ["payment"],
            )
        )
    collect(problems)


async def _nothing_overdue(session: AsyncSession, customer_id: int, today: date) -> None:
    overdue = await session.scalar(
        select(func.count())
        .select_from(Invoice)
        .where(
            col(Invoice.customer_id) == customer_id,
            col(Invoice.kind) == InvoiceKind.INVOICE,
            col(Invoice.status).in_(PAYABLE),
            col(Invoice.due_on) < today,
        )
    )
    if overdue:
        raise DomainError(
            f"the customer has {overdue} overdue invoice(s): take payment at the counter",
            ErrorCode.CONFLICT,
            ["settlement"],
        )
