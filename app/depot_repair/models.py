"""Depot repair: service centres (depots), their bench technicians, and repair orders for
items brought in for in-house repair, with their audit trail and the parts they used."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field, timestamp


class RepairStatus(StrEnum):
    """Where a repair order stands."""

    RECEIVED = "RECEIVED"
    """Booked in at the depot counter; waiting for a bench technician."""
    DIAGNOSING = "DIAGNOSING"
    """A bench technician is finding the fault."""
    ESTIMATE_SENT = "ESTIMATE_SENT"
    """The priced estimate waits for the customer's answer."""
    APPROVED = "APPROVED"
    """The customer approved the estimate; the repair may start."""
    DECLINED = "DECLINED"
    """The customer declined; the item goes back unrepaired (diagnosis fee per policy)."""
    WAITING_PARTS = "WAITING_PARTS"
    """Parts were requisitioned; the repair resumes when the requisition is fulfilled."""
    IN_REPAIR = "IN_REPAIR"
    """On the bench."""
    QC = "QC"
    """Repaired; waiting for the quality check."""
    READY = "READY"
    """Passed QC; ready for collection."""
    DELIVERED = "DELIVERED"
    """Handed back to the customer."""
    CANCELLED = "CANCELLED"
    """Withdrawn before the repair."""


OPEN_STATUSES = frozenset(RepairStatus) - {RepairStatus.DELIVERED, RepairStatus.CANCELLED}
BENCH_STATUSES = frozenset(
    {
        RepairStatus.RECEIVED,
        RepairStatus.DIAGNOSING,
        RepairStatus.APPROVED,
        RepairStatus.WAITING_PARTS,
        RepairStatus.IN_REPAIR,
        RepairStatus.QC,
    }
)
"""Statuses in which the order needs the bench (the queue)."""


class Depot(Audited, table=True):
    """A service centre: a warehouse stock location that also repairs items in house. Its
    repair policy (turnaround, diagnosis fee, storage rule) is data kept on the row."""

    __tablename__ = "depots"

    id: int | None = id_field()
    stock_location_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="stock_locations.id", unique=True
    )
    phone: str | None = Field(default=None, max_length=40)
    time_zone: str = Field(default="Asia/Kolkata", max_length=60)
    opening_hours: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
    """[{"weekday": 0-6 (Monday 0), "opens": "HH:MM", "closes": "HH:MM"}]"""
    turnaround_hours: int = 72
    """The promised turnaround (received -> ready): each order's due time."""
    diagnosis_fee: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(12, 2))
    """Charged when the customer declines the estimate (waived under warranty or contract)."""
    storage_free_days: int = 30
    """Days a ready item may wait for collection free of charge."""
    storage_fee: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(12, 2))
    """Charged once an item waits longer than `storage_free_days` (0: no storage fee)."""


class DepotTechnician(SQLModel, table=True):
    """A bench technician's depot (one depot each)."""

    __tablename__ = "depot_technicians"

    technician_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="technicians.id", primary_key=True
    )
    depot_id: int = fk("depots.id", ondelete="CASCADE")
    joined_at: datetime = timestamp()


class RepairOrder(Audited, table=True):
    __tablename__ = "repair_orders"
    __table_args__ = (
        sa.Index("ix_repair_orders_queue", "depot_id", "status", "priority", "due_at"),
        sa.CheckConstraint("priority BETWEEN 1 AND 5", name="priority_range"),
    )

    id: int | None = id_field()
    number: str = Field(max_length=20, unique=True)
    tracking_code: str = Field(max_length=20, unique=True)
    depot_id: int = fk("depots.id")
    customer_id: int = fk("customers.id")
    asset_id: int = fk("assets.id")
    service_request_id: int | None = fk("service_requests.id", nullable=True)
    technician_id: int | None = fk("technicians.id", nullable=True)
    status: RepairStatus = Field(
        default=RepairStatus.RECEIVED, sa_type=enum_type(RepairStatus, 16), index=True
    )
    priority: int = 3
    reported_fault: str = Field(max_length=2000)
    fault_code: str | None = Field(default=None, max_length=40, index=True)
    accessories: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
    """The intake checklist: [{"name": ..., "received": bool}]"""
    damage_notes: str | None = Field(default=None, max_length=2000)
    coverage: str = Field(default="CHARGEABLE", max_length=16)
    """WARRANTY, CONTRACT or CHARGEABLE at intake (`coverage_for`)."""
    contract_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    diagnosis: str | None = Field(default=None, max_length=2000)
    received_at: datetime = timestamp(index=True)
    due_at: datetime = timestamp()
    ready_at: datetime | None = timestamp(nullable=True, default_now=False)
    collect_from: datetime | None = timestamp(nullable=True, default_now=False)
    """Since when the item waits for collection (ready, or declined): the storage clock."""
    closed_at: datetime | None = timestamp(nullable=True, default_now=False)
    invoice_id: int | None = fk("invoices.id", nullable=True)
    """The estimate, kept as a priced billing draft, issued as the invoice when ready."""
    fee_invoice_id: int | None = fk("invoices.id", nullable=True)
    """The diagnosis fee invoice of a declined order."""
    storage_invoice_id: int | None = fk("invoices.id", nullable=True)
    requisition_id: int | None = fk("requisitions.id", nullable=True)
    qc_failures: int = 0
    repaired_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    """The technician who sent it to QC (may not pass their own QC)."""
    handover_signer: str | None = Field(default=None, max_length=200)
    handover_signature: str | None = Field(default=None, max_length=200)
    on_account: bool = False


class RepairOrderEvent(SQLModel, table=True):
    """One step of a repair order: the audit trail."""

    __tablename__ = "repair_order_events"

    id: int | None = id_field()
    repair_order_id: int = fk("repair_orders.id", ondelete="CASCADE")
    action: str = Field(max_length=32)
    from_status: RepairStatus | None = Field(default=None, sa_type=enum_type(RepairStatus, 16))
    to_status: RepairStatus = Field(sa_type=enum_type(RepairStatus, 16))
    at: datetime = timestamp(index=True)
    actor: str = Field(max_length=200)
    actor_role: str = Field(max_length=16)
    actor_name: str = Field(default="", max_length=200)
    reason: str | None = Field(default=None, max_length=500)
    technician_id: int | None = Field(default=None, sa_type=sa.BigInteger)


class RepairPartUse(SQLModel, table=True):
    """Parts consumed on a repair order from the depot's stock (a CONSUME in the ledger)."""

    __tablename__ = "repair_part_uses"

    id: int | None = id_field()
    repair_order_id: int = fk("repair_orders.id", ondelete="CASCADE")
    part_id: int = fk("parts.id")
    quantity: int
    unit_cost: Decimal = Field(sa_type=sa.Numeric(12, 2))
    operation_key: str = Field(max_length=200)
    used_at: datetime = timestamp()
