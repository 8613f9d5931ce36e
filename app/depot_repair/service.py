"""Depot repair: depots and bench technicians, intake, and each step of a repair order.

Every step goes through `transitions.apply` (version, role, source state, audit, events,
customer notification). Money goes through billing: the estimate is a priced billing draft
with coverage per line (warranty, contract or chargeable, from `coverage_for` at intake),
issued as the invoice when the item passes QC; a declined estimate voids it and raises the
depot's diagnosis fee instead. Parts come through inventory: a requisition when the depot
lacks them (the order resumes when it is fulfilled), and a CONSUME in the ledger at the
depot's stock location when they are fitted.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import Asset, ProductModel
from app.assets.service import warranty_expiry
from app.billing.coverage import apply_coverage, terms_for, to_rows
from app.billing.invoices import issue, set_totals
from app.billing.models import Invoice, InvoiceStatus, LineIn, LineKind
from app.billing.pricing import price_book, price_lines
from app.contracts.service import coverage_for
from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, Forbidden, NotFound, invalid
from app.core.models import utcnow
from app.core.repository import check_version, flush_unique, get_for_update
from app.customers.models import Customer, Site
from app.depot_repair import repository
from app.depot_repair.models import (
    Depot,
    DepotTechnician,
    RepairOrder,
    RepairPartUse,
    RepairStatus,
)
from app.depot_repair.transitions import (
    SYSTEM_ACTOR,
    Action,
    Actor,
    Change,
    apply,
    check_allowed,
    record_creation,
)
from app.inventory.catalogue import create_warehouse
from app.inventory.ledger import Leg, Stamp, post
from app.inventory.models import (
    MovementKind,
    MovementLine,
    Part,
    Position,
    Requisition,
    RequisitionCreate,
    RequisitionLine,
    RequisitionStatus,
    StockLocation,
    WarehouseCreate,
)
from app.inventory.repository import van_of
from app.inventory.requisitions import create_requisition
from app.inventory.stock import parts_of
from app.technicians.models import Technician

# --- depots -------------------------------------------------------------------------------


class OpeningHours(BaseModel):
    weekday: int = Field(ge=0, le=6)
    """0 is Monday."""
    opens: time
    closes: time

    @field_validator("closes")
    @classmethod
    def _after_opening(cls, value: time, info: Any) -> time:
        opens = info.data.get("opens")
        if opens is not None and value <= opens:
            raise ValueError("must be after the opening time")
        return value


CENT = Decimal("0.01")


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT)


class DepotPolicy(BaseModel):
    turnaround_hours: int = Field(default=72, ge=1, le=24 * 60)
    diagnosis_fee: Decimal = Field(default=Decimal(0), ge=0, max_digits=12, decimal_places=2)
    storage_free_days: int = Field(default=30, ge=1, le=365)
    storage_fee: Decimal = Field(default=Decimal(0), ge=0, max_digits=12, decimal_places=2)

    _money = field_validator("diagnosis_fee", "storage_fee")(_cents)


class DepotCreate(DepotPolicy):
    warehouse: WarehouseCreate
    phone: str | None = Field(default=None, max_length=40)
    time_zone: str = Field(default="Asia/Kolkata", max_length=60)
    opening_hours: list[OpeningHours] = Field(default_factory=list, max_length=21)


class DepotUpdate(BaseModel):
    phone: str | None = Field(default=None, max_length=40)
    opening_hours: list[OpeningHours] | None = Field(default=None, max_length=21)
    turnaround_hours: int | None = Field(default=None, ge=1, le=24 * 60)
    diagnosis_fee: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    storage_free_days: int | None = Field(default=None, ge=1, le=365)
    storage_fee: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)

    _money = field_validator("diagnosis_fee", "storage_fee")(_cents)


def _hours(rows: Sequence[OpeningHours]) -> list[dict[str, Any]]:
    return [
        {
            "weekday": h.weekday,
            "opens": h.opens.strftime("%H:%M"),
            "closes": h.closes.strftime("%H:%M"),
        }
        for h in sorted(rows, key=lambda h: (h.weekday, h.opens))
    ]


async def create_depot(session: AsyncSession, data: DepotCreate) -> Depot:
    """A service centre: a new warehouse stock location with its address, hours and policy."""
    location = await create_warehouse(session, data.warehouse)
    assert location.id is not None
    depot = Depot(
        stock_location_id=location.id,
        phone=data.phone,
        time_zone=data.time_zone,
        opening_hours=_hours(data.opening_hours),
        **data.model_dump(include=set(DepotPolicy.model_fields)),
    )
    session.add(depot)
    await session.flush()
    return depot


async def update_depot(
    session: AsyncSession, depot_id: int, data: DepotUpdate, expected_version: int | None
) -> Depot:
    depot = await get_for_update(session, Depot, depot_id, what="depot", field="depotId")
    check_version(depot, expected_version)
    changes = data.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name != "phone":
            head, *rest = name.split("_")
            raise invalid("may be omitted but not null", head + "".join(r.title() for r in rest))
        if name == "opening_hours":
            value = _hours(data.opening_hours or [])
        setattr(depot, name, value)
    depot.touch()
    await session.flush()
    return depot


async def location_of(session: AsyncSession, depot: Depot) -> StockLocation:
    location = await session.get(StockLocation, depot.stock_location_id)
    assert location is not None
    return location


async def set_bench_technician(
    session: AsyncSession, depot_id: int, technician_id: int, member: bool
) -> DepotTechnician | None:
    """Make the technician a bench technician of the depot (leaving any other), or remove
    them from it."""
    if await repository.get_depot(session, None, depot_id) is None:
        raise NotFound("depot", ["depotId"])
    technician = await session.get(Technician, technician_id)
    if technician is None or technician.archived_at is not None:
        raise NotFound("technician", ["technicianId"])
    row = await session.get(DepotTechnician, technician_id, with_for_update=True)
    if not member:
        if row is None or row.depot_id != depot_id:
            raise NotFound("bench technician of this depot", ["technicianId"])
        await session.delete(row)
        await session.flush()
        return None
    if row is None:
        row = DepotTechnician(technician_id=technician_id, depot_id=depot_id)
        session.add(row)
    else:
        row.depot_id, row.joined_at = depot_id, utcnow()
    await session.flush()
    return row


# --- intake -------------------------------------------------------------------------------


class NewCustomer(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=6, max_length=40, pattern=r"^\+?[0-9 ()-]{6,40}$")
    email: str | None = Field(default=None, max_length=320)
    address_line: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, max_length=120)


class NewAsset(BaseModel):
    product_model_id: int
    serial_number: str = Field(min_length=1, max_length=100)
    sold_on: date | None = None

    @field_validator("serial_number")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("give the serial number")
        return value


class Accessory(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    received: bool = True


class Intake(BaseModel):
    depot_id: int
    customer_id: int | None = None
    new_customer: NewCustomer | None = None
    asset_id: int | None = None
    new_asset: NewAsset | None = None
    reported_fault: str = Field(min_length=3, max_length=2000)
    fault_code: str | None = Field(default=None, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    accessories: list[Accessory] = Field(default_factory=list, max_length=30)
    damage_notes: str | None = Field(default=None, max_length=2000)
    priority: int = Field(default=3, ge=1, le=5)
    service_request_id: int | None = None


TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""No 0/O or 1/I: the code is read out over the phone."""


def tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(10))


async def _customer(session: AsyncSession, data: Intake) -> Customer:
    if (data.customer_id is None) == (data.new_customer is None):
        raise invalid("give either customerId or newCustomer", "customerId")
    if data.customer_id is not None:
        customer = await session.get(Customer, data.customer_id)
        if customer is None or customer.archived_at is not None:
            raise NotFound("customer", ["customerId"])
        return customer
    assert data.new_customer is not None
    new = data.new_customer
    customer = Customer(name=new.name.strip(), phone=new.phone.strip(), email=new.email)
    session.add(customer)
    await session.flush()
    return customer


async def _carry_in_site(
    session: AsyncSession, customer: Customer, depot: Depot, new: NewCustomer | None
) -> Site:
    """The customer's first site, or a carry-in site at their address (else the depot's)."""
    site = await session.scalar(
        select(Site)
        .where(col(Site.customer_id) == customer.id, col(Site.archived_at).is_(None))
        .order_by(col(Site.id))
        .limit(1)
    )
    if site is not None:
        return site
    location = await location_of(session, depot)
    site = Site(
        customer_id=customer.id,  # type: ignore[arg-type]
        name=f"{customer.name} (carry-in)"[:200],
        address_line=(new.address_line if new and new.address_line else None)
        or location.address
        or location.name,
        city=(new.city if new and new.city else None) or location.name,
        point=location.point,
    )
    session.add(site)
    await session.flush()
    return site


