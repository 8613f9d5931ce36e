"""The product catalogue's models and the installed assets at customers' sites."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import StringConstraints
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field
from app.customers.models import Name

Serial = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]

ProductCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_./-]+$"
    ),
]


class ProductCategory(StrEnum):
    """The family of a product model, which decides who can service it."""

    APPLIANCE = "APPLIANCE"
    """Household appliances: refrigerators, washing machines, ovens."""
    ELECTRONICS = "ELECTRONICS"
    """Consumer electronics: televisions, audio, computers."""
    HVAC = "HVAC"
    """Heating, ventilation and air conditioning."""
    ENERGY = "ENERGY"
    """Solar panels, inverters, batteries, generators."""
    TELECOM = "TELECOM"
    """Network and telecom equipment: routers, towers, lines."""
    FACILITIES = "FACILITIES"
    """Building equipment: lifts, pumps, fire safety, access control."""
    OTHER = "OTHER"
    """Anything else."""


class ProductModelBase(SQLModel):
    code: str = Field(max_length=60, sa_column_kwargs={"unique": True})
    name: str = Field(max_length=200)
    brand: str | None = Field(default=None, max_length=100)
    category: ProductCategory = Field(sa_type=enum_type(ProductCategory, 16))
    warranty_months: int = Field(default=12, ge=0, le=240)
    description: str | None = Field(default=None, sa_type=sa.Text)
    service_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    """Typical time a technician spends on one visit for this model (planning default)."""


class ProductModel(ProductModelBase, Audited, table=True):
    __tablename__ = "product_models"

    id: int | None = id_field()


class ProductModelCreate(SQLModel):
    code: ProductCode
    name: Name
    brand: str | None = Field(default=None, max_length=100)
    category: ProductCategory
    warranty_months: int = Field(default=12, ge=0, le=240)
    description: str | None = Field(default=None, max_length=10_000)
    service_minutes: int | None = Field(default=None, ge=1, le=24 * 60)


class ProductModelUpdate(SQLModel):
    name: Name | None = None
    brand: str | None = Field(default=None, max_length=100)
    category: ProductCategory | None = None
    warranty_months: int | None = Field(default=None, ge=0, le=240)
    description: str | None = Field(default=None, max_length=10_000)
    service_minutes: int | None = Field(default=None, ge=1, le=24 * 60)


NOT_NULL_PRODUCT_MODEL_FIELDS = frozenset({"name", "category", "warranty_months"})


class AssetBase(SQLModel):
    serial_number: str = Field(max_length=100)
    sold_on: date | None = None
    installed_on: date | None = None
    warranty_expires_on: date | None = None
    ewarranty_certificate: str | None = Field(default=None, max_length=60, unique=True)
    ewarranty_registered_on: date | None = None
    notes: str | None = Field(default=None, sa_type=sa.Text)


class Asset(AssetBase, Audited, table=True):
    __tablename__ = "assets"
    __table_args__ = (
        sa.UniqueConstraint("product_model_id", "serial_number"),
        sa.Index("ix_assets_serial_number_lower", sa.text("lower(serial_number)")),
    )

    id: int | None = id_field()
    product_model_id: int = fk("product_models.id")
    site_id: int = fk("sites.id")
    customer_id: int = fk("customers.id")

    def under_warranty(self, on: date) -> bool:
        """The manufacturer's warranty runs from purchase (or installation) to its expiry."""
        if self.warranty_expires_on is None or on > self.warranty_expires_on:
            return False
        began = self.sold_on or self.installed_on
        return began is None or on >= began


class AssetRegister(SQLModel):
    product_model_id: int
    site_id: int
    serial_number: Serial
    sold_on: date | None = None
    installed_on: date | None = None
    warranty_expires_on: date | None = None
    register_ewarranty: bool = False
    notes: str | None = Field(default=None, max_length=10_000)


class AssetUpdate(SQLModel):
    product_model_id: int | None = None
    site_id: int | None = None
    serial_number: Serial | None = None
    sold_on: date | None = None
    installed_on: date | None = None
    warranty_expires_on: date | None = None
    notes: str | None = Field(default=None, max_length=10_000)


NOT_NULL_ASSET_FIELDS = frozenset({"product_model_id", "site_id", "serial_number"})
