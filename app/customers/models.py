"""Customers and the sites where their equipment stands."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field, point_column


class CustomerType(StrEnum):
    CONSUMER = "CONSUMER"
    BUSINESS = "BUSINESS"
    VIP = "VIP"


class ContactChannel(StrEnum):
    PHONE = "PHONE"
    SMS = "SMS"
    WHATSAPP = "WHATSAPP"
    WECHAT = "WECHAT"
    EMAIL = "EMAIL"
    PUSH = "PUSH"
    VOICE = "VOICE"


class CustomerBase(SQLModel):
    name: str = Field(max_length=200)
    type: CustomerType = Field(default=CustomerType.CONSUMER, sa_type=enum_type(CustomerType, 16))
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    whatsapp: str | None = Field(default=None, max_length=40)
    language: str = Field(default="en", max_length=16)
    external_ref: str | None = Field(default=None, max_length=100, index=True)


class Customer(CustomerBase, Audited, table=True):
    __tablename__ = "customers"
    __table_args__ = (sa.Index("ix_customers_name_lower", sa.text("lower(name)")),)

    id: int | None = id_field()
    preferred_channels: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(ARRAY(sa.String(16)), nullable=False, server_default="{}"),
    )


class SiteBase(SQLModel):
    name: str = Field(max_length=200)
    address_line: str = Field(max_length=300)
    city: str = Field(max_length=120)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str = Field(default="IN", max_length=2)
    access_notes: str | None = Field(default=None, sa_type=sa.Text)


class Site(SiteBase, Audited, table=True):
    __tablename__ = "sites"

    id: int | None = id_field()
    customer_id: int = fk("customers.id")
    point: Any = Field(default=None, sa_column=point_column(nullable=False))