async def _asset(session: AsyncSession, data: Intake, customer: Customer, depot: Depot) -> Asset:
    """The known asset, or one registered now; a serial already registered to another
    customer is refused (CONFLICT), to this customer it is that asset."""
    if (data.asset_id is None) == (data.new_asset is None):
        raise invalid("give either assetId or newAsset", "assetId")
    if data.asset_id is not None:
        asset = await session.get(Asset, data.asset_id)
        if asset is None or asset.archived_at is not None:
            raise NotFound("asset", ["assetId"])
        if asset.customer_id != customer.id:
            raise DomainError("the asset is not the customer's", ErrorCode.CONFLICT, ["assetId"])
        return asset
    new = data.new_asset
    assert new is not None
    model = await session.get(ProductModel, new.product_model_id)
    if model is None or model.archived_at is not None:
        raise NotFound("product model", ["newAsset", "productModelId"])
    known = await session.scalar(select(Asset).where(col(Asset.serial_number) == new.serial_number))
    if known is not None:
        if known.customer_id != customer.id:
            raise DomainError(
                f"serial {new.serial_number} is registered to another customer",
                ErrorCode.CONFLICT,
                ["newAsset", "serialNumber"],
            )
        if known.product_model_id != new.product_model_id:
            raise DomainError(
                f"serial {new.serial_number} is registered as another model",
                ErrorCode.CONFLICT,
                ["newAsset", "serialNumber"],
            )
        return known
    site = await _carry_in_site(session, customer, depot, data.new_customer)
    asset = Asset(
        product_model_id=new.product_model_id,
        site_id=site.id,  # type: ignore[arg-type]
        customer_id=customer.id,  # type: ignore[arg-type]
        serial_number=new.serial_number,
        sold_on=new.sold_on,
        warranty_expires_on=warranty_expiry(model, new.sold_on, None),
    )
    session.add(asset)
    await flush_unique(
        session, "newAsset.serialNumber", f"serial {new.serial_number} is already registered"
    )
    return asset


async def receive_order(
    session: AsyncSession, principal: Principal, data: Intake, now: datetime | None = None
) -> RepairOrder:
    """Book an item in at the depot counter: customer and asset (registered if unknown),
    fault, condition on receipt, coverage; the customer gets the tracking code."""
    now = now or utcnow()
    depot = await repository.get_depot(session, principal, data.depot_id)
    if depot is None:
        raise NotFound("depot", ["depotId"])
    customer = await _customer(session, data)
    asset = await _asset(session, data, customer, depot)
    coverage = await coverage_for(session, asset.id, asset.site_id, now.date())
    order = RepairOrder(
        number="pending",
        tracking_code=tracking_code(),
        depot_id=data.depot_id,
        customer_id=customer.id,  # type: ignore[arg-type]
        asset_id=asset.id,  # type: ignore[arg-type]
        service_request_id=data.service_request_id,
        priority=data.priority,
        reported_fault=data.reported_fault.strip(),
        fault_code=data.fault_code.upper() if data.fault_code else None,
        accessories=[a.model_dump() for a in data.accessories],
        damage_notes=data.damage_notes,
        coverage=coverage.status.value,
        contract_id=coverage.contract_id,
        received_at=now,
        due_at=now + timedelta(hours=depot.turnaround_hours),
    )
    session.add(order)
    await flush_unique(session, "trackingCode", "tracking code clash: send again")
    order.number = f"RO-{now.year}-{order.id:06d}"
    await session.flush()
    record_creation(session, order, Actor.of(principal))
    return order


# --- steps --------------------------------------------------------------------------------


async def _bench_technician(session: AsyncSession, depot_id: int, technician_id: int) -> None:
    if await repository.depot_of(session, technician_id) != depot_id:
        raise DomainError(
            "the technician is not a bench technician of this depot",
            ErrorCode.INVALID,
            ["technicianId"],
        )


