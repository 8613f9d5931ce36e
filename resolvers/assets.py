"""Product catalogue and asset queries and mutations; customers register their own assets."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from app.assets import repository, service
from app.assets.models import (
    Asset,
    AssetRegister,
    AssetUpdate,
    ProductModel,
    ProductModelCreate,
    ProductModelUpdate,
)
from app.core.auth import Role
from resolvers.base import execute
from resolvers.customers import SELF_SERVICE, WRITERS
from schema.assets import (
    AssetConnection,
    AssetPayload,
    AssetType,
    CreateProductModelInput,
    ProductCategory,
    ProductModelConnection,
    ProductModelPayload,
    ProductModelType,
    RegisterAssetInput,
    RegisterEwarrantyInput,
    UpdateAssetInput,
    UpdateProductModelInput,
    today,
)
from schema.context import Info
from schema.ids import decode_id, decode_optional_id
from schema.inputs import ArchiveInput, provided
from schema.node import register_node
from schema.pagination import paginate
from schema.permissions import allow, authenticated

register_node(ProductModelType, repository.get_readable_product_model, ProductModelType.from_model)
register_node(AssetType, repository.get_readable, AssetType.from_model)

LINKS = {"site_id": ("Site", "siteId"), "product_model_id": ("ProductModel", "productModelId")}


def _decode_links(values: dict[str, Any]) -> dict[str, Any]:
    for name, (type_name, field) in LINKS.items():
        if values.get(name) is not None:
            values[name] = decode_id(values[name], type_name, field)
    return values


@strawberry.type
class AssetsQuery:
    @strawberry.field(
        extensions=[authenticated()],
        description=(
            "The product catalogue, open to every signed-in user; archived models are hidden "
            "unless asked for."
        ),
    )
    async def product_models(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        category: Annotated[
            ProductCategory | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only models of this family; null means all."),
        ] = None,
        search: Annotated[
            str | None, strawberry.argument(description="Part of the code, name or brand.")
        ] = None,
        include_archived: bool = False,
    ) -> ProductModelConnection:
        return await paginate(
            info.context.session,
            repository.listed_product_models(
                info.context.principal,
                category=category,
                search=search,
                include_archived=include_archived,
            ),
            ProductModel.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=ProductModelType.from_model,
        )

    @strawberry.field(
        extensions=[authenticated()],
        description=(
            "Registered assets the caller may see: staff see all, a customer its own, technicians "
            "and partners those of customers they have tasks for."
        ),
    )
    async def assets(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        customer_id: strawberry.ID | None = None,
        site_id: strawberry.ID | None = None,
        serial_number: Annotated[
            str | None, strawberry.argument(description="The exact serial, ignoring case.")
        ] = None,
        include_archived: bool = False,
    ) -> AssetConnection:
        return await paginate(
            info.context.session,
            repository.listed(
                info.context.principal,
                customer_id=decode_optional_id(customer_id, "Customer", "customerId"),
                site_id=decode_optional_id(site_id, "Site", "siteId"),
                serial_number=serial_number,
                include_archived=include_archived,
            ),
            Asset.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=AssetType.from_model,
        )


@strawberry.type
class AssetsMutation:
    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description="Add a product model to the catalogue (admins only); the code must be unique.",
    )
    async def create_product_model(
        self, info: Info, input: CreateProductModelInput
    ) -> ProductModelPayload:
        async def action() -> ProductModelPayload:
            data = ProductModelCreate.model_validate(provided(input, exclude=("idempotency_key",)))
            model = await service.create_product_model(info.context.session, data)
            return ProductModelPayload(product_model=ProductModelType.from_model(model))

        return await execute(
            info, ProductModelPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description=(
            "Change a product model (admins only); existing assets keep their warranty expiry."
        ),
    )
    async def update_product_model(
        self, info: Info, input: UpdateProductModelInput
    ) -> ProductModelPayload:
        async def action() -> ProductModelPayload:
            changes = ProductModelUpdate.model_validate(
                provided(input, exclude=("id", "expected_version"))
            )
            model = await service.update_product_model(
                info.context.session,
                decode_id(input.id, "ProductModel"),
                changes,
                input.expected_version,
            )
            return ProductModelPayload(product_model=ProductModelType.from_model(model))

        return await execute(info, ProductModelPayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description="Archive a product model: its assets stay, new registrations are refused.",
    )
    async def archive_product_model(self, info: Info, input: ArchiveInput) -> ProductModelPayload:
        async def action() -> ProductModelPayload:
            model = await service.archive_product_model(
                info.context.session, decode_id(input.id, "ProductModel"), input.expected_version
            )
            return ProductModelPayload(product_model=ProductModelType.from_model(model))

        return await execute(info, ProductModelPayload, action)

    @strawberry.mutation(
        extensions=[allow(*SELF_SERVICE)],
        description=(
            "Register a unit at a site (admins, dispatchers, agents, or the customer for its own "
            "sites); the warranty expiry is computed from the model unless given."
        ),
    )
    async def register_asset(self, info: Info, input: RegisterAssetInput) -> AssetPayload:
        async def action() -> AssetPayload:
            values = _decode_links(provided(input, exclude=("idempotency_key",)))
            asset = await service.register_asset(
                info.context.session,
                info.context.require_principal(),
                AssetRegister.model_validate(values),
                today(),
            )
            return AssetPayload(asset=AssetType.from_model(asset))

        return await execute(info, AssetPayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*WRITERS)],
        description="Correct an asset or move it to another site of the same customer.",
    )
    async def update_asset(self, info: Info, input: UpdateAssetInput) -> AssetPayload:
        async def action() -> AssetPayload:
            values = _decode_links(provided(input, exclude=("id", "expected_version")))
            asset = await service.update_asset(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.id, "Asset"),
                AssetUpdate.model_validate(values),
                input.expected_version,
            )
            return AssetPayload(asset=AssetType.from_model(asset))

        return await execute(info, AssetPayload, action)

    @strawberry.mutation(
        extensions=[allow(*SELF_SERVICE)],
        description="Register the e-warranty of an asset under warranty; issues a certificate.",
    )
    async def register_ewarranty(self, info: Info, input: RegisterEwarrantyInput) -> AssetPayload:
        async def action() -> AssetPayload:
            asset = await service.register_ewarranty(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.id, "Asset"),
                input.expected_version,
                today(),
            )
            return AssetPayload(asset=AssetType.from_model(asset))

        return await execute(info, AssetPayload, action)

    @strawberry.mutation(
        extensions=[allow(*WRITERS)],
        description=(
            "Archive an asset so it is hidden from lists by default (admins, dispatchers, agents);"
            " archiving twice is a no-op."
        ),
    )
    async def archive_asset(self, info: Info, input: ArchiveInput) -> AssetPayload:
        async def action() -> AssetPayload:
            asset = await service.archive_asset(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.id, "Asset"),
                input.expected_version,
            )
            return AssetPayload(asset=AssetType.from_model(asset))

        return await execute(info, AssetPayload, action)
