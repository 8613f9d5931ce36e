"""Expense claims: what technicians spend on the job (fuel, parking, tolls, consumables)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import StringConstraints
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field, timestamp

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class ExpenseCategory(StrEnum):
    """What an expense claim was spent on."""

    FUEL = "FUEL"
    """Fuel for the vehicle."""
    PARKING = "PARKING"
    """Parking fees."""
    TOLL = "TOLL"
    """Road tolls."""
    PUBLIC_TRANSPORT = "PUBLIC_TRANSPORT"
    """Bus, train, metro or taxi fares."""
    MEALS = "MEALS"
    """Meals on duty."""
    LODGING = "LODGING"
    """A night away for work."""
    CONSUMABLES = "CONSUMABLES"
    """Small materials bought for a job."""
    OTHER = "OTHER"
    """Anything else (say what in the note)."""


class ExpenseStatus(StrEnum):
    """Where an expense claim stands."""

    SUBMITTED = "SUBMITTED"
    """Filed by the technician, waiting for approval."""
    APPROVED = "APPROVED"
    """Approved for reimbursement."""
    REJECTED = "REJECTED"
    """Refused (the reason says why)."""
    WITHDRAWN = "WITHDRAWN"
    """Taken back by the technician."""


class ExpenseClaim(Audited, table=True):
    __tablename__ = "expense_claims"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="positive_amount"),)

    id: int | None = id_field()
    technician_id: int = fk("technicians.id")
    task_id: int | None = fk("tasks.id", nullable=True)
    category: ExpenseCategory = Field(sa_type=enum_type(ExpenseCategory, 24))
    amount: Decimal = Field(sa_type=sa.Numeric(12, 2))
    currency: str = Field(default="INR", max_length=3)
    incurred_on: date
    description: str | None = Field(default=None, max_length=1000)
    receipt_ref: str | None = Field(default=None, max_length=500)
    """The receipt photo, by reference (an attachment id or URL)."""
    status: ExpenseStatus = Field(
        default=ExpenseStatus.SUBMITTED, sa_type=enum_type(ExpenseStatus, 16), index=True
    )
    approver_role: str = Field(max_length=16)
    """The least role that may approve it under the value policy."""
    submitted_by: str = Field(max_length=200)
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = timestamp(nullable=True, default_now=False)
    decision_reason: str | None = Field(default=None, max_length=500)


class ExpenseClaimCreate(SQLModel):
    technician_id: int | None = None
    """Defaults to the calling technician; staff may file for anyone."""
    task_id: int | None = None
    category: ExpenseCategory
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    currency: Currency = "INR"
    incurred_on: date
    description: str | None = Field(default=None, max_length=1000)
    receipt_ref: str | None = Field(default=None, min_length=1, max_length=500)
