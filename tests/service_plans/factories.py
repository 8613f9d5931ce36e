"""Contracts with covered assets, a territory with holidays, and plans made by the service."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.service_plans import service
from app.service_plans.models import PlannedVisit, ServicePlan, ServicePlanCreate
from tests.customers import factories as f
from tests.support import GraphQLClient

CREATE_TERRITORY = """
mutation($input: CreateTerritoryInput!) {
  createTerritory(input: $input) { territory { id } userErrors { field message code } }
}
"""
ADD_HOLIDAY = """
mutation($input: AddHolidayInput!) {
  addTerritoryHoliday(input: $input) { territory { id } userErrors { field message code } }
}
"""
AROUND_BENGALURU = {
    "type": "Polygon",
    "coordinates": [[[77.4, 12.8], [77.8, 12.8], [77.8, 13.2], [77.4, 13.2], [77.4, 12.8]]],
}


async def covered_home(
    gql: GraphQLClient,
    name: str = "Asha Rao",
    serial: str = "SN-1",
    starts_on: str = "2026-01-01",
    ends_on: str = "2027-12-31",
) -> dict[str, Any]:
    """A household whose asset an AMC covers; `contractDbId` and `assetDbId` added."""
    home = await f.household(gql, name, serial)
    contract = await f.contract(
        gql,
        home["customer"]["id"],
        startsOn=starts_on,
        endsOn=ends_on,
        visitsPerYear=4,
        coveredAssetIds=[home["asset"]["id"]],
    )
    return home | {
        "contract": contract,
        "contractDbId": f.db_id(contract["id"]),
        "assetDbId": f.db_id(home["asset"]["id"]),
        "customerDbId": f.db_id(home["customer"]["id"]),
    }


async def territory(gql: GraphQLClient, code: str, holidays: list[str]) -> str:
    created = await f.ok(
        gql,
        CREATE_TERRITORY,
        {
            "name": f"Bengaluru {code}",
            "code": code,
            "timeZone": "Asia/Kolkata",
            "area": AROUND_BENGALURU,
        },
        "territory",
    )
    for day in holidays:
        await f.ok(
            gql,
            ADD_HOLIDAY,
            {"territoryId": created["id"], "day": day, "name": "Holiday"},
            "territory",
        )
    territory_id: str = created["id"]
    return territory_id


async def plan(
    session: AsyncSession, contract_id: int, today: date, horizon: int = 90, **values: Any
) -> ServicePlan:
    data = ServicePlanCreate.model_validate(
        {"contract_id": contract_id, "name": "Quarterly service", "target": "ALL_COVERED"}
        | {"frequency": "MONTHLY", "starts_on": date(2026, 1, 1)}
        | values
    )
    return await service.create_plan(session, data, today, horizon)


async def visits(session: AsyncSession, plan_id: int | None = None) -> list[PlannedVisit]:
    statement = select(PlannedVisit).order_by(col(PlannedVisit.due_on), col(PlannedVisit.id))
    if plan_id is not None:
        statement = statement.where(col(PlannedVisit.plan_id) == plan_id)
    return list((await session.scalars(statement)).all())
