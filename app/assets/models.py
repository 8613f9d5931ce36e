"""The product catalogue's models and the installed assets at customers' sites."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field


class ProductCategory(StrEnum):
    APPLIANCE = "APPLIANCE"
    ELECTRONICS = "ELECTRONICS"
    HVAC = "HVAC"
    ENERGY = "ENERGY"
    TELECOM = "TELECOM"
    FACILITIES = "FACILITIES"
    OTHER = "OTHER"


class ProductModelBase(SQLModel):
    code: str = Field(max_length=60, sa_column_kwargs={"unique": True})
    name: str = Field(max_length=200)
    brand: str | None = Field(default=None, max_length=100)
    category: ProductCategory = Field(sa_type=enum_type(ProductCategory, 16))
    warranty_months: int = Field(default=12, ge=0, le=240)


class ProductModel(ProductModelBase, Audited, table=True):
    __tablename__ = "product_models"

    id: int | None = id_field()


class AssetBase(SQLModel):
    serial_number: str = Field(max_length=100)
    sold_on: date | None = None
    installed_on: date | None = None
    warranty_expires_on: date | None = None
    ewarranty_certificate: str | None = Field(default=None, max_length=60, unique=True)


class Asset(AssetBase, Audited, table=True):
    __tablename__ = "assets"
    __table_args__ = (sa.UniqueConstraint("product_model_id", "serial_number"),)

    id: int | None = id_field()
    product_model_id: int = fk("product_models.id")
    site_id: int = fk("sites.id")
    customer_id: int = fk("customers.id")
