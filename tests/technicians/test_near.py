from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal, Role
from app.core.geo import LatLng
from app.core.models import utcnow
from app.technicians import repository
from app.technicians.models import TechnicianStatus
from tests.support import GraphQLClient
from tests.technicians import factories as make

NEAR = """
query($point: GeoPointInput!, $radius: Float!, $skills: [String!], $first: Int) {
  techniciansNear(point: $point, radiusMeters: $radius, skills: $skills, first: $first) {
    technician { name } distanceMeters measuredFrom
  }
}
"""
MG_ROAD = (12.9756, 77.6050)
WHITEFIELD = (12.9698, 77.7500)
KORAMANGALA = (12.9352, 77.6245)
HEBBAL = (13.0358, 77.5970)


def haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres on a sphere of the mean Earth radius."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def point(at: tuple[float, float]) -> dict[str, float]:
    return {"lat": at[0], "lng": at[1]}


async def near(gql: GraphQLClient, at: tuple[float, float], radius: float, **extra: Any) -> list:
    data = await gql(NEAR, {"point": point(at), "radius": radius} | extra)
    return list(data["techniciansNear"])


async def test_distances_match_the_haversine_formula(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    await make.technician(session, "Whitefield", home=WHITEFIELD)

    (found,) = await near(gql, MG_ROAD, 50_000)

    expected = haversine(MG_ROAD, WHITEFIELD)
    assert 15_000 < expected < 16_500
    assert found["distanceMeters"] == pytest.approx(expected, rel=0.005)
    assert found["measuredFrom"] == "HOME_BASE"


async def test_nearest_come_first_and_the_radius_is_a_limit(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    for name, home in [
        ("Whitefield", WHITEFIELD),
        ("Koramangala", KORAMANGALA),
        ("Hebbal", HEBBAL),
    ]:
        await make.technician(session, name, home=home)

    everyone = await near(gql, MG_ROAD, 50_000)
    close = await near(gql, MG_ROAD, 10_000)
    first = await near(gql, MG_ROAD, 50_000, first=1)

    assert [f["technician"]["name"] for f in everyone] == ["Koramangala", "Hebbal", "Whitefield"]
    assert [f["technician"]["name"] for f in close] == ["Koramangala", "Hebbal"]
    assert [f["technician"]["name"] for f in first] == ["Koramangala"]


async def test_a_recent_location_wins_over_the_home_base_and_a_stale_one_does_not(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    now = utcnow()
    await make.technician(
        session, "Live", home=WHITEFIELD, last_location=KORAMANGALA, last_seen_at=now
    )
    await make.technician(
        session,
        "Stale",
        home=HEBBAL,
        last_location=MG_ROAD,
        last_seen_at=now - timedelta(hours=2),
    )

    found = await near(gql, MG_ROAD, 50_000)

    assert [(f["technician"]["name"], f["measuredFrom"]) for f in found] == [
        ("Live", "LAST_KNOWN_LOCATION"),
        ("Stale", "HOME_BASE"),
    ]
    assert found[0]["distanceMeters"] == pytest.approx(haversine(MG_ROAD, KORAMANGALA), rel=0.005)
    assert found[1]["distanceMeters"] == pytest.approx(haversine(MG_ROAD, HEBBAL), rel=0.005)


async def test_every_listed_skill_is_required_and_only_active_technicians_count(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    ac, gas = await make.skill(session, "ac_repair"), await make.skill(session, "gas_safety")
    await make.technician(session, "Both", home=KORAMANGALA, skills=[(ac, 3), (gas, 1)])
    await make.technician(session, "AcOnly", home=KORAMANGALA, skills=[(ac, 5)])
    await make.technician(
        session,
        "OnLeave",
        home=KORAMANGALA,
        skills=[(ac, 3), (gas, 3)],
        status=TechnicianStatus.ON_LEAVE,
    )
    await make.technician(
        session, "Archived", home=KORAMANGALA, skills=[(ac, 3), (gas, 3)], archived_at=utcnow()
    )

    both = await near(gql, MG_ROAD, 20_000, skills=["ac_repair", "gas_safety"])
    ac_only = await near(gql, MG_ROAD, 20_000, skills=["ac_repair"])

    assert [f["technician"]["name"] for f in both] == ["Both"]
    assert sorted(f["technician"]["name"] for f in ac_only) == ["AcOnly", "Both"]


async def test_a_partner_finds_only_its_own_technicians_nearby(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    mine = await make.partner(session, "MINE")
    await make.technician(session, "Own", home=HEBBAL, partner_id=mine.id)
    await make.technician(session, "Employee", home=KORAMANGALA)

    found = await near(gql.as_role(Role.PARTNER, partner_id=mine.id), MG_ROAD, 50_000)
    customer = await gql.as_role(Role.CUSTOMER, customer_id=1).raw(
        NEAR, {"point": point(MG_ROAD), "radius": 50_000}
    )

    assert [f["technician"]["name"] for f in found] == ["Own"]
    # a customer is refused: distances from points of their choosing would place technicians
    assert customer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_bad_arguments_are_refused(gql: GraphQLClient) -> None:
    out_of_range = await gql.raw(NEAR, {"point": {"lat": 12.9, "lng": 181}, "radius": 1000})
    no_radius = await gql.raw(NEAR, {"point": point(MG_ROAD), "radius": 0})

    assert "longitude" in out_of_range["errors"][0]["message"]
    assert "radiusMeters" in no_radius["errors"][0]["message"]


async def test_first_is_capped_at_100(gql: GraphQLClient, session: AsyncSession) -> None:
    for n in range(105):
        await make.technician(session, f"T{n}", home=(12.97 + n / 10_000, 77.6))

    assert len(await near(gql, MG_ROAD, 50_000, first=500)) == 100


@pytest.mark.parametrize("column", ["idx_technicians_home_base", "idx_technicians_last_location"])
async def test_the_search_uses_the_gist_indexes(session: AsyncSession, column: str) -> None:
    statement = repository.nearest_statement(
        Principal(subject="t", role=Role.DISPATCHER),
        LatLng(*MG_ROAD),
        5_000,
        skills=["ac_repair"],
        first=10,
        seen_since=utcnow() - timedelta(minutes=30),
    )
    sql = statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})

    await session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(row[0] for row in await session.execute(text(f"EXPLAIN {sql}")))

    assert f"Index Scan using {column}" in plan
    assert "<->" in plan
