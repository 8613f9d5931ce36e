"""Walk-in orders at the demo's service counter: customers without a contract, most paying at
the counter (cash or card), some on account, one with a field visit planned for tomorrow; the
parts sold leave the counter's own store through the ledger. Deterministic: customers and
parts are taken by id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.billing.models import LineIn, LineKind, PaymentMethod
from app.contracts.models import Contract
from app.core.auth import Principal, Role
from app.core.errors import DomainError
from app.core.geo import point_value
from app.customers.models import Customer, Site
from app.demo.generator import LOCAL
from app.inventory import stock
from app.inventory.ledger import Stamp
from app.inventory.models import MovementLine, Part, StockLocation, StockLocationKind
from app.walk_in import service
from app.walk_in.models import CounterPayment, FieldVisitPlan, Settlement, WalkInOrderCreate

DESK = Principal(subject="user:3", role=Role.AGENT, name="Ananya Iyer (service desk)")
ORDERS: tuple[tuple[str, Settlement, PaymentMethod | None, bool], ...] = (
    (
        "Remote and batteries; checked the unit's settings",
        Settlement.PAY_NOW,
        PaymentMethod.CASH,
        False,
    ),
    ("Brought in a drain pump to be replaced", Settlement.PAY_NOW, PaymentMethod.CARD, False),
    ("Filter set for the RO purifier", Settlement.PAY_NOW, PaymentMethod.CASH, False),
    ("Office: thermostat for the pantry refrigerator", Settlement.ON_ACCOUNT, None, False),
    ("Society office: spare belts for the laundry", Settlement.ON_ACCOUNT, None, False),
    (
        "Geyser element bought; technician to fit it at home",
        Settlement.PAY_NOW,
        PaymentMethod.CARD,
        True,
    ),
)


async def seed_orders(session: AsyncSession, now: datetime) -> dict[str, int]:
    """The counter's recent orders; counts for the seed summary."""
    customers = await _walk_in_customers(session, len(ORDERS) * 2)
    parts = (
        await session.scalars(
            select(Part).where(col(Part.is_accessory).is_(False)).order_by(col(Part.id)).limit(8)
        )
    ).all()
    counter = await _counter_store(session, parts)
    taken = 0
    for n, (customer, site) in enumerate(customers):
        if taken == len(ORDERS):
            break
        text, settlement, method, visit = ORDERS[taken]
        part = parts[taken % len(parts)]
        data = WalkInOrderCreate(
            customer_id=customer,
            site_id=site,
            description=text,
            lines=_lines(part, n),
            settlement=settlement,
            payment=None if method is None else CounterPayment(method=method),
            field_visit=_visit(now) if visit else None,
            stock_location_id=counter,
        )
        try:
            async with session.begin_nested():
                await service.create_order(session, DESK, data, now)
        except DomainError:  # an overdue customer cannot buy on account: ask the next one
            continue
        taken += 1
    return {"walk_in_orders": taken}


async def _counter_store(session: AsyncSession, parts: Sequence[Part]) -> int:
    """The counter's own store, holding a few of the spares it sells."""
    store = StockLocation(
        kind=StockLocationKind.WAREHOUSE,
        code="COUNTER-IND",
        name="Service counter store, Indiranagar",
        address="100 Feet Road, Indiranagar",
        point=point_value(12.9719, 77.6412),
    )
    session.add(store)
    await session.flush()
    assert store.id is not None
    lines = [MovementLine(part_id=p.id, quantity=10) for p in parts if p.id is not None]
    stamp = Stamp(actor="demo:stores", reason="counter stock", reference="PO-DEMO-COUNTER")
    await stock.receive(session, store.id, lines, stamp)
    return store.id


def _lines(part: Part, n: int) -> list[LineIn]:
    assert part.id is not None
    lines = [
        LineIn(kind=LineKind.PART, part_id=part.id, quantity=Decimal(1 + n % 2)),
        LineIn(
            kind=LineKind.FEE,
            description="Counter diagnosis",
            unit_price=Decimal("199.00"),
            quantity=Decimal(1),
        ),
    ]
    if n % 3 == 0:
        lines.append(LineIn(kind=LineKind.LABOUR, category="REPAIR", quantity=Decimal("0.5")))
    return lines


def _visit(now: datetime) -> FieldVisitPlan:
    tomorrow = now.astimezone(LOCAL).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(10), LOCAL)
    return FieldVisitPlan(
        description="Fit the geyser element bought at the counter",
        duration_minutes=60,
        window_start=start,
        window_end=start + timedelta(hours=3),
    )


async def _walk_in_customers(session: AsyncSession, n: int) -> list[tuple[int, int]]:
    """(customer, first site) of customers without any contract, by id."""
    first_site = (
        select(sa.func.min(Site.id))
        .where(col(Site.customer_id) == Customer.id, col(Site.archived_at).is_(None))
        .scalar_subquery()
    )
    rows = await session.execute(
        select(col(Customer.id), first_site)
        .where(
            col(Customer.archived_at).is_(None),
            ~sa.exists().where(col(Contract.customer_id) == Customer.id),
            first_site.is_not(None),
        )
        .order_by(col(Customer.id))
        .limit(n)
    )
    return [(customer, site) for customer, site in rows.all()]
