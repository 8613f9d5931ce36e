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


@strawberry.type(
    name="ProductModel",
    description="A catalogue entry for a product the company services (make and model).",
)
class ProductModelType(Node):
    code: str = strawberry.field(
        description="Unique catalogue code, e.g. the manufacturer's model number."
    )
    name: str = strawberry.field(description="Display name of the model.")
    brand: str | None = strawberry.field(description="Manufacturer brand; null if not recorded.")
    category: ProductCategory = strawberry.field(  # type: ignore[valid-type]
        description="Product family, which decides who can service it."
    )
    warranty_months: int = strawberry.field(
        description=(
            "Length of the manufacturer's warranty in months from sale (else installation); 0 "
            "means none."
        )
    )
    description: str | None = strawberry.field(description="Free-text description; null if none.")
    service_minutes: int | None = strawberry.field(
        description=(
            "Typical minutes a technician spends on one visit for this model, used as the planning"
            " default; null if unknown."
        )
    )
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


@strawberry.type(
    name="Asset",
    description=(
        "One installed unit of a product model at a customer's site, identified by its serial "
        "number."
    ),
)
class AssetType(Node):
    serial_number: str = strawberry.field(
        description="Manufacturer serial number, unique per product model."
    )
    sold_on: date | None = strawberry.field(description="Date of sale; null if unknown.")
    installed_on: date | None = strawberry.field(
        description="Date of installation; null if unknown."
    )
    warranty_expires_on: date | None = strawberry.field(
        description="Last day of the manufacturer's warranty (inclusive); null means no warranty."
    )
    ewarranty_certificate: str | None = strawberry.field(
        description=(
            "E-warranty certificate number (EW-<year>-<8 digits>-<check digit>); null until the "
            "e-warranty is registered."
        )
    )
    ewarranty_registered_on: date | None = strawberry.field(
        description="Date (UTC) the e-warranty was registered; null if not registered."
    )
    notes: str | None = strawberry.field(
        description="Free-text notes about the unit; null if none."
    )
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

    @strawberry.field(description="The product model this unit is.")
    async def product_model(self, info: Info) -> ProductModelType:
        model = await info.context.loaders.by_id(ProductModel).load(self.row.product_model_id)
        assert model is not None
        return ProductModelType.from_model(model)

    @strawberry.field(description="The site where the unit is installed.")
    async def site(self, info: Info) -> SiteType:
        site = await info.context.loaders.by_id(Site).load(self.row.site_id)
        assert site is not None
        return SiteType.from_model(site)

    @strawberry.field(description="The customer who owns the unit (the owner of its site).")
    async def customer(self, info: Info) -> CustomerType:
        customer = await info.context.loaders.by_id(Customer).load(self.row.customer_id)
        assert customer is not None
        return CustomerType.from_model(customer)

    @strawberry.field(description="Whether the manufacturer's warranty runs on `on` (today).")
    def under_warranty(
        self,
        on: Annotated[
            date | None, strawberry.argument(description="Day to check; null means today (UTC).")
        ] = None,
    ) -> bool:
        return self.row.under_warranty(on or today())

    @strawberry.field(
        description="Who pays for a visit on `on` (today): warranty, contract, or chargeable."
    )
    async def coverage(
        self,
        info: Info,
        on: Annotated[
            date | None,
            strawberry.argument(description="Day of the visit; null means today (UTC)."),
        ] = None,
    ) -> CoverageRef:
        from schema.contracts import coverage_loader

        return await coverage_loader(info).load((self.db_id, None, on or today()))


ProductModelConnection = Connection[ProductModelType]
AssetConnection = Connection[AssetType]


@strawberry.input(description="A new product model for the catalogue.")
class CreateProductModelInput:
    code: str = strawberry.field(
        description="Unique catalogue code: 1-60 letters, digits or _ . / -."
    )
    name: str = strawberry.field(description="Display name of the model.")
    category: ProductCategory = strawberry.field(  # type: ignore[valid-type]
        description="Product family, which decides who can service it."
    )
    brand: str | None = strawberry.field(default=None, description="Manufacturer brand.")
    warranty_months: int = strawberry.field(
        default=12, description="Manufacturer's warranty in months (0-240); 0 means none."
    )
    description: str | None = strawberry.field(default=None, description="Free-text description.")
    service_minutes: int | None = strawberry.field(
        default=None, description="Typical minutes per visit (1-1440); null if unknown."
    )
    idempotency_key: str | None = None


@strawberry.input(description="Changes to a product model; omitted fields are left as they are.")
class UpdateProductModelInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="New display name; cannot be null."
    )
    brand: str | None = strawberry.field(
        default=strawberry.UNSET, description="New brand; null clears it."
    )
    category: ProductCategory | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="New product family; cannot be null."
    )
    warranty_months: int | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "New warranty length in months (0-240); cannot be null. Existing assets keep their "
            "expiry."
        ),
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="New description; null clears it."
    )
    service_minutes: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="New typical minutes per visit (1-1440); null clears it.",
    )


@strawberry.type
class ProductModelPayload(Payload):
    product_model: ProductModelType | None = strawberry.field(
        default=None, description="The product model after the change; null if it failed."
    )


@strawberry.input(description="A unit to register at one of the customer's sites.")
class RegisterAssetInput:
    site_id: strawberry.ID
    product_model_id: strawberry.ID
    serial_number: str = strawberry.field(
        description="Manufacturer serial number; must be unique for the product model."
    )
    sold_on: date | None = strawberry.field(
        default=None, description="Date of sale; the warranty counts from it."
    )
    installed_on: date | None = strawberry.field(
        default=None,
        description=(
            "Date of installation; the warranty counts from it when the sale date is unknown."
        ),
    )
    warranty_expires_on: date | None = strawberry.field(
        default=None, description="Defaults to the product model's warranty from the sale date."
    )
    register_ewarranty: bool = strawberry.field(
        default=False, description="Also register the e-warranty and issue its certificate."
    )
    notes: str | None = strawberry.field(
        default=None, description="Free-text notes about the unit."
    )
    idempotency_key: str | None = None


@strawberry.input(description="Changes to an asset; omitted fields are left as they are.")
class UpdateAssetInput:
    id: strawberry.ID
    expected_version: int | None = None
    site_id: strawberry.ID | None = strawberry.UNSET
    product_model_id: strawberry.ID | None = strawberry.UNSET
    serial_number: str | None = strawberry.field(
        default=strawberry.UNSET, description="Corrected serial number; cannot be null."
    )
    sold_on: date | None = strawberry.field(
        default=strawberry.UNSET,
        description="Corrected sale date; recomputes the warranty expiry unless it is also given.",
    )
    installed_on: date | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Corrected installation date; recomputes the warranty expiry unless it is also given."
        ),
    )
    warranty_expires_on: date | None = strawberry.field(
        default=strawberry.UNSET,
        description="Explicit last day of the warranty; null means no warranty.",
    )
    notes: str | None = strawberry.field(
        default=strawberry.UNSET, description="New notes; null clears them."
    )


@strawberry.input(description="The asset whose e-warranty to register.")
class RegisterEwarrantyInput:
    id: strawberry.ID
    expected_version: int | None = None


@strawberry.type
class AssetPayload(Payload):
    asset: AssetType | None = strawberry.field(
        default=None, description="The asset after the change; null if it failed."
    )
