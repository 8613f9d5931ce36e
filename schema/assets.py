"""GraphQL types for the product catalogue and installed assets."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.assets import models
from app.assets.models import Asset, ProductModel
from app.core.models import utcnow
from app.customers.models import Customer, Site
from schema.context import Info
from schema.customers import CustomerType, SiteType
from schema.errors import Payload
from schema.node import Node
from schema.pagination import Connection

if TYPE_CHECKING:
    from schema.contracts import CoverageType

ProductCategory = strawberry.enum(models.ProductCategory, name="ProductCategory")
CoverageRef = Annotated["CoverageType", strawberry.lazy("schema.contracts")]


def today() -> date:
    return utcnow().date()


@strawberry.type(name="ProductModel")
class ProductModelType(Node):
    code: str
    name: str
    brand: str | None
    category: ProductCategory  # type: ignore[valid-type]
    warranty_months: int
    description: str | None
    service_minutes: int | None
    version: int
    created_at: datetime
    archived_at: datetime | None

    @classmethod
    def from_model(cls, row: ProductModel) -> ProductModelType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            code=row.code,
            name=row.name,
            brand=row.brand,
            category=row.category,
            warranty_months=row.warranty_months,
            description=row.description,
            service_minutes=row.service_minutes,
            version=row.version,
            created_at=row.created_at,
            archived_at=row.archived_at,
        )


@strawberry.type(name="Asset")
class AssetType(Node):
    serial_number: str
    sold_on: date | None
    installed_on: date | None
    warranty_expires_on: date | None
    ewarranty_certificate: str | None
    ewarranty_registered_on: date | None
    notes: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    row: strawberry.Private[Asset]

    @classmethod
    def from_model(cls, row: Asset) -> AssetType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            serial_number=row.serial_number,
            sold_on=row.sold_on,
            installed_on=row.installed_on,
            warranty_expires_on=row.warranty_expires_on,
            ewarranty_certificate=row.ewarranty_certificate,
            ewarranty_registered_on=row.ewarranty_registered_on,
            notes=row.notes,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            archived_at=row.archived_at,
            row=row,
        )

    @strawberry.field
    async def product_model(self, info: Info) -> ProductModelType:
        model = await info.context.loaders.by_id(ProductModel).load(self.row.product_model_id)
        assert model is not None
        return ProductModelType.from_model(model)

    @strawberry.field
    async def site(self, info: Info) -> SiteType:
        site = await info.context.loaders.by_id(Site).load(self.row.site_id)
        assert site is not None
        return SiteType.from_model(site)

    @strawberry.field
    async def customer(self, info: Info) -> CustomerType:
        customer = await info.context.loaders.by_id(Customer).load(self.row.customer_id)
        assert customer is not None
        return CustomerType.from_model(customer)

    @strawberry.field(description="Whether the manufacturer's warranty runs on `on` (today).")
    def under_warranty(self, on: date | None = None) -> bool:
        return self.row.under_warranty(on or today())

    @strawberry.field(
        description="Who pays for a visit on `on` (today): warranty, contract, or chargeable."
    )
    async def coverage(self, info: Info, on: date | None = None) -> CoverageRef:
        from schema.contracts import coverage_loader

        return await coverage_loader(info).load((self.db_id, None, on or today()))


ProductModelConnection = Connection[ProductModelType]
AssetConnection = Connection[AssetType]


@strawberry.input
class CreateProductModelInput:
    code: str
    name: str
    category: ProductCategory  # type: ignore[valid-type]
    brand: str | None = None
    warranty_months: int = 12
    description: str | None = None
    service_minutes: int | None = None
    idempotency_key: str | None = None


@strawberry.input
class UpdateProductModelInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.UNSET
    brand: str | None = strawberry.UNSET
    category: ProductCategory | None = strawberry.UNSET  # type: ignore[valid-type]
    warranty_months: int | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    service_minutes: int | None = strawberry.UNSET


@strawberry.type
class ProductModelPayload(Payload):
    product_model: ProductModelType | None = None


@strawberry.input
class RegisterAssetInput:
    site_id: strawberry.ID
    product_model_id: strawberry.ID
    serial_number: str
    sold_on: date | None = None
    installed_on: date | None = None
    warranty_expires_on: date | None = strawberry.field(
        default=None, description="Defaults to the product model's warranty from the sale date."
    )
    register_ewarranty: bool = strawberry.field(
        default=False, description="Also register the e-warranty and issue its certificate."
    )
    notes: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class UpdateAssetInput:
    id: strawberry.ID
    expected_version: int | None = None
    site_id: strawberry.ID | None = strawberry.UNSET
    product_model_id: strawberry.ID | None = strawberry.UNSET
    serial_number: str | None = strawberry.UNSET
    sold_on: date | None = strawberry.UNSET
    installed_on: date | None = strawberry.UNSET
    warranty_expires_on: date | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET


@strawberry.input
class RegisterEwarrantyInput:
    id: strawberry.ID
    expected_version: int | None = None


@strawberry.type
class AssetPayload(Payload):
    asset: AssetType | None = None