def _own_bench(principal: Principal, order: RepairOrder) -> None:
    """A technician works only on the orders assigned to them."""
    if principal.role is Role.TECHNICIAN and order.technician_id != principal.technician_id:
        raise Forbidden("the repair order is assigned to another technician", ["repairOrderId"])


async def _step(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    action: Action,
    expected_version: int | None,
    reason: str | None = None,
) -> tuple[RepairOrder, Change]:
    order = await repository.for_change(session, principal, order_id)
    change = Change(action, Actor.of(principal), reason, expected_version)
    check_allowed(order, change)
    return order, change


async def start_diagnosis(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    technician_id: int | None,
    expected_version: int | None,
) -> RepairOrder:
    """Assign the bench technician (a technician takes it themselves) and start diagnosis."""
    order, change = await _step(
        session, principal, order_id, Action.START_DIAGNOSIS, expected_version
    )
    if principal.role is Role.TECHNICIAN:
        if technician_id not in (None, principal.technician_id):
            raise Forbidden("a technician takes orders only for themselves", ["technicianId"])
        technician_id = principal.technician_id
    if technician_id is None:
        raise invalid("name the bench technician", "technicianId")
    await _bench_technician(session, order.depot_id, technician_id)
    order.technician_id = technician_id
    apply(session, order, change)
    await session.flush()
    return order


async def send_estimate(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    lines: Sequence[LineIn],
    diagnosis: str,
    expected_version: int | None,
    now: datetime | None = None,
) -> RepairOrder:
    """Price the repair (coverage per line, from the warranty or contract in force) as a
    billing draft and send it to the customer for approval."""
    order, change = await _step(
        session, principal, order_id, Action.SEND_ESTIMATE, expected_version
    )
    _own_bench(principal, order)
    if not lines:
        raise invalid("an estimate needs at least one line", "lines")
    today = (now or utcnow()).date()
    asset = await session.get(Asset, order.asset_id)
    assert asset is not None
    book = await price_book(session, today)
    priced = await price_lines(session, book, lines, "REPAIR")
    terms = await terms_for(session, asset.id, asset.site_id, today)
    invoice = Invoice(customer_id=order.customer_id, currency=book.currency, priced=True)
    session.add(invoice)
    await session.flush()
    rows = to_rows(apply_coverage(terms, priced))
    for row in rows:
        row.invoice_id = invoice.id
    session.add_all(rows)
    set_totals(invoice, rows)
    order.invoice_id = invoice.id
    order.diagnosis = diagnosis.strip()[:2000] or None
    apply(session, order, change)
    await session.flush()
    return order


async def decide_estimate(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    approve: bool,
    reason: str | None,
    expected_version: int | None,
    now: datetime | None = None,
) -> RepairOrder:
    """The customer's answer (or the desk's, taken by phone). A decline voids the draft and
    raises the depot's diagnosis fee (covered like any line), and the item waits for
    collection unrepaired."""
    action = Action.APPROVE if approve else Action.DECLINE
    order, change = await _step(session, principal, order_id, action, expected_version, reason)
    if not approve:
        now = now or utcnow()
        draft = await session.get(Invoice, order.invoice_id) if order.invoice_id else None
        if draft is not None and draft.status is InvoiceStatus.DRAFT:
            draft.status = InvoiceStatus.VOID
            draft.touch()
        order.fee_invoice_id = await _diagnosis_fee(session, order, now)
        order.collect_from = now
    apply(session, order, change)
    await session.flush()
    return order


async def _fee_invoice(
    session: AsyncSession, order: RepairOrder, description: str, amount: Decimal, now: datetime
) -> int | None:
    """An issued invoice of one fee line, with the order's coverage; None for no fee."""
    if amount <= 0:
        return None
    asset = await session.get(Asset, order.asset_id)
    assert asset is not None
    book = await price_book(session, now.date())
    line = LineIn(
        kind=LineKind.FEE, description=description, quantity=Decimal(1), unit_price=amount
    )
    priced = await price_lines(session, book, [line], "REPAIR")
    terms = await terms_for(session, asset.id, asset.site_id, now.date())
    invoice = Invoice(customer_id=order.customer_id, currency=book.currency, priced=True)
    session.add(invoice)
    await session.flush()
    rows = to_rows(apply_coverage(terms, priced))
    for row in rows:
        row.invoice_id = invoice.id
    session.add_all(rows)
    set_totals(invoice, rows)
    await issue(session, invoice, now)
    return invoice.id


