"""The `kpis` and `scoreboard` queries: exact figures from the live rollup, bounded, scoped."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.partners.models import Partner
from schema.ids import encode_id
from tests.kpis import helpers
from tests.support import GraphQLClient, error_codes
from tests.work_orders import factories

KPIS = """
query ($metrics: [KpiMetric!]!, $dimensions: [KpiDimension!]!, $from: Date!, $to: Date!,
       $filters: KpiFilterInput) {
  kpis(metrics: $metrics, dimensions: $dimensions, from: $from, to: $to, filters: $filters) {
    rows { bucket territoryId technicianId taskType
           values { metric value numerator denominator } }
    userErrors { field code message }
  }
}
"""
SCOREBOARD = """
query ($metric: KpiMetric!, $territoryId: ID) {
  scoreboard(metric: $metric, period: LAST_30_DAYS, territoryId: $territoryId) {
    entries { rank technicianId value expected score volume }
    userErrors { code }
  }
}
"""
TODAY = date.today()
RANGE = {
    "from": (TODAY - timedelta(days=3)).isoformat(),
    "to": (TODAY + timedelta(days=1)).isoformat(),
}


async def _job(
    session: AsyncSession, w: factories.World, technician_id: int, *, fixed: bool, stars: int
) -> None:
    task = await helpers.new_task(session, w)
    assert task.id is not None
    assert await helpers.committed(session, helpers.assign(session, w, task.id, technician_id))
    assert await helpers.committed(session, helpers.arrive(session, w, task.id, technician_id))
    if fixed:
        step = helpers.complete(session, w, task.id, technician_id)
    else:
        step = helpers.incomplete(session, w, task.id, technician_id)
    assert await helpers.committed(session, step)
    if fixed:
        assert await helpers.committed(session, helpers.rate(session, w, task.id, stars))


async def test_a_manager_reads_exact_rates_per_technician(
    session: AsyncSession, gql: GraphQLClient
) -> None:
    # given one technician with a fix and a failed first visit, rated 5
    w = await factories.world(session)
    assert w.technician.id is not None
    await _job(session, w, w.technician.id, fixed=True, stars=5)
    await _job(session, w, w.technician.id, fixed=False, stars=0)
    # when a manager asks for first-time fix and CSAT by technician for the territory
    filters = {"territoryIds": [encode_id("Territory", w.territory.id)]}  # type: ignore[arg-type]
    data = await gql.as_role(Role.MANAGER)(
        KPIS,
        {
            "metrics": ["FIRST_TIME_FIX_RATE", "CSAT_AVERAGE", "JOBS_COMPLETED"],
            "dimensions": ["TECHNICIAN", "MONTH"],
            "filters": filters,
        }
        | RANGE,
    )
    report = data["kpis"]
    assert report["userErrors"] == []
    values = {
        v["metric"]: (Decimal(v["value"]), v["denominator"])
        for row in report["rows"]
        for v in row["values"]
    }
    # then the figures are exact ratios of summed counters
    assert values["FIRST_TIME_FIX_RATE"] == (Decimal("0.5"), "2")
    assert values["CSAT_AVERAGE"] == (Decimal(5), "1")
    assert values["JOBS_COMPLETED"] == (Decimal(1), None)
    assert {row["technicianId"] for row in report["rows"]} == {
        encode_id("Technician", w.technician.id)
    }
    assert all(row["bucket"] == TODAY.replace(day=1).isoformat() for row in report["rows"])


async def test_the_scoreboard_normalises_for_the_territorys_job_mix(
    session: AsyncSession, gql: GraphQLClient
) -> None:
    # given two technicians on the same mix: one fixes both first visits, the other one of two
    w = await factories.world(session)
    other = await factories.technician(session, skills=[(w.skill, 3)], area=w.territory)
    assert w.technician.id is not None and other.id is not None
    for fixed in (True, True):
        await _job(session, w, w.technician.id, fixed=fixed, stars=5)
    for fixed in (True, False):
        await _job(session, w, other.id, fixed=fixed, stars=3)
    # when the first-time-fix scoreboard of the territory is read
    data = await gql.as_role(Role.DISPATCHER)(
        SCOREBOARD,
        {
            "metric": "FIRST_TIME_FIX_RATE",
            "territoryId": encode_id("Territory", w.territory.id),  # type: ignore[arg-type]
        },
    )
    entries = data["scoreboard"]["entries"]
    # then the better one ranks first, scored against the territory's 3/4 on the same mix
    assert [e["technicianId"] for e in entries] == [
        encode_id("Technician", w.technician.id),
        encode_id("Technician", other.id),
    ]
    assert Decimal(entries[0]["expected"]) == Decimal("0.75")
    assert Decimal(entries[0]["score"]) == Decimal("0.25")
    assert Decimal(entries[1]["score"]) == Decimal("-0.25")


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.CUSTOMER, Role.AGENT, None])
async def test_technicians_customers_and_anonymous_are_refused(
    gql: GraphQLClient, role: Role | None
) -> None:
    body = await gql.as_role(role).raw(
        KPIS, {"metrics": ["JOBS_COMPLETED"], "dimensions": []} | RANGE
    )
    payload = body["data"]["kpis"]
    assert error_codes(payload) in (["FORBIDDEN"], ["UNAUTHENTICATED"])
    assert payload["rows"] == []


async def test_a_partner_sees_only_its_own_technicians(
    session: AsyncSession, gql: GraphQLClient
) -> None:
    # given a job done by an employee technician
    w = await factories.world(session)
    assert w.technician.id is not None
    await _job(session, w, w.technician.id, fixed=True, stars=4)
    partner = Partner(name="Cool Air Services", code="COOL1")
    session.add(partner)
    await session.flush()
    as_partner = gql.as_role(Role.PARTNER, partner_id=partner.id)
    # when the partner asks for every job, then it sees none of the employee's
    data = await as_partner(KPIS, {"metrics": ["JOBS_COMPLETED"], "dimensions": []} | RANGE)
    assert data["kpis"]["rows"] == []
    # and asking for another partner's figures is refused
    filters = {"partnerIds": [encode_id("Partner", partner.id + 1)]}  # type: ignore[operator]
    data = await as_partner(
        KPIS, {"metrics": ["JOBS_COMPLETED"], "dimensions": [], "filters": filters} | RANGE
    )
    assert error_codes(data["kpis"]) == ["FORBIDDEN"]


async def test_ranges_and_groupings_are_bounded(gql: GraphQLClient) -> None:
    backwards = {"from": "2026-03-01", "to": "2026-02-01"}
    too_long = {"from": "2024-01-01", "to": "2026-01-01"}
    two_buckets = {"dimensions": ["DAY", "MONTH"]}
    for variables, field in (
        (backwards, ["to"]),
        (too_long, ["to"]),
        (RANGE | two_buckets, ["dimensions"]),
    ):
        data = await gql(KPIS, {"metrics": ["JOBS_COMPLETED"], "dimensions": []} | variables)
        assert data["kpis"]["userErrors"][0]["field"] == field
        assert error_codes(data["kpis"]) == ["INVALID"]
