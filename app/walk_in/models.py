"""Walk-in orders: one-time service sold at the counter to a customer without a contract.

The order's lines are priced from the price list in force and billed on an invoice issued at
once; the customer pays at the counter (cash or card, receipted) or the invoice stays on their
account until its due date. A field visit may be planned from the order as an ordinary task.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.billing.models import LineIn, PaymentMethod
from app.core.models import Audited, enum_type, fk, id_field
from app.work_orders.models import SkillRequirement, TaskType


class Settlement(StrEnum):
    """How a walk-in order is paid."""

    PAY_NOW = "PAY_NOW"
    """Paid in full at the counter (cash or card) when the order is taken."""
    ON_ACCOUNT = "ON_ACCOUNT"
    """Charged to the customer's account: the invoice is due by its due date."""


class WalkInOrder(Audited, table=True):
    """A one-time service order taken at the counter, with the invoice that bills it."""

    __tablename__ = "walk_in_orders"
    __table_args__ = (
        sa.CheckConstraint(
            "settlement <> 'PAY_NOW' OR payment_id IS NOT NULL OR paid_nothing",
            name="paid_when_pay_now",
        ),
    )

    id: int | None = id_field()
    number: str = Field(max_length=40, unique=True)
    """WI-<year>-<n>, numbered without gaps."""
    customer_id: int = fk("customers.id")
    site_id: int | None = fk("sites.id", nullable=True)
    asset_id: int | None = fk("assets.id", nullable=True)
    description: str | None = Field(default=None, max_length=2000)
    """What the customer came for."""
    settlement: Settlement = Field(sa_type=enum_type(Settlement, 16))
    invoice_id: int = fk("invoices.id")
    payment_id: int | None = fk("payments.id", nullable=True)
    paid_nothing: bool = False
    """The order came to nothing to pay (every line free): no payment was taken."""
    task_id: int | None = fk("tasks.id", nullable=True)
    """The field visit planned from the order, if any."""
    stock_location_id: int | None = fk("stock_locations.id", nullable=True)
    """Where the parts sold left stock (the counter's warehouse); None: not taken from stock."""
    created_by: str = Field(max_length=200)


class CounterPayment(SQLModel):
    method: PaymentMethod
    reference: str | None = Field(default=None, max_length=200)


class FieldVisitPlan(SQLModel):
    """A field visit planned from a walk-in order: a task at one of the customer's sites."""

    site_id: int | None = None
    """Null: the order's site."""
    type: TaskType = TaskType.REPAIR
    description: str | None = Field(default=None, max_length=4000)
    priority: int = Field(default=3, ge=1, le=5)
    duration_minutes: int = Field(default=60, ge=5, le=24 * 60)
    window_start: datetime | None = None
    window_end: datetime | None = None
    required_skills: list[SkillRequirement] = Field(default_factory=list, max_length=20)

    def window_problem(self) -> str | None:
        if (self.window_start is None) != (self.window_end is None):
            return "an appointment window needs both windowStart and windowEnd"
        if self.window_start and self.window_end:
            if self.window_end <= self.window_start:
                return "windowEnd must be after windowStart"
            if self.window_end - self.window_start > timedelta(days=7):
                return "an appointment window may span at most 7 days"
        return None


class WalkInOrderCreate(SQLModel):
    customer_id: int
    site_id: int | None = None
    asset_id: int | None = None
    description: str | None = Field(default=None, max_length=2000)
    lines: list[LineIn] = Field(min_length=1, max_length=100)
    settlement: Settlement
    payment: CounterPayment | None = None
    field_visit: FieldVisitPlan | None = None
    stock_location_id: int | None = None
    """Issue the part lines from this warehouse through the ledger."""