async def _diagnosis_fee(session: AsyncSession, order: RepairOrder, now: datetime) -> int | None:
    depot = await session.get(Depot, order.depot_id)
    assert depot is not None
    return await _fee_invoice(
        session, order, f"Diagnosis fee, repair order {order.number}", depot.diagnosis_fee, now
    )


async def start_repair(
    session: AsyncSession, principal: Principal, order_id: int, expected_version: int | None
) -> RepairOrder:
    order, change = await _step(session, principal, order_id, Action.START_REPAIR, expected_version)
    _own_bench(principal, order)
    apply(session, order, change)
    await session.flush()
    return order


async def request_parts(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    warehouse_id: int,
    lines: Sequence[MovementLine],
    expected_version: int | None,
    notes: str | None = None,
) -> RepairOrder:
    """Requisition parts the depot lacks (from a supplying warehouse, through inventory's
    approval by value); the order waits and resumes when the requisition is fulfilled."""
    order, change = await _step(
        session, principal, order_id, Action.REQUEST_PARTS, expected_version
    )
    _own_bench(principal, order)
    if order.technician_id is None:
        raise invalid("the order has no bench technician", "repairOrderId")
    depot = await session.get(Depot, order.depot_id)
    assert depot is not None
    if warehouse_id == depot.stock_location_id:
        raise invalid("request from another warehouse than the depot", "warehouseId")
    requisition = await create_requisition(
        session,
        principal,
        RequisitionCreate(
            technician_id=order.technician_id,
            warehouse_id=warehouse_id,
            lines=list(lines),
            notes=(f"repair order {order.number}" + (f": {notes}" if notes else ""))[:2000],
        ),
    )
    order.requisition_id = requisition.id
    apply(session, order, change)
    await session.flush()
    return order


async def resume(
    session: AsyncSession, principal: Principal, order_id: int, expected_version: int | None
) -> RepairOrder:
    """Resume by hand (the parts came another way); fulfilled requisitions resume by
    themselves (`resume_fulfilled`)."""
    order, change = await _step(session, principal, order_id, Action.RESUME, expected_version)
    await _bring_parts_in(session, order, principal.subject)
    apply(session, order, change)
    await session.flush()
    return order


async def _bring_parts_in(session: AsyncSession, order: RepairOrder, actor: str) -> None:
    """Move what the requisition issued to the bench technician to the depot's stock."""
    if order.requisition_id is None or order.technician_id is None:
        return
    requisition = await session.get(Requisition, order.requisition_id)
    if requisition is None or requisition.status not in (
        RequisitionStatus.FULFILLED,
        RequisitionStatus.PARTIALLY_FULFILLED,
    ):
        return
    van = await van_of(session, requisition.technician_id)
    depot = await session.get(Depot, order.depot_id)
    assert depot is not None
    if van is None or van.id is None:
        return
    lines = (
        await session.scalars(
            select(RequisitionLine).where(
                col(RequisitionLine.requisition_id) == requisition.id,
                col(RequisitionLine.quantity_fulfilled) > 0,
            )
        )
    ).all()
    legs: list[Leg] = []
    for line in lines:
        legs.append(Leg(van.id, line.part_id, -line.quantity_fulfilled, 0, depot.stock_location_id))
        legs.append(Leg(depot.stock_location_id, line.part_id, line.quantity_fulfilled, 0, van.id))
    if legs:
        stamp = Stamp(
            actor=actor,
            reason=f"parts for repair order {order.number}",
            requisition_id=requisition.id,
            reference=order.number,
            operation_key=f"repair:{order.id}:parts-in:{requisition.id}",
        )
        await post(session, MovementKind.TRANSFER, legs, stamp)


