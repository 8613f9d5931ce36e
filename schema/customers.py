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


@strawberry.type(name="Customer")
class CustomerType(Node):
    name: str
    type: CustomerKind  # type: ignore[valid-type]
    email: str | None
    phone: str | None
    whatsapp: str | None
    language: str
    external_ref: str | None
    contact_name: str | None
    notes: str | None = strawberry.field(extensions=[internal()])
    preferred_channels: list[ContactChannel]  # type: ignore[valid-type]
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


@strawberry.type(name="Site")
class SiteType(Node):
    name: str
    address_line: str
    address_line2: str | None
    city: str
    region: str | None
    postal_code: str | None
    country: str
    access_notes: str | None
    contact_name: str | None
    contact_phone: str | None
    location: GeoPoint
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

    @strawberry.field
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


@strawberry.input
class CreateCustomerInput:
    name: str
    type: CustomerKind = models.CustomerType.CONSUMER  # type: ignore[valid-type]
    email: str | None = None
    phone: str | None = None
    whatsapp: str | None = None
    language: str = "en"
    external_ref: str | None = None
    contact_name: str | None = None
    notes: str | None = None
    preferred_channels: list[ContactChannel] = strawberry.field(  # type: ignore[valid-type]
        default_factory=list
    )
    idempotency_key: str | None = None


@strawberry.input
class UpdateCustomerInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.UNSET
    type: CustomerKind | None = strawberry.UNSET  # type: ignore[valid-type]
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    whatsapp: str | None = strawberry.UNSET
    language: str | None = strawberry.UNSET
    external_ref: str | None = strawberry.UNSET
    contact_name: str | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    preferred_channels: list[ContactChannel] | None = strawberry.UNSET  # type: ignore[valid-type]


@strawberry.type
class CustomerPayload(Payload):
    customer: CustomerType | None = None


@strawberry.input
class CreateSiteInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required for staff; a customer user adds to their own account."
    )
    name: str
    address_line: str
    city: str
    point: GeoPointInput
    address_line2: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str = "IN"
    access_notes: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class UpdateSiteInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.UNSET
    address_line: str | None = strawberry.UNSET
    address_line2: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    region: str | None = strawberry.UNSET
    postal_code: str | None = strawberry.UNSET
    country: str | None = strawberry.UNSET
    point: GeoPointInput | None = strawberry.UNSET
    access_notes: str | None = strawberry.UNSET
    contact_name: str | None = strawberry.UNSET
    contact_phone: str | None = strawberry.UNSET


@strawberry.type
class SitePayload(Payload):
    site: SiteType | None = None
