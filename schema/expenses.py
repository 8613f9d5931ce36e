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


@strawberry.type(
    name="ExpenseClaim",
    description="Money a technician spent on the job and asks to be reimbursed.",
)
class ExpenseClaimType(Node):
    category: ExpenseCategory = strawberry.field(  # type: ignore[valid-type]
        description="What the money was spent on."
    )
    amount: Money = strawberry.field(
        description="Amount claimed in currency units (e.g. rupees, 2 decimals), not paise."
    )
    incurred_on: date = strawberry.field(description="Day the expense was incurred.")
    description: str | None = strawberry.field(
        description="The technician's note on the expense; null if none."
    )
    receipt_ref: str | None = strawberry.field(
        description="Reference to the receipt photo (an attachment id or URL); null if none."
    )
    status: ExpenseStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where the claim stands; only SUBMITTED claims can be decided."
    )
    approver_role: str = strawberry.field(
        description=(
            "Least role that may approve it, by amount: DISPATCHER up to 2,000, MANAGER up to "
            "10,000, else ADMIN."
        )
    )
    decided_at: datetime | None = strawberry.field(
        description="When it was approved or rejected (UTC); null while undecided."
    )
    decision_reason: str | None = strawberry.field(
        description="Reason given with the decision (always set on a rejection); null if none."
    )
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


@strawberry.input(description="A new expense claim.")
class SubmitExpenseClaimInput:
    category: ExpenseCategory = strawberry.field(  # type: ignore[valid-type]
        description="What the money was spent on."
    )
    amount: Decimal = strawberry.field(
        description=(
            "Amount in currency units (e.g. 250.50 rupees, not paise); above 0, 2 decimals at most."
        )
    )
    incurred_on: date = strawberry.field(description="Day the expense was incurred.")
    technician_id: strawberry.ID | None = None
    task_id: strawberry.ID | None = None
    currency: str = strawberry.field(
        default="INR", description="ISO 4217 code of the amount, e.g. INR."
    )
    description: str | None = strawberry.field(
        default=None, description="Note on the expense (up to 1,000 characters)."
    )
    receipt_ref: str | None = strawberry.field(
        default=None, description="Reference to the receipt photo: an attachment id or URL."
    )
    idempotency_key: str | None = None


@strawberry.input(description="A decision on a submitted expense claim.")
class DecideExpenseClaimInput:
    claim_id: strawberry.ID
    reason: str | None = strawberry.field(
        default=None,
        description="Why; required to reject, optional to approve (up to 500 characters).",
    )


@strawberry.type
class ExpenseClaimPayload(Payload):
    claim: ExpenseClaimType | None = strawberry.field(
        default=None, description="The claim after the change; null if it failed."
    )