async def resume_fulfilled(session: AsyncSession) -> int:
    """Every order waiting for parts whose requisition is now fulfilled goes back to the
    bench (its parts moved into the depot's stock); run by a job, safe concurrently."""
    rows = (
        await session.scalars(
            select(RepairOrder)
            .join(Requisition, col(Requisition.id) == col(RepairOrder.requisition_id))
            .where(
                col(RepairOrder.status) == RepairStatus.WAITING_PARTS,
                col(Requisition.status) == RequisitionStatus.FULFILLED,
            )
            .order_by(col(RepairOrder.id))
            .limit(200)
            .with_for_update(of=RepairOrder, skip_locked=True)
        )
    ).all()
    for order in rows:
        await _bring_parts_in(session, order, SYSTEM_ACTOR.subject)
        apply(session, order, Change(Action.RESUME, SYSTEM_ACTOR, "parts arrived"))
    await session.flush()
    return len(rows)


async def consume_parts(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    lines: Sequence[MovementLine],
    operation_key: str | None = None,
) -> list[RepairPartUse]:
    """Parts fitted on the bench leave the depot's stock (CONSUME in the ledger); short
    lines are INSUFFICIENT_STOCK and nothing is taken."""
    order = await repository.for_change(session, principal, order_id)
    _own_bench(principal, order)
    if principal.role not in (Role.TECHNICIAN, Role.ADMIN, Role.MANAGER):
        raise Forbidden("bench technicians record the parts they fit")
    if order.status not in (RepairStatus.IN_REPAIR, RepairStatus.DIAGNOSING):
        raise DomainError(
            f"parts are fitted while the order is IN_REPAIR, not {order.status}",
            ErrorCode.INVALID_TRANSITION,
            ["repairOrderId"],
        )
    if not lines:
        raise invalid("name the parts used", "lines")
    depot = await session.get(Depot, order.depot_id)
    assert depot is not None and order.id is not None
    parts = await parts_of(session, lines)
    key = f"repair:{order.id}:consume:{operation_key or secrets.token_hex(8)}"
    legs = [
        Leg(
            depot.stock_location_id,
            line.part_id,
            -line.quantity,
            field=("lines", str(i), "quantity"),
        )
        for i, line in enumerate(lines)
    ]
    stamp = Stamp(
        actor=principal.subject,
        reason=f"repair order {order.number}",
        reference=order.number,
        operation_key=key,
    )
    posted = await post(session, MovementKind.CONSUME, legs, stamp)
    if posted.replayed:
        return []
    uses = [
        RepairPartUse(
            repair_order_id=order.id,
            part_id=line.part_id,
            quantity=line.quantity,
            unit_cost=parts[line.part_id].unit_cost,
            operation_key=key,
        )
        for line in lines
    ]
    session.add_all(uses)
    order.touch()
    await session.flush()
    return uses


async def submit_for_qc(
    session: AsyncSession, principal: Principal, order_id: int, expected_version: int | None
) -> RepairOrder:
    order, change = await _step(session, principal, order_id, Action.SUBMIT_QC, expected_version)
    _own_bench(principal, order)
    order.repaired_by = principal.technician_id or order.technician_id
    apply(session, order, change)
    await session.flush()
    return order


async def check_quality(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    passed: bool,
    reason: str | None,
    expected_version: int | None,
    now: datetime | None = None,
) -> RepairOrder:
    """QC by someone other than the repairer: a pass makes the item ready (its invoice is
    issued, the customer is told), a fail sends it back to the bench with the reason."""
    action = Action.PASS_QC if passed else Action.FAIL_QC
    order, change = await _step(session, principal, order_id, action, expected_version, reason)
    if principal.role is Role.TECHNICIAN and principal.technician_id == order.repaired_by:
        raise Forbidden("the repairing technician may not check their own repair")
    if principal.role is Role.TECHNICIAN:
        await _bench_technician(session, order.depot_id, principal.technician_id or 0)
    if not passed:
        if not (reason or "").strip():
            raise invalid("say what failed", "reason")
        order.qc_failures += 1
    else:
        now = now or utcnow()
        order.collect_from = now
        invoice = await session.get(Invoice, order.invoice_id) if order.invoice_id else None
        if invoice is not None and invoice.status is InvoiceStatus.DRAFT:
            await issue(session, invoice, now)
    apply(session, order, change)
    await session.flush()
    return order


