"""Contract billing: how a contract's price is invoiced (terms), and which invoice billed
which period of which contract."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field


class BillingFrequency(StrEnum):
    """How often a contract is invoiced."""

    ANNUAL = "ANNUAL"
    """One invoice a contract year."""
    QUARTERLY = "QUARTERLY"
    """One invoice every three months from the contract's start."""
    MONTHLY = "MONTHLY"
    """One invoice a month from the contract's start."""


class BillingTiming(StrEnum):
    """When in its period a period is invoiced."""

    IN_ADVANCE = "IN_ADVANCE"
    """On the period's first day."""
    IN_ARREARS = "IN_ARREARS"
    """On the day after the period's last day."""


MONTHS = {BillingFrequency.ANNUAL: 12, BillingFrequency.QUARTERLY: 3, BillingFrequency.MONTHLY: 1}


class ContractInvoicingTerms(Audited, table=True):
    """A contract's billing terms; a contract without a row bills annually in advance from
    the day terms were first needed (see `service.terms_of`)."""

    __tablename__ = "contract_invoicing_terms"
    __table_args__ = (sa.UniqueConstraint("contract_id", name="uq_contract_invoicing_terms"),)

    contract_id: int = fk("contracts.id", ondelete="CASCADE")
    id: int | None = id_field()
    frequency: BillingFrequency = Field(
        default=BillingFrequency.ANNUAL, sa_type=enum_type(BillingFrequency, 16)
    )
    timing: BillingTiming = Field(
        default=BillingTiming.IN_ADVANCE, sa_type=enum_type(BillingTiming, 16)
    )
    bill_from: date
    """Periods whose billing day falls before this are not invoiced here (billed before the
    contract came to Fieldgraph, or settled another way)."""


class ContractInvoice(SQLModel, table=True):
    """One billed range of a contract's days. The billing run (one at a time, under its
    advisory lock) bills only days no range covers yet, so ranges never overlap even after
    the terms or dates change; the unique key backs that up for a range's first day."""

    __tablename__ = "contract_invoices"
    __table_args__ = (
        sa.UniqueConstraint("contract_id", "period_start", name="uq_contract_invoices_period"),
    )

    id: int | None = id_field()
    contract_id: int = fk("contracts.id", ondelete="CASCADE")
    invoice_id: int = fk("invoices.id")
    period_start: date
    period_end: date
    amount: Decimal = Field(sa_type=sa.Numeric(12, 2))


class TermsSet(SQLModel):
    frequency: BillingFrequency | None = None
    timing: BillingTiming | None = None
    bill_from: date | None = None
