"""Service contracts: AMC (labour), CMC (labour and parts) and extended warranties."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import StringConstraints
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field, money_column


class ContractKind(StrEnum):
    """The kind of service contract, which decides what it covers."""

    AMC = "AMC"
    """Annual maintenance contract: planned visits and labour; parts charged unless stated."""
    CMC = "CMC"
    """Comprehensive maintenance contract: labour and parts."""
    EXTENDED_WARRANTY = "EXTENDED_WARRANTY"
    """The manufacturer's warranty carried on past its end."""


DEFAULT_COVERAGE: dict[ContractKind, tuple[bool, bool]] = {
    ContractKind.AMC: (True, False),
    ContractKind.CMC: (True, True),
    ContractKind.EXTENDED_WARRANTY: (True, True),
}
"""(labour, parts) each kind covers unless the contract says otherwise."""

CONTRACT_NUMBER_SEQUENCE = "contract_number_seq"

ContractNumber = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_./-]+$"
    ),
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class ContractBase(SQLModel):
    number: str = Field(max_length=60, sa_column_kwargs={"unique": True})
    kind: ContractKind = Field(sa_type=enum_type(ContractKind, 24))
    starts_on: date
    ends_on: date
    covers_labour: bool = True
    covers_parts: bool = False
    sla_response_hours: int | None = Field(default=None, ge=1)
    sla_resolution_hours: int | None = Field(default=None, ge=1)
    visits_per_year: int | None = Field(default=None, ge=0, le=365)
    """Preventive maintenance visits included per year (typical of AMCs)."""
    price: Decimal | None = money_column()
    currency: str = Field(default="INR", max_length=3, sa_column_kwargs={"server_default": "INR"})
    notes: str | None = Field(default=None, sa_type=sa.Text)


class Contract(ContractBase, Audited, table=True):
    __tablename__ = "contracts"
    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="period_order"),
        sa.Index("uq_contracts_renewed_from_id", "renewed_from_id", unique=True),
    )

    id: int | None = id_field()
    customer_id: int = fk("customers.id")
    renewed_from_id: int | None = fk("contracts.id", nullable=True)
    """The contract this one renews (its previous period); its history stays. A period is
    renewed once at most (unique)."""

    def is_active(self, on: date) -> bool:
        return self.archived_at is None and self.starts_on <= on <= self.ends_on


class ContractCoverage(SQLModel, table=True):
    """One covered asset or one covered site (every asset at it) of a contract."""

    __tablename__ = "contract_coverages"
    __table_args__ = (
        sa.CheckConstraint("(asset_id IS NULL) <> (site_id IS NULL)", name="asset_xor_site"),
    )

    id: int | None = id_field()
    contract_id: int = fk("contracts.id", ondelete="CASCADE")
    asset_id: int | None = fk("assets.id", nullable=True)
    site_id: int | None = fk("sites.id", nullable=True)


class ContractCreate(SQLModel):
    customer_id: int
    number: ContractNumber | None = None
    kind: ContractKind
    starts_on: date
    ends_on: date
    covers_labour: bool | None = None
    covers_parts: bool | None = None
    sla_response_hours: int | None = Field(default=None, ge=1, le=24 * 365)
    sla_resolution_hours: int | None = Field(default=None, ge=1, le=24 * 365)
    visits_per_year: int | None = Field(default=None, ge=0, le=365)
    price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    currency: Currency = "INR"
    notes: str | None = Field(default=None, max_length=10_000)
    covered_asset_ids: list[int] = Field(default_factory=list)
    covered_site_ids: list[int] = Field(default_factory=list)


class ContractUpdate(SQLModel):
    kind: ContractKind | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    covers_labour: bool | None = None
    covers_parts: bool | None = None
    sla_response_hours: int | None = Field(default=None, ge=1, le=24 * 365)
    sla_resolution_hours: int | None = Field(default=None, ge=1, le=24 * 365)
    visits_per_year: int | None = Field(default=None, ge=0, le=365)
    price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    currency: Currency | None = None
    notes: str | None = Field(default=None, max_length=10_000)
    covered_asset_ids: list[int] | None = None
    covered_site_ids: list[int] | None = None


NOT_NULL_CONTRACT_FIELDS = frozenset(
    {"kind", "starts_on", "ends_on", "covers_labour", "covers_parts", "currency"}
)
