"""Demo depots: two service centres in the city with bench technicians, stock and repair
orders in every state, driven through the depot repair service (so every order has its audit
trail, estimate, invoices, parts and notifications), then dated over the past weeks so the
bench queue, the calendar and the reports read like a working month."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import Asset
from app.billing.models import (
    Invoice,
    InvoiceStatus,
    LineIn,
    LineKind,
    PaymentCreate,
    PaymentMethod,
)
from app.billing.payments import record_payment
from app.core.auth import Principal, Role
from app.customers.models import Customer
from app.depot_repair import service
from app.depot_repair.models import Depot, RepairOrder, RepairOrderEvent, RepairPartUse
from app.depot_repair.models import RepairStatus as S
from app.inventory.catalogue import create_warehouse
from app.inventory.ledger import Stamp
from app.inventory.models import MovementLine, Part, Position, WarehouseCreate
from app.inventory.requisitions import approve_requisition, fulfil_requisition
from app.inventory.stock import receive
from app.technicians.models import Technician

DEPOTS = [
    ("DEPOT-IND", "Indiranagar Service Centre", "100 Feet Road, Indiranagar", 12.9719, 77.6412),
    ("DEPOT-JAY", "Jayanagar Service Centre", "11th Main, 4th Block, Jayanagar", 12.925, 77.5938),
]
HOURS = [(d, time(9, 30), time(19, 0)) for d in range(6)] + [(6, time(10), time(14))]
FAULTS = [
    ("NO_POWER", "Does not switch on"),
    ("NO_PICTURE", "Sound but no picture"),
    ("NOISE", "Loud rattling noise while running"),
    ("NOT_COOLING", "Runs but does not cool"),
    ("LEAK", "Water leaking from the bottom"),
    ("DISPLAY", "Display shows error code E4"),
]
TARGETS = [
    S.RECEIVED, S.RECEIVED, S.DIAGNOSING, S.DIAGNOSING, S.ESTIMATE_SENT, S.ESTIMATE_SENT,
    S.APPROVED, S.WAITING_PARTS, S.IN_REPAIR, S.IN_REPAIR, S.QC, S.READY, S.READY, S.DECLINED,
    S.CANCELLED, *([S.DELIVERED] * 14),
]  # fmt: skip
"""Per depot: orders in every state, and a month of delivered ones for the reports."""

DESK = Principal("demo:depot-desk", Role.DISPATCHER, "Depot desk")
MANAGER = Principal("demo:depot-manager", Role.MANAGER, "Depot manager")


@dataclass
class Bench:
    depot: Depot
    technicians: list[Technician]
    central_id: int
    parts: list[Part]


def _tech(technician: Technician) -> Principal:
    return Principal(
        f"demo:technician:{technician.id}",
        Role.TECHNICIAN,
        technician.name,
        technician_id=technician.id,
    )


class Clock:
    """The order's own time: each step a few working hours after the last, never past now."""

    def __init__(self, start: datetime, now: datetime, rng: random.Random) -> None:
        self.at, self.now, self.rng = start, now, rng

    def tick(self, low: float = 0.5, high: float = 6.0) -> datetime:
        self.at = min(self.at + timedelta(hours=self.rng.uniform(low, high)), self.now)
        return self.at


async def _date_last_step(session: AsyncSession, order: RepairOrder, at: datetime) -> None:
    await session.flush()
    event = await session.scalar(
        select(RepairOrderEvent)
        .where(col(RepairOrderEvent.repair_order_id) == order.id)
        .order_by(col(RepairOrderEvent.id).desc())
        .limit(1)
    )
    assert event is not None
    event.at = at
    order.updated_at = at


async def _bench(session: AsyncSession, technicians: list[Technician], n: int) -> Bench:
    code, name, address, lat, lng = DEPOTS[n]
    depot = await service.create_depot(
        session,
        service.DepotCreate(
            warehouse=WarehouseCreate(
                code=code,
                name=name,
                address=f"{address}, Bengaluru",
                point=Position(lat=lat, lng=lng),
            ),
            phone=f"+91 80 4000 {1100 * (n + 1)}",
            opening_hours=[service.OpeningHours(weekday=d, opens=o, closes=c) for d, o, c in HOURS],
            turnaround_hours=72 if n == 0 else 96,
            diagnosis_fee=Decimal("349.00"),
            storage_free_days=30,
            storage_fee=Decimal("500.00"),
        ),
    )
    assert depot.id is not None
    for technician in technicians:
        await service.set_bench_technician(session, depot.id, technician.id or 0, True)
    return Bench(depot, technicians, 0, [])


