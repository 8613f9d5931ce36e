"""GraphQL types for customers and their sites."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlmodel import col

from app.assets.models import Asset
from app.contracts.models import Contract
from app.customers import models
from app.customers.models import Customer, Site
from schema.common import GeoPoint, GeoPointInput
from schema.context import Info
from schema.errors import Payload
from schema.node import Node
from schema.pagination import Connection, FirstItems
from schema.permissions import internal

if TYPE_CHECKING:
    from schema.assets import AssetType
    from schema.contracts import ContractType

CustomerKind = strawberry.enum(models.CustomerType, name="CustomerKind")
ContactChannel = strawberry.enum(models.ContactChannel, name="ContactChannel")

AssetRef = Annotated["AssetType", strawberry.lazy("schema.assets")]
ContractRef = Annotated["ContractType", strawberry.lazy("schema.contracts")]


def _active(rows: list[Any], include_archived: bool) -> list[Any]:
    return rows if include_archived else [row for row in rows if row.archived_at is None]


@strawberry.type(
    name="Customer",
    description="A household or business we serve, with its contact details and sites.",
)
class CustomerType(Node):
    name: str = strawberry.field(description="Customer name as shown on requests and invoices.")
    type: CustomerKind = strawberry.field(  # type: ignore[valid-type]
        description="Kind of customer; priority rules can use it."
    )
    email: str | None = strawberry.field(description="E-mail address; null when unknown.")
    phone: str | None = strawberry.field(
        description="Phone number as entered (digits with optional +); null when unknown."
    )
    whatsapp: str | None = strawberry.field(
        description="WhatsApp number; null means WhatsApp messages go to `phone`."
    )
    language: str = strawberry.field(
        description="BCP 47 language tag (e.g. en, hi-IN) used for notifications."
    )
    external_ref: str | None = strawberry.field(
        description="Reference in an external system (e.g. CRM); unique among active customers."
    )
    contact_name: str | None = strawberry.field(
        description="Person to ask for when contacting the customer."
    )
    notes: str | None = strawberry.field(
        extensions=[internal()],
        description="Internal notes; hidden from customers and partners.",
    )
    preferred_channels: list[ContactChannel] = strawberry.field(  # type: ignore[valid-type]
        description="Channels to try first for notifications, in order; empty: the default order."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None

    @classmethod
    def from_model(cls, row: Customer) -> CustomerType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            name=row.name,
            type=row.type,
            email=row.email,
            phone=row.phone,
            whatsapp=row.whatsapp,
            language=row.language,
            external_ref=row.external_ref,
            contact_name=row.contact_name,
            notes=row.notes,
            preferred_channels=[models.ContactChannel(c) for c in row.preferred_channels],
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            archived_at=row.archived_at,
        )

    @strawberry.field(
        extensions=[FirstItems(20)], description="The customer's sites (archived ones on request)."
    )
    async def sites(self, info: Info, include_archived: bool = False) -> list[SiteType]:
        rows = await info.context.loaders.children(Site, col(Site.customer_id)).load(self.db_id)
        return [SiteType.from_model(row) for row in _active(rows, include_archived)]

    @strawberry.field(
        extensions=[FirstItems(20)],
        description="The customer's installed assets at all their sites.",
    )
    async def assets(self, info: Info, include_archived: bool = False) -> list[AssetRef]:
        from schema.assets import AssetType

        rows = await info.context.loaders.children(Asset, col(Asset.customer_id)).load(self.db_id)
        return [AssetType.from_model(row) for row in _active(rows, include_archived)]

    @strawberry.field(
        extensions=[FirstItems(20)],
        description="The customer's service contracts, past and present.",
    )
    async def contracts(self, info: Info, include_archived: bool = False) -> list[ContractRef]:
        from schema.contracts import ContractType

        loader = info.context.loaders.children(Contract, col(Contract.customer_id))
        rows = await loader.load(self.db_id)
        return [ContractType.from_model(row) for row in _active(rows, include_archived)]


@strawberry.type(
    name="Site",
    description="A customer's address where equipment stands and technicians visit.",
)
class SiteType(Node):
    name: str = strawberry.field(description="Label for the site, such as Home or Pune plant.")
    address_line: str = strawberry.field(description="First line of the street address.")
    address_line2: str | None = strawberry.field(
        description="Second address line (building, floor); null when not needed."
    )
    city: str = strawberry.field(description="City or town.")
    region: str | None = strawberry.field(description="State or region; null when not given.")
    postal_code: str | None = strawberry.field(
        description="Postal or PIN code; null when not given."
    )
    country: str = strawberry.field(description="ISO 3166-1 alpha-2 country code, e.g. IN.")
    access_notes: str | None = strawberry.field(
        description="How a technician gets in (gate code, parking, floor); null when none."
    )
    contact_name: str | None = strawberry.field(
        description="Person to meet on site; null when not given."
    )
    contact_phone: str | None = strawberry.field(
        description="Phone of the on-site contact; null when none given."
    )
    location: GeoPoint = strawberry.field(
        description="Map position of the site, used for routing and check-in."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    customer_db_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: Site) -> SiteType:
        assert row.id is not None
        location = GeoPoint.from_value(row.point)
        assert location is not None
        return cls(
            db_id=row.id,
            name=row.name,
            address_line=row.address_line,
            address_line2=row.address_line2,
            city=row.city,
            region=row.region,
            postal_code=row.postal_code,
            country=row.country,
            access_notes=row.access_notes,
            contact_name=row.contact_name,
            contact_phone=row.contact_phone,
            location=location,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            archived_at=row.archived_at,
            customer_db_id=row.customer_id,
        )

    @strawberry.field(description="The customer who owns this site.")
    async def customer(self, info: Info) -> CustomerType:
        row = await info.context.loaders.by_id(Customer).load(self.customer_db_id)
        assert row is not None
        return CustomerType.from_model(row)

    @strawberry.field(extensions=[FirstItems(20)], description="Assets installed at this site.")
    async def assets(self, info: Info, include_archived: bool = False) -> list[AssetRef]:
        from schema.assets import AssetType

        rows = await info.context.loaders.children(Asset, col(Asset.site_id)).load(self.db_id)
        return [AssetType.from_model(row) for row in _active(rows, include_archived)]


CustomerConnection = Connection[CustomerType]
SiteConnection = Connection[SiteType]


@strawberry.input(description="A new customer.")
class CreateCustomerInput:
    name: str = strawberry.field(description="Customer name, 1 to 200 characters.")
    type: CustomerKind = strawberry.field(  # type: ignore[valid-type]
        default=models.CustomerType.CONSUMER, description="Kind of customer; CONSUMER by default."
    )
    email: str | None = strawberry.field(default=None, description="A valid e-mail address.")
    phone: str | None = strawberry.field(
        default=None, description="Phone: digits with optional +, spaces, dots, dashes, brackets."
    )
    whatsapp: str | None = strawberry.field(
        default=None, description="WhatsApp number, if different from `phone`."
    )
    language: str = strawberry.field(
        default="en", description="BCP 47 language tag for notifications, e.g. en or hi-IN."
    )
    external_ref: str | None = strawberry.field(
        default=None,
        description="Reference in an external system; must not match another active customer's.",
    )
    contact_name: str | None = strawberry.field(
        default=None, description="Person to ask for when contacting the customer."
    )
    notes: str | None = strawberry.field(
        default=None,
        description="Internal notes, up to 10,000 characters; customers never see them.",
    )
    preferred_channels: list[ContactChannel] = strawberry.field(  # type: ignore[valid-type]
        default_factory=list, description="Channels to try first for notifications, in order."
    )
    idempotency_key: str | None = None


@strawberry.input(
    description="Changes to a customer; omitted fields stay as they are, null clears optional ones."
)
class UpdateCustomerInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="New name; cannot be null."
    )
    type: CustomerKind | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="New kind of customer; cannot be null."
    )
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="New e-mail address; null clears it."
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET, description="New phone number; null clears it."
    )
    whatsapp: str | None = strawberry.field(
        default=strawberry.UNSET, description="New WhatsApp number; null clears it."
    )
    language: str | None = strawberry.field(
        default=strawberry.UNSET, description="New BCP 47 language tag; cannot be null."
    )
    external_ref: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="New external reference, unique among active customers; null clears it.",
    )
    contact_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="New contact person; null clears it."
    )
    notes: str | None = strawberry.field(
        default=strawberry.UNSET, description="New internal notes; null clears them."
    )
    preferred_channels: list[ContactChannel] | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET,
        description="New ordered notification channels, replacing the old list; cannot be null.",
    )


@strawberry.type
class CustomerPayload(Payload):
    customer: CustomerType | None = strawberry.field(
        default=None, description="The customer as saved; null when the change failed."
    )


@strawberry.input(description="A new site for a customer.")
class CreateSiteInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required for staff; a customer user adds to their own account."
    )
    name: str = strawberry.field(description="Label for the site, 1 to 200 characters.")
    address_line: str = strawberry.field(description="First line of the street address.")
    city: str = strawberry.field(description="City or town.")
    point: GeoPointInput = strawberry.field(
        description="Map position of the site, used for routing and check-in."
    )
    address_line2: str | None = strawberry.field(
        default=None, description="Second address line (building, floor)."
    )
    region: str | None = strawberry.field(default=None, description="State or region.")
    postal_code: str | None = strawberry.field(
        default=None, description="Postal or PIN code, up to 20 characters."
    )
    country: str = strawberry.field(
        default="IN", description="ISO 3166-1 alpha-2 country code, upper case; IN by default."
    )
    access_notes: str | None = strawberry.field(
        default=None, description="How a technician gets in (gate code, parking, floor)."
    )
    contact_name: str | None = strawberry.field(
        default=None, description="Person to meet on site, if not the customer's contact."
    )
    contact_phone: str | None = strawberry.field(
        default=None, description="Phone of the on-site contact."
    )
    idempotency_key: str | None = None


@strawberry.input(
    description="Changes to a site; omitted fields stay as they are, null clears optional ones."
)
class UpdateSiteInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="New label; cannot be null."
    )
    address_line: str | None = strawberry.field(
        default=strawberry.UNSET, description="New first address line; cannot be null."
    )
    address_line2: str | None = strawberry.field(
        default=strawberry.UNSET, description="New second address line; null clears it."
    )
    city: str | None = strawberry.field(
        default=strawberry.UNSET, description="New city; cannot be null."
    )
    region: str | None = strawberry.field(
        default=strawberry.UNSET, description="New state or region; null clears it."
    )
    postal_code: str | None = strawberry.field(
        default=strawberry.UNSET, description="New postal code; null clears it."
    )
    country: str | None = strawberry.field(
        default=strawberry.UNSET, description="New ISO 3166-1 alpha-2 country code; cannot be null."
    )
    point: GeoPointInput | None = strawberry.field(
        default=strawberry.UNSET, description="New map position; cannot be null."
    )
    access_notes: str | None = strawberry.field(
        default=strawberry.UNSET, description="New access instructions; null clears them."
    )
    contact_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="New on-site contact; null clears it."
    )
    contact_phone: str | None = strawberry.field(
        default=strawberry.UNSET, description="New on-site contact phone; null clears it."
    )


@strawberry.type
class SitePayload(Payload):
    site: SiteType | None = strawberry.field(
        default=None, description="The site as saved; null when the change failed."
    )
