"""GraphQL types for service contracts and coverage."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from sqlmodel import col, select
from strawberry.dataloader import DataLoader

from app.assets.models import Asset
from app.contracts import models, service
from app.contracts.models import Contract, ContractCoverage
from app.core.models import utcnow
from app.customers.models import Customer, Site
from schema.assets import AssetType
from schema.common import Money, MoneyInput
from schema.context import Info
from schema.customers import CustomerType, SiteType
from schema.errors import Payload
from schema.node import Node
from schema.pagination import Connection, FirstItems
from schema.permissions import internal, not_for_partners

ContractKind = strawberry.enum(models.ContractKind, name="ContractKind")
CoverageStatus = strawberry.enum(
    service.CoverageStatus,
    name="CoverageStatus",
    description="WARRANTY: the manufacturer pays; CONTRACT: a service contract does; "
    "CHARGEABLE: the customer does.",
)


@strawberry.type(
    name="Contract",
    description=(
        "A customer's service contract (AMC, CMC or extended warranty) covering assets or sites."
    ),
)
class ContractType(Node):
    number: str = strawberry.field(description="Unique contract number, e.g. AMC-2026-000042.")
    kind: ContractKind = strawberry.field(  # type: ignore[valid-type]
        description="Kind of contract, which sets the default labour and parts cover."
    )
    starts_on: date = strawberry.field(description="First day the contract is in force.")
    ends_on: date = strawberry.field(description="Last day the contract is in force (inclusive).")
    covers_labour: bool = strawberry.field(description="Whether labour is free under the contract.")
    covers_parts: bool = strawberry.field(description="Whether parts are free under the contract.")
    sla_response_hours: int | None = strawberry.field(
        description=(
            "Promised response time in clock hours; it can only shorten the priority's SLA; "
            "null: the priority's SLA alone."
        )
    )
    sla_resolution_hours: int | None = strawberry.field(
        description=(
            "Promised resolution time in clock hours; it can only shorten the priority's SLA; "
            "null: the priority's SLA alone."
        )
    )
    visits_per_year: int | None = strawberry.field(
        description=(
            "Preventive maintenance visits included per year (0 to 365); null when none stated."
        )
    )
    price: Money | None = strawberry.field(
        extensions=[not_for_partners()],
        description="Price the customer pays for the contract; null when not recorded.",
    )
    notes: str | None = strawberry.field(
        extensions=[internal()], description="Internal notes; hidden from customers and partners."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    row: strawberry.Private[Contract]

    @classmethod
    def from_model(cls, row: Contract) -> ContractType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            number=row.number,
            kind=row.kind,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            covers_labour=row.covers_labour,
            covers_parts=row.covers_parts,
            sla_response_hours=row.sla_response_hours,
            sla_resolution_hours=row.sla_resolution_hours,
            visits_per_year=row.visits_per_year,
            price=Money.of(row.price, row.currency),
            notes=row.notes,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            archived_at=row.archived_at,
            row=row,
        )

    @strawberry.field(description="The customer who holds the contract.")
    async def customer(self, info: Info) -> CustomerType:
        row = await info.context.loaders.by_id(Customer).load(self.row.customer_id)
        assert row is not None
        return CustomerType.from_model(row)

    @strawberry.field(extensions=[FirstItems(20)], description="Assets the contract names.")
    async def covered_assets(self, info: Info) -> list[AssetType]:
        rows = await _covered_loader(info, Asset, col(ContractCoverage.asset_id)).load(self.db_id)
        return [AssetType.from_model(row) for row in rows]

    @strawberry.field(
        extensions=[FirstItems(20)], description="Sites the contract covers (every asset at them)."
    )
    async def covered_sites(self, info: Info) -> list[SiteType]:
        rows = await _covered_loader(info, Site, col(ContractCoverage.site_id)).load(self.db_id)
        return [SiteType.from_model(row) for row in rows]

    @strawberry.field(description="In force on `on` (today): within its period and not archived.")
    def is_active(
        self,
        on: Annotated[
            date | None, strawberry.argument(description="Day to check; null means today (UTC).")
        ] = None,
    ) -> bool:
        return self.row.is_active(on or utcnow().date())

    @strawberry.field(description="The previous period this contract renews; null for a first.")
    async def renewed_from(self, info: Info) -> ContractType | None:
        if self.row.renewed_from_id is None:
            return None
        row = await info.context.loaders.by_id(Contract).load(self.row.renewed_from_id)
        return ContractType.from_model(row) if row else None

    @strawberry.field(description="The contract renewing this one (its next period); null if none.")
    async def renewed_by(self, info: Info) -> ContractType | None:
        row = await _renewal_loader(info).load(self.db_id)
        return ContractType.from_model(row) if row else None


def _renewal_loader(info: Info) -> DataLoader[int, Contract | None]:
    session = info.context.session

    async def load(contract_ids: list[int]) -> list[Contract | None]:
        rows = await session.scalars(
            select(Contract).where(col(Contract.renewed_from_id).in_(contract_ids))
        )
        by_previous = {row.renewed_from_id: row for row in rows.all()}
        return [by_previous.get(i) for i in contract_ids]

    return info.context.loaders.custom("contract_renewed_by", load)


def _covered_loader(info: Info, model: Any, link: Any) -> DataLoader[int, list[Any]]:
    session = info.context.session

    async def load(contract_ids: list[int]) -> list[list[Any]]:
        statement = (
            select(model, ContractCoverage.contract_id)
            .join(ContractCoverage, link == model.id)
            .where(col(ContractCoverage.contract_id).in_(contract_ids))
            .order_by(model.id)
        )
        grouped: dict[int, list[Any]] = {i: [] for i in contract_ids}
        for row, contract_id in (await session.execute(statement)).all():
            grouped[contract_id].append(row)
        return [grouped[i] for i in contract_ids]

    return info.context.loaders.custom(f"contract_covered_{model.__tablename__}", load)


@strawberry.type(
    name="Coverage",
    description="Who pays for a visit to an asset or site on a given day, and the contract SLA.",
)
class CoverageType:
    status: CoverageStatus = strawberry.field(  # type: ignore[valid-type]
        description="Whether a warranty, a contract or the customer pays."
    )
    contract_kind: ContractKind | None = strawberry.field(  # type: ignore[valid-type]
        description="Kind of the applicable contract; null when no contract is in force."
    )
    labour_covered: bool = strawberry.field(description="Whether labour is free for this visit.")
    parts_covered: bool = strawberry.field(description="Whether parts are free for this visit.")
    sla_response_hours: int | None = strawberry.field(
        description="Contract response time in clock hours; null when no contract sets one."
    )
    sla_resolution_hours: int | None = strawberry.field(
        description="Contract resolution time in clock hours; null when no contract sets one."
    )
    contract_db_id: strawberry.Private[int | None]

    @classmethod
    def from_value(cls, coverage: service.Coverage) -> CoverageType:
        return cls(
            status=coverage.status,
            contract_kind=coverage.contract_kind,
            labour_covered=coverage.labour_covered,
            parts_covered=coverage.parts_covered,
            sla_response_hours=coverage.sla_response_hours,
            sla_resolution_hours=coverage.sla_resolution_hours,
            contract_db_id=coverage.contract_id,
        )

    @strawberry.field(description="The contract that applies, if any.")
    async def contract(self, info: Info) -> ContractType | None:
        if self.contract_db_id is None:
            return None
        row = await info.context.loaders.by_id(Contract).load(self.contract_db_id)
        return ContractType.from_model(row) if row else None


def coverage_loader(info: Info) -> DataLoader[service.CoverageKey, CoverageType]:
    """Coverage for many (asset, site, day) keys at once: one batch per operation level."""
    session = info.context.session

    async def load(keys: list[service.CoverageKey]) -> list[CoverageType]:
        return [CoverageType.from_value(c) for c in await service.coverages(session, keys)]

    return info.context.loaders.custom("coverage", load)


ContractConnection = Connection[ContractType]


@strawberry.input(description="A new service contract for a customer.")
class CreateContractInput:
    customer_id: strawberry.ID
    kind: ContractKind = strawberry.field(  # type: ignore[valid-type]
        description="Kind of contract; an extended warranty may cover assets only, not sites."
    )
    starts_on: date = strawberry.field(description="First day in force.")
    ends_on: date = strawberry.field(
        description="Last day in force (inclusive); not before `startsOn`."
    )
    number: str | None = strawberry.field(
        default=None, description="Generated (e.g. AMC-2026-000042) when not given."
    )
    covers_labour: bool | None = strawberry.field(
        default=None, description="Defaults by kind: every kind covers labour."
    )
    covers_parts: bool | None = strawberry.field(
        default=None, description="Defaults by kind: CMC and extended warranty cover parts."
    )
    sla_response_hours: int | None = strawberry.field(
        default=None, description="Promised response time in clock hours, 1 to 8760."
    )
    sla_resolution_hours: int | None = strawberry.field(
        default=None,
        description="Promised resolution time in clock hours, 1 to 8760; not below the response.",
    )
    visits_per_year: int | None = strawberry.field(
        default=None, description="Preventive maintenance visits included per year, 0 to 365."
    )
    price: MoneyInput | None = strawberry.field(
        default=None, description="Price the customer pays for the contract."
    )
    notes: str | None = strawberry.field(
        default=None, description="Internal notes, up to 10,000 characters."
    )
    covered_asset_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    covered_site_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    idempotency_key: str | None = None


@strawberry.input(
    description="Changes to a contract; omitted fields stay as they are, null clears optional ones."
)
class UpdateContractInput:
    id: strawberry.ID
    expected_version: int | None = None
    kind: ContractKind | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET,
        description="New kind; brings its default labour and parts cover unless those are given.",
    )
    starts_on: date | None = strawberry.field(
        default=strawberry.UNSET, description="New first day in force; cannot be null."
    )
    ends_on: date | None = strawberry.field(
        default=strawberry.UNSET, description="New last day in force (inclusive); cannot be null."
    )
    covers_labour: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Whether labour is free; cannot be null."
    )
    covers_parts: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Whether parts are free; cannot be null."
    )
    sla_response_hours: int | None = strawberry.field(
        default=strawberry.UNSET, description="New response time in clock hours; null removes it."
    )
    sla_resolution_hours: int | None = strawberry.field(
        default=strawberry.UNSET, description="New resolution time in clock hours; null removes it."
    )
    visits_per_year: int | None = strawberry.field(
        default=strawberry.UNSET, description="New preventive visits per year; null removes it."
    )
    price: MoneyInput | None = strawberry.field(
        default=strawberry.UNSET, description="New contract price; null clears it."
    )
    notes: str | None = strawberry.field(
        default=strawberry.UNSET, description="New internal notes; null clears them."
    )
    covered_asset_ids: list[strawberry.ID] | None = strawberry.UNSET
    covered_site_ids: list[strawberry.ID] | None = strawberry.UNSET


@strawberry.type
class ContractPayload(Payload):
    contract: ContractType | None = strawberry.field(
        default=None, description="The contract as saved; null when the change failed."
    )


def money_values(price: MoneyInput | None) -> dict[str, Decimal | str | None]:
    """A MoneyInput as the contract's price and currency columns (null clears the price)."""
    if price is None:
        return {"price": None}
    return {"price": price.amount, "currency": price.currency}