async def _stock(session: AsyncSession, benches: list[Bench], now: datetime) -> None:
    central = await create_warehouse(
        session,
        WarehouseCreate(
            code="CENTRAL-WH",
            name="Central parts warehouse",
            address="KIADB Industrial Area, Peenya, Bengaluru",
            point=Position(lat=13.0285, lng=77.5197),
        ),
    )
    parts = list(
        (
            await session.scalars(
                select(Part)
                .where(col(Part.is_accessory).is_(False))
                .order_by(col(Part.id))
                .limit(8)
            )
        ).all()
    )
    lines = [MovementLine(part_id=p.id or 0, quantity=40) for p in parts]
    stamp = Stamp(actor="demo", reason="opening stock", reference="PO-DEMO-DEPOTS")
    await receive(session, central.id or 0, lines, stamp)
    for bench in benches:
        depot_lines = [MovementLine(part_id=p.id or 0, quantity=12) for p in parts[:5]]
        await receive(session, bench.depot.stock_location_id, depot_lines, stamp)
        bench.central_id, bench.parts = central.id or 0, parts


async def seed_depot_repair(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Two depots with bench technicians and stock, and repair orders in every state."""
    rng = random.Random(22)
    technicians = list(
        (await session.scalars(select(Technician).order_by(col(Technician.id)).limit(6))).all()
    )
    benches = [await _bench(session, technicians[n * 3 : n * 3 + 3], n) for n in range(2)]
    await _stock(session, benches, now)
    customers = list(
        (
            await session.execute(
                select(Customer, Asset)
                .join(Asset, col(Asset.customer_id) == col(Customer.id))
                .where(col(Customer.phone).is_not(None))
                .order_by(col(Customer.id))
                .limit(60)
            )
        ).all()
    )
    orders = 0
    for n, bench in enumerate(benches):
        for k, target in enumerate(TARGETS):
            customer, asset = customers[(n * len(TARGETS) + k) % len(customers)]
            days = rng.uniform(0.2, 2.5) if target is not S.DELIVERED else rng.uniform(4, 28)
            if target is S.READY and k == TARGETS.index(S.READY):
                days = 36  # left uncollected: the storage rule charges it
            await _order(
                session, bench, customer, asset, target, now - timedelta(days=days), rng, now
            )
            orders += 1
    await session.flush()
    storage = await service.charge_storage(session, now)
    return {"depots": len(benches), "repair orders": orders, "storage fees": storage}


async def _order(
    session: AsyncSession,
    bench: Bench,
    customer: Customer,
    asset: Asset,
    target: S,
    received: datetime,
    rng: random.Random,
    now: datetime,
) -> None:
    code, fault = rng.choice(FAULTS)
    data = service.Intake(
        depot_id=bench.depot.id or 0,
        customer_id=customer.id,
        asset_id=asset.id,
        reported_fault=fault,
        fault_code=code,
        accessories=[service.Accessory(name="Power cable", received=rng.random() < 0.8)],
        damage_notes=rng.choice([None, "Dent on the side panel", "Cracked front cover"]),
        priority=rng.choice([2, 3, 3, 4]),
    )
    order = await service.receive_order(session, DESK, data, now=received)
    order.created_at = order.updated_at = received
    await _date_last_step(session, order, received)
    if target is S.RECEIVED:
        return
    clock = Clock(received, now, rng)
    if target is S.CANCELLED:
        await service.cancel(session, DESK, order.id or 0, "Customer collected it unrepaired", None)
        return await _date_last_step(session, order, clock.tick())
    await _repair(session, bench, order, target, clock, rng)


async def _repair(
    session: AsyncSession,
    bench: Bench,
    order: RepairOrder,
    target: S,
    clock: Clock,
    rng: random.Random,
) -> None:
    order_id = order.id or 0
    technician = rng.choice(bench.technicians)
    checker = next(t for t in bench.technicians if t.id != technician.id)
    tech = _tech(technician)
    await service.start_diagnosis(session, DESK, order_id, technician.id, None)
    await _date_last_step(session, order, clock.tick())
    if target is S.DIAGNOSING:
        return
    part = rng.choice(bench.parts[:5])
    lines = [
        LineIn(kind=LineKind.LABOUR, quantity=Decimal(rng.choice(["1", "1.5", "2"]))),
        LineIn(kind=LineKind.PART, part_id=part.id, quantity=Decimal(1)),
    ]
    diagnosis = "Faulty component found on the bench; replacement needed"
    await service.send_estimate(session, tech, order_id, lines, diagnosis, None, now=clock.tick())
    await _date_last_step(session, order, clock.at)
    if target is S.ESTIMATE_SENT:
        return
    customer = Principal(
        f"demo:customer:{order.customer_id}", Role.CUSTOMER, customer_id=order.customer_id
    )
    declined = target is S.DECLINED or (target is S.DELIVERED and rng.random() < 0.15)
    await service.decide_estimate(
        session,
        customer,
        order_id,
        not declined,
        "Too costly" if declined else None,
        None,
        now=clock.now,  # invoices are numbered in issue order: issued as the city stands
    )
    await _date_last_step(session, order, clock.tick(2, 24))
    if declined:
        order.collect_from = clock.at
    if target in (S.APPROVED, S.DECLINED):
        return
    if not declined:
        await _bench_work(session, bench, order, target, clock, rng, tech, part, checker)
        if target is not S.DELIVERED:
            return
    await _hand_over(session, order, clock, rng)


async def _bench_work(
    session: AsyncSession,
    bench: Bench,
    order: RepairOrder,
    target: S,
    clock: Clock,
    rng: random.Random,
    tech: Principal,
    part: Part,
    checker: Technician,
) -> None:
    order_id = order.id or 0
    if target is S.WAITING_PARTS or rng.random() < 0.2:
        wanted = [MovementLine(part_id=rng.choice(bench.parts[5:]).id or 0, quantity=1)]
        await service.request_parts(session, tech, order_id, bench.central_id, wanted, None)
        await _date_last_step(session, order, clock.tick())
        if target is S.WAITING_PARTS:
            return
        assert order.requisition_id is not None
        await approve_requisition(session, MANAGER, order.requisition_id, None)
        await fulfil_requisition(session, MANAGER, order.requisition_id, None, None)
        await service.resume(session, MANAGER, order_id, None)
    else:
        await service.start_repair(session, tech, order_id, None)
    await _date_last_step(session, order, clock.tick(4, 30))
    uses = await service.consume_parts(
        session, tech, order_id, [MovementLine(part_id=part.id or 0, quantity=1)]
    )
    for use in uses:
        use.used_at = clock.tick(0.5, 3)
    if target is S.IN_REPAIR:
        return
    for failed in [True] * (rng.random() < 0.25) + [False]:
        await service.submit_for_qc(session, tech, order_id, None)
        await _date_last_step(session, order, clock.tick())
        if target is S.QC:
            return
        reason = "Intermittent fault returned under load" if failed else None
        await service.check_quality(
            session, _tech(checker), order_id, not failed, reason, None, now=clock.now
        )
        await _date_last_step(session, order, clock.tick(1, 5))
    order.ready_at = order.collect_from = clock.at  # the invoice was issued as the city stands


async def _hand_over(
    session: AsyncSession, order: RepairOrder, clock: Clock, rng: random.Random
) -> None:
    at = clock.tick(4, 48)
    for invoice in await service.invoices_of(session, order):
        if invoice.status is InvoiceStatus.ISSUED and rng.random() < 0.9:
            payment = PaymentCreate(
                invoice_id=invoice.id or 0, method=PaymentMethod.CARD, amount=invoice.balance
            )
            await record_payment(session, DESK, payment)
    unpaid = any(
        i.status is not InvoiceStatus.PAID for i in await service.invoices_of(session, order)
    )
    handover = service.Handover(signer_name="Collected in person", on_account=unpaid)
    await service.deliver(session, MANAGER if unpaid else DESK, order.id or 0, handover, None)
    await _date_last_step(session, order, at)
    order.closed_at = at


__all__ = ["Invoice", "RepairPartUse"]
