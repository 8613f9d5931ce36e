"""Parts, stock locations, the append-only movement ledger, stock levels and requisitions.

Stock levels are a projection of the ledger: for every (location, part), `on_hand` and
`reserved` equal the sums of the movements' deltas there. The database keeps them
non-negative (CHECK constraints) and refuses to rewrite or delete the ledger (a trigger in
migration 0006), so no code path can bend the invariant.

`task_id` columns reference the service lifecycle's tasks (foreign keys since migration
0013, once both lived in one migration history).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import StringConstraints, field_validator
from sqlmodel import Field, SQLModel

from app.core.models import Audited, Code, enum_type, fk, id_field, point_column, timestamp

Sku = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_./-]+$"
    ),
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Units = Annotated[int, Field(gt=0, le=1_000_000)]


class StockLocationKind(StrEnum):
    """Where stock is kept."""

    WAREHOUSE = "WAREHOUSE"
    """A warehouse or depot."""
    VAN = "VAN"
    """A technician's van."""


class MovementKind(StrEnum):
    """What a stock movement does; every change of stock is one (the ledger is append-only)."""

    RECEIVE = "RECEIVE"
    """Stock arrives at a warehouse."""
    ISSUE_TO_VAN = "ISSUE_TO_VAN"
    """Stock goes from a warehouse to a technician's van."""
    RETURN = "RETURN"
    """Stock comes back from a van to a warehouse."""
    TRANSFER = "TRANSFER"
    """Stock moves between two locations."""
    CONSUME = "CONSUME"
    """A part is used on a visit."""
    ADJUST = "ADJUST"
    """A count correction (found or lost), with a reason."""
    RESERVE = "RESERVE"
    """Stock set aside for a task or requisition (still on hand, not available)."""
    RELEASE = "RELEASE"
    """A reservation given back."""


class RequisitionStatus(StrEnum):
    """Where a technician's request for parts stands."""

    PENDING_APPROVAL = "PENDING_APPROVAL"
    """Waiting for a dispatcher or manager."""
    APPROVED = "APPROVED"
    """Approved; waiting for its parts to be issued to the van."""
    REJECTED = "REJECTED"
    """Refused."""
    PARTIALLY_FULFILLED = "PARTIALLY_FULFILLED"
    """Some of it was issued to the van."""
    FULFILLED = "FULFILLED"
    """Everything was issued."""
    CANCELLED = "CANCELLED"
    """Withdrawn before it was fulfilled."""


# --- parts --------------------------------------------------------------------------------


PartCategory = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$"
    ),
]


class PartBase(SQLModel):
    sku: str = Field(max_length=60, sa_column_kwargs={"unique": True})
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, sa_type=sa.Text)
    unit: str = Field(default="EA", max_length=16)
    """The unit a quantity counts (each, metre, litre...); quantities are whole units."""
    unit_cost: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(12, 2))
    unit_price: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(12, 2))
    currency: str = Field(default="INR", max_length=3)
    is_accessory: bool = False
    """Offered to customers as an upsell on site."""
    reorder_level: int | None = None
    category: str | None = Field(default=None, max_length=40, index=True)
    """What contracts may exclude from coverage (refrigerant gas, consumables, cosmetic
    parts...); a price list's category for the part applies when this is empty."""


class Part(PartBase, Audited, table=True):
    __tablename__ = "parts"
    __table_args__ = (
        sa.CheckConstraint("unit_cost >= 0 AND unit_price >= 0", name="non_negative_prices"),
        sa.Index("ix_parts_name_lower", sa.text("lower(name)")),
    )

    id: int | None = id_field()


class MoneyIn(SQLModel):
    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    currency: Currency


class PartCreate(SQLModel):
    sku: Sku
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    unit: str = Field(default="EA", min_length=1, max_length=16)
    unit_cost: MoneyIn
    unit_price: MoneyIn
    is_accessory: bool = False
    reorder_level: int | None = Field(default=None, ge=0)
    category: PartCategory | None = None
    compatible_model_ids: list[int] = Field(default_factory=list)

    @field_validator("unit_price")
    @classmethod
    def _same_currency(cls, value: MoneyIn, info: Any) -> MoneyIn:
        cost = info.data.get("unit_cost")
        if cost is not None and cost.currency != value.currency:
            raise ValueError("unit cost and unit price must be in the same currency")
        return value


class PartUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    unit: str | None = Field(default=None, min_length=1, max_length=16)
    unit_cost: MoneyIn | None = None
    unit_price: MoneyIn | None = None
    is_accessory: bool | None = None
    reorder_level: int | None = Field(default=None, ge=0)
    category: PartCategory | None = None
    compatible_model_ids: list[int] | None = None
    """When sent, replaces the whole list."""

    @field_validator("name", "unit", "unit_cost", "unit_price", "is_accessory")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class PartCompatibility(SQLModel, table=True):
    """A part fits a product model."""

    __tablename__ = "part_compatible_models"

    part_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="parts.id", primary_key=True, ondelete="CASCADE"
    )
    product_model_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="product_models.id", primary_key=True, index=True
    )


# --- stock locations ----------------------------------------------------------------------


class StockLocation(Audited, table=True):
    """A warehouse (with a fixed point) or a technician's van (positioned by its technician)."""

    __tablename__ = "stock_locations"
    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'VAN') = (technician_id IS NOT NULL)", name="van_has_technician"
        ),
        sa.CheckConstraint("kind = 'VAN' OR point IS NOT NULL", name="warehouse_has_point"),
    )

    id: int | None = id_field()
    kind: StockLocationKind = Field(sa_type=enum_type(StockLocationKind, 16))
    code: str = Field(max_length=40, sa_column_kwargs={"unique": True})
    name: str = Field(max_length=200)
    address: str | None = Field(default=None, max_length=500)
    point: Any = Field(default=None, sa_column=point_column(nullable=True))
    technician_id: int | None = Field(
        default=None,
        sa_type=sa.BigInteger,
        foreign_key="technicians.id",
        sa_column_kwargs={"unique": True},
    )


class Position(SQLModel):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


class WarehouseCreate(SQLModel):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    point: Position


class WarehouseUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    point: Position | None = None

    @field_validator("name", "point")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


# --- levels and the ledger ----------------------------------------------------------------


