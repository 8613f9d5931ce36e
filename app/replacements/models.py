"""Replacement under warranty: a unit that cannot be repaired is swapped for one from stock.

A request names the faulty asset, the stock item that replaces it, the depot (warehouse) it is
issued from, a diagnosis and evidence (attachments of the source task). Who approves it is data:
`replacement_policies` give, per product category (or for every category), the value up to
which a dispatcher and a manager may approve, above which only an admin may, and whether the new
unit's warranty continues the old one's or restarts. An approval issues the unit from stock
through the ledger, retires the old serial, registers the new asset and tells the customer.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import StringConstraints, field_validator
from sqlmodel import Field, SQLModel

from app.assets.models import ProductCategory
from app.core.models import Audited, enum_type, fk, id_field, timestamp

Serial = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ReplacementSource(StrEnum):
    """Where a replacement request comes from."""

    FIELD_TASK = "FIELD_TASK"
    """A field task: the technician found the unit beyond repair on site."""
    REPAIR_ORDER = "REPAIR_ORDER"
    """A depot repair order (not accepted yet: requests come from field tasks for now)."""


class ReplacementStatus(StrEnum):
    """Where a replacement request stands."""

    PENDING_APPROVAL = "PENDING_APPROVAL"
    """Waiting for an approver of the role its value and product category require."""
    APPROVED = "APPROVED"
    """Approved: the unit left stock, the old serial is retired, the new asset registered."""
    REJECTED = "REJECTED"
    """Refused, with a reason the customer is told."""
    WITHDRAWN = "WITHDRAWN"
    """Taken back by the requester before a decision."""


class WarrantyMode(StrEnum):
    """The warranty of a replacement unit."""

    CONTINUE = "CONTINUE"
    """The new unit keeps the old unit's warranty expiry."""
    RESTART = "RESTART"
    """The new unit gets a fresh warranty of its model's length from the replacement day."""


class ReplacementRequest(Audited, table=True):
    """A request to replace a faulty asset with a unit from stock."""

    __tablename__ = "replacement_requests"
    __table_args__ = (
        sa.CheckConstraint(
            "source <> 'FIELD_TASK' OR task_id IS NOT NULL", name="field_task_source"
        ),
        sa.CheckConstraint(
            "source <> 'REPAIR_ORDER' OR repair_order_id IS NOT NULL", name="repair_order_source"
        ),
        sa.CheckConstraint("value >= 0", name="value_not_negative"),
        sa.Index(
            "uq_replacement_requests_open_per_asset",
            "asset_id",
            unique=True,
            postgresql_where=sa.text("status = 'PENDING_APPROVAL'"),
        ),
        sa.Index("ix_replacement_requests_decided", "status", "decided_at"),
    )

    id: int | None = id_field()
    source: ReplacementSource = Field(sa_type=enum_type(ReplacementSource, 16))
    task_id: int | None = fk("tasks.id", nullable=True)
    repair_order_id: int | None = fk("repair_orders.id", nullable=True, ondelete="SET NULL")
    """Set when requested from a depot repair order."""
    customer_id: int = fk("customers.id")
    asset_id: int = fk("assets.id")
    """The faulty unit."""
    product_category: ProductCategory = Field(sa_type=enum_type(ProductCategory, 16))
    """The faulty unit's category when requested (it picks the policy)."""
    replacement_part_id: int = fk("parts.id")
    """The stock item issued as the new unit."""
    replacement_model_id: int = fk("product_models.id")
    """The product model of the new unit (the old one's unless a successor is named)."""
    stock_location_id: int = fk("stock_locations.id")
    """The depot (warehouse) the unit is issued from."""
    value: Decimal = Field(sa_type=sa.Numeric(12, 2))
    """The unit's cost when requested: sets the approver."""
    currency: str = Field(max_length=3)
    approver_role: str = Field(max_length=16)
    """The least role that may approve it under the policy."""
    diagnosis: str = Field(max_length=4000)
    status: ReplacementStatus = Field(
        default=ReplacementStatus.PENDING_APPROVAL,
        sa_type=enum_type(ReplacementStatus, 20),
        index=True,
    )
    requested_by: str = Field(max_length=200)
    requested_by_role: str = Field(max_length=16)
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = timestamp(nullable=True, default_now=False)
    decision_reason: str | None = Field(default=None, max_length=1000)
    new_asset_id: int | None = fk("assets.id", nullable=True)
    new_serial_number: str | None = Field(default=None, max_length=100)
    warranty_mode: WarrantyMode | None = Field(default=None, sa_type=enum_type(WarrantyMode, 16))
    """The warranty policy applied on approval."""
    new_warranty_expires_on: date | None = None


class ReplacementEvidence(SQLModel, table=True):
    """A photo or document of the source task offered as evidence for a request."""

    __tablename__ = "replacement_evidence"

    request_id: int = Field(
        sa_type=sa.BigInteger,
        foreign_key="replacement_requests.id",
        primary_key=True,
        ondelete="CASCADE",
    )
    attachment_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="attachments.id", primary_key=True, index=True
    )
    position: int = 0


class ReplacementPolicy(Audited, table=True):
    """Who approves a replacement of a given value, and the new unit's warranty, for one product
    category (or, with no category, for every category without its own row)."""

    __tablename__ = "replacement_policies"
    __table_args__ = (
        sa.Index(
            "uq_replacement_policies_category",
            sa.text("coalesce(product_category, '*')"),
            unique=True,
        ),
        sa.CheckConstraint(
            "dispatcher_limit >= 0"
            " AND (manager_limit IS NULL OR manager_limit >= dispatcher_limit)",
            name="ordered_limits",
        ),
    )

    id: int | None = id_field()
    product_category: ProductCategory | None = Field(
        default=None, sa_type=enum_type(ProductCategory, 16)
    )
    currency: str = Field(default="INR", max_length=3)
    """The limits' currency; a request in another currency needs a manager."""
    dispatcher_limit: Decimal = Field(sa_type=sa.Numeric(12, 2))
    manager_limit: Decimal | None = Field(default=None, sa_type=sa.Numeric(12, 2))
    """Above this only an admin approves; None: a manager approves any value."""
    warranty_mode: WarrantyMode = Field(
        default=WarrantyMode.CONTINUE, sa_type=enum_type(WarrantyMode, 16)
    )


class ReplacementPolicySet(SQLModel):
    """Create or replace the policy of one product category (None: the default)."""

    product_category: ProductCategory | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "INR"
    dispatcher_limit: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    manager_limit: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    warranty_mode: WarrantyMode = WarrantyMode.CONTINUE

    @field_validator("manager_limit")
    @classmethod
    def _above_dispatcher(cls, value: Decimal | None, info: object) -> Decimal | None:
        low = getattr(info, "data", {}).get("dispatcher_limit")
        if value is not None and low is not None and value < low:
            raise ValueError("must not be below the dispatcher limit")
        return value


class ReplacementRequestCreate(SQLModel):
    task_id: int | None = None
    """The field task the unit was diagnosed on; or else:"""
    repair_order_id: int | None = None
    """The depot repair order the unit was diagnosed on (exactly one of the two)."""
    asset_id: int | None = None
    """Null: the source's asset."""
    replacement_part_id: int
    replacement_model_id: int | None = None
    stock_location_id: int
    diagnosis: str = Field(min_length=1, max_length=4000)
    evidence_attachment_ids: list[int] = Field(default_factory=list, max_length=20)


class ReplacementApproval(SQLModel):
    new_serial_number: Serial
    """The serial of the unit taken from stock."""
