"""Renewal and new-contract offers, the renewal policy per contract kind, and reminders sent."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from app.contracts.models import ContractKind
from app.core.models import Audited, enum_type, fk, id_field, money_column, timestamp


class OfferKind(StrEnum):
    """Why an offer is made."""

    RENEWAL = "RENEWAL"
    """A new period of a contract that is about to end."""
    NEW_CONTRACT = "NEW_CONTRACT"
    """A first contract for a customer (inquiry, offer, order confirmation)."""


class OfferStage(StrEnum):
    """Where an offer stands in the pipeline."""

    INQUIRY = "INQUIRY"
    """The customer asked for a contract; no terms offered yet."""
    OFFERED = "OFFERED"
    """Terms sent to the customer, waiting for an answer."""
    ACCEPTED = "ACCEPTED"
    """The customer accepted a new-contract offer; the order is not confirmed yet."""
    WON = "WON"
    """The contract (or its new period) exists."""
    DECLINED = "DECLINED"
    """The customer said no (a lost reason is kept)."""
    EXPIRED = "EXPIRED"
    """Nobody answered before the offer ran out."""
    SUPERSEDED = "SUPERSEDED"
    """Replaced by a newer version of the offer (a re-offer)."""


OPEN_STAGES = (OfferStage.INQUIRY, OfferStage.OFFERED, OfferStage.ACCEPTED)
"""Stages still in play; at most one offer per contract (or per inquiry chain) is in them."""
ANSWERABLE = (OfferStage.OFFERED,)


class RenewalPolicy(SQLModel, table=True):
    """How contracts of one kind are renewed: when, at what uplift, with which reminders."""

    __tablename__ = "renewal_policies"
    __table_args__ = (
        sa.CheckConstraint("lead_days BETWEEN 1 AND 730", name="lead_days_range"),
        sa.CheckConstraint("uplift_percent BETWEEN -100 AND 1000", name="uplift_range"),
    )

    contract_kind: ContractKind = Field(primary_key=True, sa_type=enum_type(ContractKind, 24))
    lead_days: int = 90
    """Offer a renewal this many days before the contract ends."""
    reminder_days: list[int] = Field(
        default_factory=lambda: [60, 30, 7],
        sa_column=sa.Column(ARRAY(sa.Integer), nullable=False),
    )
    """Remind the customer this many days before the end, until answered or expired."""
    uplift_percent: Decimal = Field(default=Decimal("5.00"), max_digits=6, decimal_places=2)
    """Added to the previous period's price."""
    term_months: int = Field(default=12, ge=1, le=60)
    visits_per_year: int = Field(default=4, ge=0, le=365)
    """Visits priced from the price list when the contract states none."""
    hours_per_visit: Decimal = Field(default=Decimal("1.50"), max_digits=5, decimal_places=2)
    parts_loading_percent: Decimal = Field(default=Decimal("0.00"), max_digits=6, decimal_places=2)
    """Added to the list price when the contract covers parts."""
    offer_valid_days: int = Field(default=30, ge=1, le=365)
    """How long a new-contract offer stays open."""
    version: int = 1
    updated_at: datetime = timestamp()


class Offer(Audited, table=True):
    """One version of an offer; a re-offer supersedes the open version with a new row."""

    __tablename__ = "contract_offers"
    __table_args__ = (
        sa.Index(
            "uq_contract_offers_open_renewal",
            "contract_id",
            unique=True,
            postgresql_where=sa.text(
                "kind = 'RENEWAL' AND stage IN ('INQUIRY', 'OFFERED', 'ACCEPTED')"
            ),
        ),
        sa.Index("ix_contract_offers_stage", "stage", "kind"),
        sa.Index("uq_contract_offers_supersedes_id", "supersedes_id", unique=True),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period_order"),
    )

    id: int | None = id_field()
    kind: OfferKind = Field(sa_type=enum_type(OfferKind, 16))
    stage: OfferStage = Field(sa_type=enum_type(OfferStage, 16))
    customer_id: int = fk("customers.id")
    contract_id: int | None = fk("contracts.id", nullable=True)
    """The contract renewed (renewals only)."""
    supersedes_id: int | None = fk("contract_offers.id", nullable=True)
    """The version this one replaces; a version is replaced once at most (unique), so only the
    newest version of a chain may be re-offered."""
    revision: int = 1
    """1 for the first offer, 2 for the first re-offer, ..."""
    contract_kind: ContractKind = Field(sa_type=enum_type(ContractKind, 24))
    starts_on: date | None = None
    ends_on: date | None = None
    price: Decimal | None = money_column()
    currency: str = Field(default="INR", max_length=3)
    price_basis: str = Field(default="", max_length=300)
    covers_labour: bool = True
    covers_parts: bool = False
    visits_per_year: int | None = None
    sla_response_hours: int | None = None
    sla_resolution_hours: int | None = None
    covered_asset_ids: list[int] = Field(
        default_factory=list, sa_column=sa.Column(ARRAY(sa.BigInteger), nullable=False)
    )
    covered_site_ids: list[int] = Field(
        default_factory=list, sa_column=sa.Column(ARRAY(sa.BigInteger), nullable=False)
    )
    valid_until: date | None = None
    nonce: str = Field(max_length=40)
    sent_at: datetime | None = timestamp(nullable=True, default_now=False)
    answered_at: datetime | None = timestamp(nullable=True, default_now=False)
    answered_via: str | None = Field(default=None, max_length=40)
    lost_reason: str | None = Field(default=None, max_length=500)
    new_contract_id: int | None = fk("contracts.id", nullable=True)
    notes: str | None = Field(default=None, sa_type=sa.Text)
    created_by: str = Field(default="system", max_length=200)


class OfferReminder(SQLModel, table=True):
    """One reminder sent for an offer at one step of the ladder (days before the end)."""

    __tablename__ = "contract_offer_reminders"
    __table_args__ = (sa.UniqueConstraint("offer_id", "days_before"),)

    id: int | None = id_field()
    offer_id: int = fk("contract_offers.id", ondelete="CASCADE")
    days_before: int
    sent_at: datetime = timestamp()
