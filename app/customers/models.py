"""Customers and the sites where their equipment stands."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import EmailStr, StringConstraints
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field, point_column

Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^\+?[0-9][0-9 ().-]{3,38}$"),
]
"""A phone number as people write it: digits with optional +, spaces, dots, dashes, brackets."""

CountryCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Z]{2}$")]
"""ISO 3166-1 alpha-2, upper case."""

LanguageTag = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
]
"""A BCP 47 language tag such as en, hi-IN or zh-Hans."""

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class CustomerType(StrEnum):
    """The kind of customer, which priority rules can look at."""

    CONSUMER = "CONSUMER"
    """A household."""
    BUSINESS = "BUSINESS"
    """A company or institution."""
    VIP = "VIP"
    """A customer given priority service."""


class ContactChannel(StrEnum):
    """A way to reach a customer."""

    PHONE = "PHONE"
    """A phone call."""
    SMS = "SMS"
    """Text message."""
    WHATSAPP = "WHATSAPP"
    """WhatsApp message."""
    WECHAT = "WECHAT"
    """WeChat message."""
    EMAIL = "EMAIL"
    """Email."""
    PUSH = "PUSH"
    """Push notification in the customer app."""
    VOICE = "VOICE"
    """Automated voice call."""


SEARCH_COLUMNS = ("name", "email", "phone", "external_ref")
"""What `customers(search:)` matches, case-insensitively, through one trigram GIN index."""


class CustomerBase(SQLModel):
    name: str = Field(max_length=200)
    type: CustomerType = Field(default=CustomerType.CONSUMER, sa_type=enum_type(CustomerType, 16))
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    whatsapp: str | None = Field(default=None, max_length=40)
    language: str = Field(default="en", max_length=16)
    external_ref: str | None = Field(default=None, max_length=100, index=True)
    contact_name: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, sa_type=sa.Text)


class Customer(CustomerBase, Audited, table=True):
    __tablename__ = "customers"
    __table_args__ = (
        sa.Index("ix_customers_name_lower", sa.text("lower(name)")),
        sa.Index(
            "ix_customers_search_trgm",
            *SEARCH_COLUMNS,
            postgresql_using="gin",
            postgresql_ops=dict.fromkeys(SEARCH_COLUMNS, "gin_trgm_ops"),
        ),
    )

    id: int | None = id_field()
    preferred_channels: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(ARRAY(sa.String(16)), nullable=False, server_default="{}"),
    )


class CustomerCreate(SQLModel):
    name: Name
    type: CustomerType = CustomerType.CONSUMER
    email: EmailStr | None = Field(default=None, max_length=320)
    phone: Phone | None = None
    whatsapp: Phone | None = None
    language: LanguageTag = "en"
    external_ref: str | None = Field(default=None, min_length=1, max_length=100)
    contact_name: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=10_000)
    preferred_channels: list[ContactChannel] = Field(default_factory=list)


class CustomerUpdate(SQLModel):
    name: Name | None = None
    type: CustomerType | None = None
    email: EmailStr | None = Field(default=None, max_length=320)
    phone: Phone | None = None
    whatsapp: Phone | None = None
    language: LanguageTag | None = None
    external_ref: str | None = Field(default=None, min_length=1, max_length=100)
    contact_name: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=10_000)
    preferred_channels: list[ContactChannel] | None = None


NOT_NULL_CUSTOMER_FIELDS = frozenset({"name", "type", "language", "preferred_channels"})


class SiteBase(SQLModel):
    name: str = Field(max_length=200)
    address_line: str = Field(max_length=300)
    address_line2: str | None = Field(default=None, max_length=300)
    city: str = Field(max_length=120)
    region: str | None = Field(default=None, max_length=120)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str = Field(default="IN", max_length=2)
    access_notes: str | None = Field(default=None, sa_type=sa.Text)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=40)


class Site(SiteBase, Audited, table=True):
    __tablename__ = "sites"

    id: int | None = id_field()
    customer_id: int = fk("customers.id")
    point: Any = Field(default=None, sa_column=point_column(nullable=False))


class SiteCreate(SQLModel):
    """A site; `point` arrives already checked and converted (see the GraphQL GeoPointInput)."""

    customer_id: int
    name: Name
    address_line: str = Field(min_length=1, max_length=300)
    address_line2: str | None = Field(default=None, max_length=300)
    city: str = Field(min_length=1, max_length=120)
    region: str | None = Field(default=None, max_length=120)
    postal_code: str | None = Field(default=None, max_length=20)
    country: CountryCode = "IN"
    access_notes: str | None = Field(default=None, max_length=10_000)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: Phone | None = None
    point: Any


class SiteUpdate(SQLModel):
    name: Name | None = None
    address_line: str | None = Field(default=None, min_length=1, max_length=300)
    address_line2: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, min_length=1, max_length=120)
    region: str | None = Field(default=None, max_length=120)
    postal_code: str | None = Field(default=None, max_length=20)
    country: CountryCode | None = None
    access_notes: str | None = Field(default=None, max_length=10_000)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: Phone | None = None
    point: Any = None


NOT_NULL_SITE_FIELDS = frozenset({"name", "address_line", "city", "country", "point"})