class StockLevel(SQLModel, table=True):
    """How many units of a part a location holds, and how many of those are promised."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        sa.UniqueConstraint("location_id", "part_id"),
        sa.CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        sa.CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        sa.CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    )

    id: int | None = id_field()
    location_id: int = fk("stock_locations.id")
    part_id: int = fk("parts.id")
    on_hand: int = Field(default=0)
    reserved: int = Field(default=0)
    updated_at: datetime = timestamp()

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMovement(SQLModel, table=True):
    """One leg of a stock movement at one location; never updated, never deleted.

    A transfer has two legs (out of one location, into another) sharing `operation_key`
    and naming each other's location as `counterpart_location_id`.
    """

    __tablename__ = "stock_movements"
    __table_args__ = (
        sa.UniqueConstraint("operation_key", "leg", name="uq_stock_movements_operation_leg"),
        sa.CheckConstraint("quantity > 0", name="positive_quantity"),
        sa.CheckConstraint("on_hand_delta <> 0 OR reserved_delta <> 0", name="changes_something"),
        sa.Index("ix_stock_movements_location_part", "location_id", "part_id"),
    )

    id: int | None = id_field()
    operation_key: str = Field(max_length=200)
    """Stable per operation: a retried operation with the same key is not applied twice."""
    leg: int = Field(default=0, sa_type=sa.SmallInteger)
    kind: MovementKind = Field(sa_type=enum_type(MovementKind, 16))
    location_id: int = fk("stock_locations.id")
    part_id: int = fk("parts.id")
    counterpart_location_id: int | None = fk("stock_locations.id", nullable=True)
    quantity: int
    """Units moved (always positive); the deltas say in which direction."""
    on_hand_delta: int
    reserved_delta: int = 0
    actor: str = Field(max_length=200)
    at: datetime = timestamp(index=True)
    reason: str | None = Field(default=None, max_length=500)
    reference: str | None = Field(default=None, max_length=100)
    """An outside document: purchase order, delivery note, count sheet."""
    task_id: int | None = fk("tasks.id", nullable=True)
    requisition_id: int | None = fk("requisitions.id", nullable=True)


class MovementLine(SQLModel):
    part_id: int
    quantity: Units


class TaskPartLine(SQLModel):
    """A part used on a task, named by id or by SKU (the lifecycle records SKUs)."""

    part_id: int | None = None
    sku: str | None = None
    quantity: Units


# --- requisitions -------------------------------------------------------------------------


class Requisition(Audited, table=True):
    """A technician asks for parts for a task, to be issued from a warehouse to their van."""

    __tablename__ = "requisitions"

    id: int | None = id_field()
    technician_id: int = fk("technicians.id")
    warehouse_id: int = fk("stock_locations.id")
    task_id: int | None = fk("tasks.id", nullable=True)
    status: RequisitionStatus = Field(
        default=RequisitionStatus.PENDING_APPROVAL,
        sa_type=enum_type(RequisitionStatus, 24),
        index=True,
    )
    requested_by: str = Field(max_length=200)
    needed_by: datetime | None = timestamp(nullable=True, default_now=False)
    notes: str | None = Field(default=None, max_length=2000)
    total_value: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(12, 2))
    currency: str = Field(default="INR", max_length=3)
    approver_role: str = Field(max_length=16)
    """The least role that may approve it under the value policy."""
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = timestamp(nullable=True, default_now=False)
    decision_reason: str | None = Field(default=None, max_length=500)


class RequisitionLine(SQLModel, table=True):
    __tablename__ = "requisition_lines"
    __table_args__ = (
        sa.UniqueConstraint("requisition_id", "part_id"),
        sa.CheckConstraint("quantity_requested > 0", name="positive_request"),
        sa.CheckConstraint(
            "quantity_fulfilled BETWEEN 0 AND quantity_requested", name="fulfilled_within_request"
        ),
    )

    id: int | None = id_field()
    requisition_id: int = fk("requisitions.id", ondelete="CASCADE")
    part_id: int = fk("parts.id")
    quantity_requested: int
    quantity_fulfilled: int = 0
    unit_cost: Decimal = Field(sa_type=sa.Numeric(12, 2))

    @property
    def outstanding(self) -> int:
        return self.quantity_requested - self.quantity_fulfilled


class RequisitionCreate(SQLModel):
    technician_id: int
    warehouse_id: int
    task_id: int | None = None
    needed_by: datetime | None = None
    notes: str | None = Field(default=None, max_length=2000)
    lines: list[MovementLine] = Field(min_length=1, max_length=100)


# --- requisition approval policy ----------------------------------------------------------


class ApprovalThresholdBase(SQLModel):
    currency: str = Field(max_length=3, sa_column_kwargs={"unique": True})
    dispatcher_limit: Decimal = Field(sa_type=sa.Numeric(12, 2))
    """Up to this value (inclusive) a dispatcher may approve a requisition."""
    manager_limit: Decimal | None = Field(default=None, sa_type=sa.Numeric(12, 2))
    """Up to this value a manager may; above it only an admin. None: no upper limit."""


class RequisitionApprovalThreshold(ApprovalThresholdBase, Audited, table=True):
    """Who approves a requisition of a given value, per currency (policy as data, edited by
    admins). A currency without a row needs a manager."""

    __tablename__ = "requisition_approval_thresholds"
    __table_args__ = (
        sa.CheckConstraint(
            "dispatcher_limit >= 0"
            " AND (manager_limit IS NULL OR manager_limit >= dispatcher_limit)",
            name="ordered_limits",
        ),
    )

    id: int | None = id_field()


class ApprovalThresholdSet(SQLModel):
    """Create or replace the thresholds of one currency."""

    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    dispatcher_limit: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    manager_limit: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)

    @field_validator("manager_limit")
    @classmethod
    def _above_dispatcher(cls, value: Decimal | None, info: Any) -> Decimal | None:
        low = info.data.get("dispatcher_limit")
        if value is not None and low is not None and value < low:
            raise ValueError("must not be below the dispatcher limit")
        return value
