"""Service contract queries and mutations."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry

from app.contracts import repository, service
from app.contracts.models import Contract, ContractCreate, ContractUpdate
from app.core.auth import Role
from app.core.models import utcnow
from app.renewals import service as renewals
from resolvers.base import execute
from schema.context import Info
from schema.contracts import (
    ContractConnection,
    ContractPayload,
    ContractType,
    CreateContractInput,
    UpdateContractInput,
    money_values,
)
from schema.ids import decode_id, decode_ids, decode_optional_id
from schema.inputs import ArchiveInput, provided
from schema.node import register_node
from schema.pagination import paginate
from schema.permissions import allow, authenticated

register_node(ContractType, repository.get_readable, ContractType.from_model)

CONTRACT_WRITERS = (Role.ADMIN, Role.MANAGER)


def _contract_values(values: dict[str, Any]) -> dict[str, Any]:
    if "price" in values:
        values |= money_values(values.pop("price"))
    if values.get("covered_asset_ids") is not None:
        values["covered_asset_ids"] = decode_ids(
            values["covered_asset_ids"], "Asset", "coveredAssetIds"
        )
    if values.get("covered_site_ids") is not None:
        values["covered_site_ids"] = decode_ids(
            values["covered_site_ids"], "Site", "coveredSiteIds"
        )
    return values


@strawberry.type
class ContractsQuery:
    @strawberry.field(
        extensions=[authenticated()],
        description=(
            "Contracts of the customers the caller may see; with `activeOn`, archived ones are "
            "always left out."
        ),
    )
    async def contracts(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        customer_id: strawberry.ID | None = None,
        active_on: Annotated[
            date | None, strawberry.argument(description="Only contracts in force on this day.")
        ] = None,
        include_archived: bool = False,
    ) -> ContractConnection:
        return await paginate(
            info.context.session,
            repository.listed(
                info.context.principal,
                customer_id=decode_optional_id(customer_id, "Customer", "customerId"),
                active_on=active_on,
                include_archived=include_archived,
            ),
            Contract.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=ContractType.from_model,
        )


@strawberry.type
class ContractsMutation:
    @strawberry.mutation(
        extensions=[allow(*CONTRACT_WRITERS)],
        description=(
            "Create a contract covering at least one asset or site of an active customer "
            "(admins and managers); the number is generated when not given."
        ),
    )
    async def create_contract(self, info: Info, input: CreateContractInput) -> ContractPayload:
        async def action() -> ContractPayload:
            values = _contract_values(provided(input, exclude=("idempotency_key",)))
            values["customer_id"] = decode_id(input.customer_id, "Customer", "customerId")
            contract = await service.create_contract(
                info.context.session, ContractCreate.model_validate(values)
            )
            return ContractPayload(contract=ContractType.from_model(contract))

        return await execute(info, ContractPayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*CONTRACT_WRITERS)],
        description=(
            "Change a contract's terms or coverage (admins and managers); covered lists, when "
            "given, replace the old ones."
        ),
    )
    async def update_contract(self, info: Info, input: UpdateContractInput) -> ContractPayload:
        async def action() -> ContractPayload:
            values = _contract_values(provided(input, exclude=("id", "expected_version")))
            contract = await service.update_contract(
                info.context.session,
                decode_id(input.id, "Contract"),
                ContractUpdate.model_validate(values),
                input.expected_version,
            )
            return ContractPayload(contract=ContractType.from_model(contract))

        return await execute(info, ContractPayload, action)

    @strawberry.mutation(
        extensions=[allow(*CONTRACT_WRITERS)],
        description="Archive a contract: it stops covering anything, its history stays.",
    )
    async def archive_contract(self, info: Info, input: ArchiveInput) -> ContractPayload:
        async def action() -> ContractPayload:
            contract = await service.archive_contract(
                info.context.session, decode_id(input.id, "Contract"), input.expected_version
            )
            assert contract.id is not None
            await renewals.expire_renewal_offers(
                info.context.session, contract.id, "the contract was archived", utcnow()
            )
            return ContractPayload(contract=ContractType.from_model(contract))

        return await execute(info, ContractPayload, action)
