"""Customer and site queries and mutations, with customer self-service for sites."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import strawberry
from pydantic import ValidationError
from sqlmodel import SQLModel

from app.core.auth import Role
from app.core.errors import DomainError, ErrorCode, FieldProblem, collect
from app.customers import repository, service
from app.customers.models import (
    Customer,
    CustomerCreate,
    CustomerUpdate,
    Site,
    SiteCreate,
    SiteUpdate,
)
from resolvers.base import execute
from schema.context import Info
from schema.customers import (
    CreateCustomerInput,
    CreateSiteInput,
    CustomerConnection,
    CustomerPayload,
    CustomerType,
    SiteConnection,
    SitePayload,
    SiteType,
    UpdateCustomerInput,
    UpdateSiteInput,
)
from schema.errors import from_validation_error
from schema.ids import decode_id, decode_optional_id
from schema.inputs import ArchiveInput, provided
from schema.node import register_node
from schema.pagination import paginate
from schema.permissions import allow, authenticated

register_node(CustomerType, repository.get_readable, CustomerType.from_model)
register_node(SiteType, repository.get_readable_site, SiteType.from_model)

WRITERS = (Role.ADMIN, Role.DISPATCHER, Role.AGENT)
"""Staff who maintain customer master data."""
SELF_SERVICE = (*WRITERS, Role.CUSTOMER)
"""Writers, plus a customer user acting on their own account."""

M = TypeVar("M", bound=SQLModel)


def validated(model: type[M], values: dict[str, Any], problems: list[FieldProblem]) -> M:
    """Validate `values` as `model`, reporting its problems together with `problems`."""
    try:
        result = model.model_validate(values)
    except ValidationError as error:
        problems = problems + [
            FieldProblem(e.message, ErrorCode.INVALID, e.field)
            for e in from_validation_error(error)
        ]
        collect(problems)
        raise
    collect(problems)
    return result


def _site_values(values: dict[str, Any]) -> tuple[dict[str, Any], list[FieldProblem]]:
    point = values.get("point")
    if point is None:
        return values, []
    return values | {"point": point.to_value()}, point.problems()


@strawberry.type
class CustomersQuery:
    @strawberry.field(
        extensions=[authenticated()],
        description=(
            "Customers the caller may see: all for staff, their own for a customer user, and "
            "those with tasks for a technician or partner; oldest first."
        ),
    )
    async def customers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Part of the name, e-mail, phone or external reference."
            ),
        ] = None,
        include_archived: bool = False,
    ) -> CustomerConnection:
        return await paginate(
            info.context.session,
            repository.listed(
                info.context.principal, search=search, include_archived=include_archived
            ),
            Customer.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=CustomerType.from_model,
        )

    @strawberry.field(
        extensions=[authenticated()],
        description="Sites of the customers the caller may see, optionally of one customer.",
    )
    async def sites(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        customer_id: strawberry.ID | None = None,
        include_archived: bool = False,
    ) -> SiteConnection:
        return await paginate(
            info.context.session,
            repository.listed_sites(
                info.context.principal,
                customer_id=decode_optional_id(customer_id, "Customer", "customerId"),
                include_archived=include_archived,
            ),
            Site.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=SiteType.from_model,
        )


@strawberry.type
class CustomersMutation:
    @strawberry.mutation(
        extensions=[allow(*WRITERS)],
        description=(
            "Create a customer (admins, dispatchers, agents); DUPLICATE when externalRef is "
            "already taken."
        ),
    )
    async def create_customer(self, info: Info, input: CreateCustomerInput) -> CustomerPayload:
        async def action() -> CustomerPayload:
            data = CustomerCreate.model_validate(provided(input, exclude=("idempotency_key",)))
            customer = await service.create_customer(info.context.session, data)
            return CustomerPayload(customer=CustomerType.from_model(customer))

        return await execute(info, CustomerPayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*WRITERS)],
        description="Change a customer's details (admins, dispatchers, agents).",
    )
    async def update_customer(self, info: Info, input: UpdateCustomerInput) -> CustomerPayload:
        async def action() -> CustomerPayload:
            changes = CustomerUpdate.model_validate(
                provided(input, exclude=("id", "expected_version"))
            )
            customer = await service.update_customer(
                info.context.session,
                decode_id(input.id, "Customer"),
                changes,
                input.expected_version,
            )
            return CustomerPayload(customer=CustomerType.from_model(customer))

        return await execute(info, CustomerPayload, action)

    @strawberry.mutation(
        extensions=[allow(*WRITERS)],
        description="Archive a customer together with their sites and assets.",
    )
    async def archive_customer(self, info: Info, input: ArchiveInput) -> CustomerPayload:
        async def action() -> CustomerPayload:
            customer = await service.archive_customer(
                info.context.session, decode_id(input.id, "Customer"), input.expected_version
            )
            return CustomerPayload(customer=CustomerType.from_model(customer))

        return await execute(info, CustomerPayload, action)

    @strawberry.mutation(
        extensions=[allow(*SELF_SERVICE)],
        description=(
            "Add a site to a customer (admins, dispatchers, agents), or a customer user to "
            "their own account; the customer must not be archived."
        ),
    )
    async def create_site(self, info: Info, input: CreateSiteInput) -> SitePayload:
        async def action() -> SitePayload:
            principal = info.context.require_principal()
            values, problems = _site_values(provided(input, exclude=("idempotency_key",)))
            customer_id = decode_optional_id(input.customer_id, "Customer", "customerId")
            values["customer_id"] = customer_id or principal.customer_id
            if values["customer_id"] is None:
                raise DomainError("customerId is required", ErrorCode.INVALID, ["customerId"])
            data = validated(SiteCreate, values, problems)
            site = await service.create_site(info.context.session, principal, data)
            return SitePayload(site=SiteType.from_model(site))

        return await execute(info, SitePayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*SELF_SERVICE)],
        description=(
            "Change a site (admins, dispatchers, agents, or a customer user for their own sites)."
        ),
    )
    async def update_site(self, info: Info, input: UpdateSiteInput) -> SitePayload:
        async def action() -> SitePayload:
            values, problems = _site_values(provided(input, exclude=("id", "expected_version")))
            site = await service.update_site(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.id, "Site"),
                validated(SiteUpdate, values, problems),
                input.expected_version,
            )
            return SitePayload(site=SiteType.from_model(site))

        return await execute(info, SitePayload, action)

    @strawberry.mutation(
        extensions=[allow(*WRITERS)],
        description="Archive a site that no longer holds active assets.",
    )
    async def archive_site(self, info: Info, input: ArchiveInput) -> SitePayload:
        async def action() -> SitePayload:
            site = await service.archive_site(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.id, "Site"),
                input.expected_version,
            )
            return SitePayload(site=SiteType.from_model(site))

        return await execute(info, SitePayload, action)
