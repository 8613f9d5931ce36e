"""Travel and advance requests: before a far or costly job a technician asks for travel (mode,
route, dates, estimated cost, lodging) and a cash advance for one task.

Who approves is data: `travel_policies` give, per task type (or for every type), the floor
under which a request is approved on its own, the cost up to which a dispatcher and a manager
may approve (above it only an admin), and when a task of that type needs an approved request
before it is released for execution: always, or when the site lies beyond a distance from the
technician's home base. A paid-out advance settles against the technician's approved expense
claims for the task: the difference is owed to them or recovered.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import StringConstraints, ValidationInfo, field_validator, model_validator
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field, timestamp
from app.work_orders.models import TaskType

CURRENCIES = frozenset({"INR", "USD", "EUR", "GBP", "AED", "SGD", "LKR", "NPR", "BDT"})
"""Currencies a travel request or policy may be in; any other is refused as unknown."""
MAX_AMOUNT = Decimal("10000000.00")
"""The largest estimated cost or advance one request may carry."""
LONGEST_TRIP_DAYS = 60

Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class TravelMode(StrEnum):
    """How the technician travels."""

    CAR = "CAR"
    """The company's or their own car."""
    TWO_WHEELER = "TWO_WHEELER"
    """A motorbike or scooter."""
    BUS = "BUS"
    """Intercity bus."""
    TRAIN = "TRAIN"
    """Rail."""
    FLIGHT = "FLIGHT"
    """Air travel."""
    OTHER = "OTHER"
    """Anything else (say what in the notes)."""


class TravelStatus(StrEnum):
    """Where a travel request stands."""

    PENDING_APPROVAL = "PENDING_APPROVAL"
    """Waiting for an approver of the role its cost requires."""
    APPROVED = "APPROVED"
    """Approved (by a person, or on its own under the policy's floor): the task is released."""
    REJECTED = "REJECTED"
    """Refused, with a reason."""
    CANCELLED = "CANCELLED"
    """Taken back by the technician or staff before the advance was paid out."""


class SettlementStatus(StrEnum):
    """Where a request's cash advance stands."""

    NO_ADVANCE = "NO_ADVANCE"
    """No advance was asked for."""
    NOT_PAID = "NOT_PAID"
    """An advance was asked for and not paid out (yet, or ever: rejected or cancelled)."""
    PAID_OUT = "PAID_OUT"
    """Paid out to the technician; waiting for their expense claims for the task."""
    SETTLED = "SETTLED"
    """Settled against the approved expense claims: the balance is owed or recovered."""


class TravelRequest(Audited, table=True):
    """A technician's request for travel and a cash advance for one task."""

    __tablename__ = "travel_requests"
    __table_args__ = (
        sa.CheckConstraint("estimated_cost > 0", name="positive_cost"),
        sa.CheckConstraint("advance_amount >= 0", name="advance_not_negative"),
        sa.CheckConstraint("returns_on >= departs_on", name="ordered_dates"),
        sa.Index(
            "uq_travel_requests_open_per_task",
            "task_id",
            "technician_id",
            unique=True,
            postgresql_where=sa.text("status IN ('PENDING_APPROVAL', 'APPROVED')"),
        ),
    )

    id: int | None = id_field()
    task_id: int = fk("tasks.id")
    technician_id: int = fk("technicians.id")
    mode: TravelMode = Field(sa_type=enum_type(TravelMode, 16))
    origin: str = Field(max_length=200)
    destination: str = Field(max_length=200)
    departs_on: date
    returns_on: date
    estimated_cost: Decimal = Field(sa_type=sa.Numeric(12, 2))
    """Travel and lodging together: it sets the approver."""
    lodging_nights: int = 0
    advance_amount: Decimal = Field(default=Decimal("0.00"), sa_type=sa.Numeric(12, 2))
    currency: str = Field(max_length=3)
    notes: str | None = Field(default=None, max_length=1000)
    status: TravelStatus = Field(
        default=TravelStatus.PENDING_APPROVAL, sa_type=enum_type(TravelStatus, 20), index=True
    )
    approver_role: str | None = Field(default=None, max_length=16)
    """The least role that may approve it; None when it was approved on its own."""
    requested_by: str = Field(max_length=200)
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = timestamp(nullable=True, default_now=False)
    decision_reason: str | None = Field(default=None, max_length=1000)
    advance_paid_at: datetime | None = timestamp(nullable=True, default_now=False)
    advance_paid_by: str | None = Field(default=None, max_length=200)
    settlement_status: SettlementStatus = Field(
        default=SettlementStatus.NO_ADVANCE, sa_type=enum_type(SettlementStatus, 16)
    )
    settled_at: datetime | None = timestamp(nullable=True, default_now=False)
    claimed_amount: Decimal | None = Field(default=None, sa_type=sa.Numeric(12, 2))
    """Approved expense claims for the task in the request's currency, when settled."""
    balance: Decimal | None = Field(default=None, sa_type=sa.Numeric(12, 2))
    """Claimed minus advanced when settled: positive is owed to the technician, negative is
    recovered from them."""