async def invoices_of(session: AsyncSession, order: RepairOrder) -> list[Invoice]:
    ids = [i for i in (order.invoice_id, order.fee_invoice_id, order.storage_invoice_id) if i]
    if not ids:
        return []
    rows = await session.scalars(select(Invoice).where(col(Invoice.id).in_(ids)))
    return [r for r in rows.all() if r.status is not InvoiceStatus.VOID]


@dataclass(frozen=True, slots=True)
class Handover:
    signer_name: str
    signature_ref: str | None = None
    on_account: bool = False
    notes: str | None = field(default=None)


async def deliver(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    handover: Handover,
    expected_version: int | None,
) -> RepairOrder:
    """Hand the item back against the collector's signature: every invoice of the order paid,
    or put on the customer's account (a manager's or admin's decision)."""
    order, change = await _step(
        session, principal, order_id, Action.DELIVER, expected_version, handover.notes
    )
    signer = handover.signer_name.strip()
    if not signer or len(signer) > 200:
        raise invalid("give the collector's name (1 to 200 characters)", "signerName")
    unpaid = [i for i in await invoices_of(session, order) if i.status is not InvoiceStatus.PAID]
    if unpaid and not handover.on_account:
        shown = ", ".join(i.number or f"draft {i.id}" for i in unpaid)
        raise DomainError(
            f"invoices not paid: {shown}; take payment first or hand over on account",
            ErrorCode.CONFLICT,
            ["onAccount"],
        )
    if unpaid and principal.role not in (Role.ADMIN, Role.MANAGER):
        raise Forbidden("only a manager or admin hands over on account", ["onAccount"])
    order.handover_signer = signer
    order.handover_signature = handover.signature_ref
    order.on_account = bool(unpaid)
    apply(session, order, change)
    await session.flush()
    return order


async def cancel(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    reason: str,
    expected_version: int | None,
) -> RepairOrder:
    order, change = await _step(
        session, principal, order_id, Action.CANCEL, expected_version, reason
    )
    if not reason.strip():
        raise invalid("say why the order is cancelled", "reason")
    draft = await session.get(Invoice, order.invoice_id) if order.invoice_id else None
    if draft is not None and draft.status is InvoiceStatus.DRAFT:
        draft.status = InvoiceStatus.VOID
        draft.touch()
    apply(session, order, change)
    await session.flush()
    return order


async def charge_storage(session: AsyncSession, now: datetime | None = None) -> int:
    """The storage rule: an item left uncollected longer than its depot's free days gets
    the depot's storage fee, once, as an issued invoice (the customer hears of it through
    billing's invoice notification). Safe to run concurrently (SKIP LOCKED)."""
    now = now or utcnow()
    rows = (
        await session.execute(
            select(RepairOrder, Depot)
            .join(Depot, col(Depot.id) == col(RepairOrder.depot_id))
            .where(
                col(RepairOrder.status).in_([RepairStatus.READY, RepairStatus.DECLINED]),
                col(RepairOrder.storage_invoice_id).is_(None),
                col(RepairOrder.collect_from).is_not(None),
                col(Depot.storage_fee) > 0,
            )
            .order_by(col(RepairOrder.id))
            .with_for_update(of=RepairOrder, skip_locked=True)
        )
    ).all()
    charged = 0
    for order, depot in rows:
        assert order.collect_from is not None
        if now - order.collect_from <= timedelta(days=depot.storage_free_days):
            continue
        description = (
            f"Storage after {depot.storage_free_days} days uncollected, repair order {order.number}"
        )
        order.storage_invoice_id = await _fee_invoice(
            session, order, description, depot.storage_fee, now
        )
        order.touch()
        charged += 1
    await session.flush()
    return charged


async def part_uses(session: AsyncSession, order_id: int) -> list[tuple[RepairPartUse, Part]]:
    rows = await session.execute(
        select(RepairPartUse, Part)
        .join(Part, col(Part.id) == col(RepairPartUse.part_id))
        .where(col(RepairPartUse.repair_order_id) == order_id)
        .order_by(col(RepairPartUse.id))
    )
    return [(u, p) for u, p in rows.all()]


__all__ = ["Position"]
