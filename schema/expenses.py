"""GraphQL types for technicians' expense claims."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from app.expenses import models
from app.expenses.models import ExpenseClaim
from schema.common import Money
from schema.errors import Payload
from schema.ids import encode_id
from schema.node import Node
from schema.pagination import Connection

ExpenseCategory = strawberry.enum(models.ExpenseCategory, name="ExpenseCategory")
ExpenseStatus = strawberry.enum(models.ExpenseStatus, name="ExpenseStatus")


@strawberry.type(name="ExpenseClaim")
class ExpenseClaimType(Node):
    category: ExpenseCategory  # type: ignore[valid-type]
    amount: Money
    incurred_on: date
    description: str | None
    receipt_ref: str | None
    status: ExpenseStatus  # type: ignore[valid-type]
    approver_role: str
    decided_at: datetime | None
    decision_reason: str | None
    version: int
    technician_db_id: strawberry.Private[int]

    @strawberry.field
    def technician_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Technician", self.technician_db_id))

    @classmethod
    def from_model(cls, row: ExpenseClaim) -> ExpenseClaimType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            category=row.category,
            amount=Money(amount=row.amount, currency=row.currency),
            incurred_on=row.incurred_on,
            description=row.description,
            receipt_ref=row.receipt_ref,
            status=row.status,
            approver_role=row.approver_role,
            decided_at=row.decided_at,
            decision_reason=row.decision_reason,
            version=row.version,
            technician_db_id=row.technician_id,
        )


ExpenseClaimConnection = Connection[ExpenseClaimType]


@strawberry.input
class SubmitExpenseClaimInput:
    category: ExpenseCategory  # type: ignore[valid-type]
    amount: Decimal
    incurred_on: date
    technician_id: strawberry.ID | None = None
    task_id: strawberry.ID | None = None
    currency: str = "INR"
    description: str | None = None
    receipt_ref: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class DecideExpenseClaimInput:
    claim_id: strawberry.ID
    reason: str | None = None


@strawberry.type
class ExpenseClaimPayload(Payload):
    claim: ExpenseClaimType | None = None