class TravelPolicy(Audited, table=True):
    """When tasks of one type (or, with no type, of every type without its own row) need an
    approved travel request, and who approves one of a given cost."""

    __tablename__ = "travel_policies"
    __table_args__ = (
        sa.Index("uq_travel_policies_task_type", sa.text("coalesce(task_type, '*')"), unique=True),
        sa.CheckConstraint(
            "auto_approve_below >= 0 AND dispatcher_limit >= 0"
            " AND (manager_limit IS NULL OR manager_limit >= dispatcher_limit)",
            name="ordered_limits",
        ),
        sa.CheckConstraint(
            "approval_beyond_km IS NULL OR approval_beyond_km >= 0", name="distance_not_negative"
        ),
    )

    id: int | None = id_field()
    task_type: TaskType | None = Field(default=None, sa_type=enum_type(TaskType, 16))
    requires_approval: bool = False
    """Every task of the type needs an approved travel request before it is released."""
    approval_beyond_km: Decimal | None = Field(default=None, sa_type=sa.Numeric(8, 2))
    """A task whose site lies farther than this from the technician's home base needs one."""
    currency: str = Field(default="INR", max_length=3)
    auto_approve_below: Decimal = Field(default=Decimal("0.00"), sa_type=sa.Numeric(12, 2))
    """Requests costing less than this (in the policy's currency) are approved on their own."""
    dispatcher_limit: Decimal = Field(sa_type=sa.Numeric(12, 2))
    manager_limit: Decimal | None = Field(default=None, sa_type=sa.Numeric(12, 2))
    """Above this only an admin approves; None: a manager approves any cost."""


Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Amount = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, max_digits=12, decimal_places=2)]


def _known(currency: str) -> str:
    if currency not in CURRENCIES:
        raise ValueError(f"unknown currency; one of {', '.join(sorted(CURRENCIES))}")
    return currency


class TravelPolicySet(SQLModel):
    """Create or replace the travel policy of one task type (None: the default)."""

    task_type: TaskType | None = None
    requires_approval: bool = False
    approval_beyond_km: Decimal | None = Field(default=None, ge=0, le=20000, decimal_places=2)
    currency: Currency = "INR"
    auto_approve_below: Amount = Decimal("0.00")
    dispatcher_limit: Amount
    manager_limit: Amount | None = None

    _currency = field_validator("currency")(_known)

    @model_validator(mode="after")
    def _ordered(self) -> TravelPolicySet:
        if self.manager_limit is not None and self.manager_limit < self.dispatcher_limit:
            raise ValueError("managerLimit must not be below dispatcherLimit")
        return self


class TravelRequestCreate(SQLModel):
    task_id: int
    technician_id: int | None = None
    """Staff name the technician; a technician asks for themselves (None: the task's)."""
    mode: TravelMode
    origin: Place
    destination: Place
    departs_on: date
    returns_on: date
    estimated_cost: Decimal = Field(gt=0, le=float(MAX_AMOUNT), max_digits=12, decimal_places=2)
    lodging_nights: int = Field(default=0, ge=0, le=LONGEST_TRIP_DAYS)
    advance_amount: Amount = Decimal("0.00")
    currency: Currency = "INR"
    notes: str | None = Field(default=None, max_length=1000)

    _currency = field_validator("currency")(_known)

    @field_validator("returns_on")
    @classmethod
    def _after_departure(cls, value: date, info: ValidationInfo) -> date:
        departs = info.data.get("departs_on")
        if departs is not None and value < departs:
            raise ValueError("the return is before the departure")
        if departs is not None and (value - departs).days > LONGEST_TRIP_DAYS:
            raise ValueError(f"a trip lasts at most {LONGEST_TRIP_DAYS} days")
        return value

    @field_validator("advance_amount")
    @classmethod
    def _within_cost(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        cost = info.data.get("estimated_cost")
        if cost is not None and value > cost:
            raise ValueError("the advance may not exceed the estimated cost")
        return value
