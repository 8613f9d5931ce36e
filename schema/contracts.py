"""GraphQL types for service contracts and coverage."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

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


@strawberry.type(name="Contract")
class ContractType(Node):
    number: str
    kind: ContractKind  # type: ignore[valid-type]
    starts_on: date
    ends_on: date
    covers_labour: bool
    covers_parts: bool
    sla_response_hours: int | None
    sla_resolution_hours: int | None
    visits_per_year: int | None
    price: Money | None = strawberry.field(extensions=[not_for_partners()])
    notes: str | None = strawberry.field(extensions=[internal()])
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

    @strawberry.field
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
    def is_active(self, on: date | None = None) -> bool:
        return self.row.is_active(on or utcnow().date())


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


@strawberry.type(name="Coverage")
class CoverageType:
    status: CoverageStatus  # type: ignore[valid-type]
    contract_kind: ContractKind | None  # type: ignore[valid-type]
    labour_covered: bool
    parts_covered: bool
    sla_response_hours: int | None
    sla_resolution_hours: int | None
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


@strawberry.input
class CreateContractInput:
    customer_id: strawberry.ID
    kind: ContractKind  # type: ignore[valid-type]
    starts_on: date
    ends_on: date
    number: str | None = strawberry.field(
        default=None, description="Generated (e.g. AMC-2026-000042) when not given."
    )
    covers_labour: bool | None = strawberry.field(
        default=None, description="Defaults by kind: every kind covers labour."
    )
    covers_parts: bool | None = strawberry.field(
        default=None, description="Defaults by kind: CMC and extended warranty cover parts."
    )
    sla_response_hours: int | None = None
    sla_resolution_hours: int | None = None
    visits_per_year: int | None = None
    price: MoneyInput | None = None
    notes: str | None = None
    covered_asset_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    covered_site_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    idempotency_key: str | None = None


@strawberry.input
class UpdateContractInput:
    id: strawberry.ID
    expected_version: int | None = None
    kind: ContractKind | None = strawberry.UNSET  # type: ignore[valid-type]
    starts_on: date | None = strawberry.UNSET
    ends_on: date | None = strawberry.UNSET
    covers_labour: bool | None = strawberry.UNSET
    covers_parts: bool | None = strawberry.UNSET
    sla_response_hours: int | None = strawberry.UNSET
    sla_resolution_hours: int | None = strawberry.UNSET
    visits_per_year: int | None = strawberry.UNSET
    price: MoneyInput | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    covered_asset_ids: list[strawberry.ID] | None = strawberry.UNSET
    covered_site_ids: list[strawberry.ID] | None = strawberry.UNSET


@strawberry.type
class ContractPayload(Payload):
    contract: ContractType | None = None


def money_values(price: MoneyInput | None) -> dict[str, Decimal | str | None]:
    """A MoneyInput as the contract's price and currency columns (null clears the price)."""
    if price is None:
        return {"price": None}
    return {"price": price.amount, "currency": price.currency}
