"""Service contracts: AMC (labour), CMC (labour and parts) and extended warranties."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field


class ContractKind(StrEnum):
    AMC = "AMC"
    CMC = "CMC"
    EXTENDED_WARRANTY = "EXTENDED_WARRANTY"


class ContractBase(SQLModel):
    number: str = Field(max_length=60, sa_column_kwargs={"unique": True})
    kind: ContractKind = Field(sa_type=enum_type(ContractKind, 24))
    starts_on: date
    ends_on: date
    covers_labour: bool = True
    covers_parts: bool = False
    sla_response_hours: int | None = Field(default=None, ge=1)
    sla_resolution_hours: int | None = Field(default=None, ge=1)


class Contract(ContractBase, Audited, table=True):
    __tablename__ = "contracts"
    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="period_order"),)

    id: int | None = id_field()
    customer_id: int = fk("customers.id")


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
