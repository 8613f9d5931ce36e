"""technicianTrail: the simplified path as GeoJSON, stops joined with check-ins, who may see it,
and a statement count that does not grow with the number of stops."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.geo import LatLng
from app.core.models import utcnow
from app.tracking.models import PingIn
from app.tracking.repository import TrailPoint
from app.tracking.service import report_locations
from app.tracking.trails import find_stops
from schema.ids import encode_id
from tests.support import GraphQLClient, StatementCounter
from tests.tracking.journeys import SITE, Journey, check_in, en_route_task, north_of_site

TRAIL = """
query Trail($id: ID!, $from: DateTime!, $to: DateTime!) {
  technicianTrail(technicianId: $id, from: $from, to: $to) {
    technicianId path pingCount distanceMeters
    stops { location { lat lng } arrivedAt leftAt durationMinutes taskId siteId task { id status } }
  }
}
"""


async def journey_with_a_visit(session: AsyncSession, stops: int = 1) -> tuple[Journey, datetime]:
    """Drives from 5 km north straight to the site, stays 20 minutes (checking in), then
    repeats the stay `stops - 1` more times 2 km further north each time."""
    journey = await en_route_task(session)
    start = utcnow() - timedelta(hours=3)
    pings: list[PingIn] = []
    at = start
    for km in (5.0, 4.0, 3.0, 2.0, 1.0):
        pings.append(_ping(north_of_site(km), at))
        at += timedelta(minutes=2)
    for n in range(stops):
        place = north_of_site(2.0 * n)
        for _ in range(11):  # 20 minutes, a ping every 2
            pings.append(_ping(place, at))
            at += timedelta(minutes=2)
        pings.append(_ping(north_of_site(2.0 * n + 1.0), at))
        at += timedelta(minutes=2)
    result = await report_locations(session, journey.technician, pings, now=utcnow())
    assert result.accepted == len(pings)
    return journey, start


def _ping(where: LatLng, at: datetime) -> PingIn:
    return PingIn(lat=where.lat, lng=where.lng, recorded_at=at, accuracy_meters=5.0)


def variables(journey: Journey, start: datetime) -> dict[str, Any]:
    return {
        "id": encode_id("Technician", journey.world.technician.id or 0),
        "from": start.isoformat(),
        "to": utcnow().isoformat(),
    }


async def test_the_trail_is_a_simplified_line_with_the_visit_as_a_stop(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    journey, start = await journey_with_a_visit(session)
    await check_in(session, journey)  # now: after the pings; matched within the slack below
    await session.execute(
        sa.text("UPDATE task_events SET at = :at WHERE task_id = :t AND action = 'CHECK_IN'"),
        {"at": start + timedelta(minutes=11), "t": journey.task_id},
    )

    data = await gql(TRAIL, variables(journey, start))

    trail = data["technicianTrail"]
    assert trail["pingCount"] == 17
    assert trail["path"]["type"] == "LineString"
    # the straight drive north-south simplifies to its ends (plus the stay's end leg)
    assert len(trail["path"]["coordinates"]) <= 4
    assert trail["distanceMeters"] == pytest.approx(6000, rel=0.02)
    (stop,) = trail["stops"]
    assert stop["location"] == pytest.approx({"lat": SITE.lat, "lng": SITE.lng})
    assert stop["durationMinutes"] == 20
    assert stop["taskId"] == encode_id("Task", journey.task_id)
    assert stop["siteId"] == encode_id("Site", journey.world.site.id or 0)
    assert stop["task"] == {"id": encode_id("Task", journey.task_id), "status": "ON_SITE"}


@pytest.mark.parametrize(
    ("role", "links", "visible"),
    [
        (Role.ADMIN, {}, True),
        (Role.DISPATCHER, {}, True),
        (Role.MANAGER, {}, True),
        (Role.TECHNICIAN, {"technician_id": "own"}, True),
        (Role.TECHNICIAN, {"technician_id": -1}, False),
        (Role.PARTNER, {"partner_id": -1}, False),
    ],
)
async def test_who_may_see_a_trail(
    gql: GraphQLClient,
    session: AsyncSession,
    role: Role,
    links: dict[str, Any],
    visible: bool,
) -> None:
    journey, start = await journey_with_a_visit(session)
    links = {k: journey.world.technician.id if v == "own" else v for k, v in links.items()}

    data = await gql.as_role(role, **links)(TRAIL, variables(journey, start))

    assert (data["technicianTrail"] is not None) is visible


@pytest.mark.parametrize(
    ("role", "code"), [(Role.CUSTOMER, "FORBIDDEN"), (None, "UNAUTHENTICATED")]
)
async def test_customers_and_anonymous_callers_may_not_see_trails(
    gql: GraphQLClient, session: AsyncSession, role: Role | None, code: str
) -> None:
    journey, start = await journey_with_a_visit(session)

    body = await gql.as_role(role, customer_id=journey.customer_id).raw(
        TRAIL, variables(journey, start)
    )

    assert body["errors"][0]["extensions"]["code"] == code


async def test_to_before_from_is_invalid(gql: GraphQLClient, session: AsyncSession) -> None:
    journey, start = await journey_with_a_visit(session)
    wrong = variables(journey, start) | {"to": (start - timedelta(hours=1)).isoformat()}

    body = await gql.raw(TRAIL, wrong)

    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": ["to"]}


async def test_statements_do_not_grow_with_stops(
    gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    one, start_one = await journey_with_a_visit(session, stops=1)
    three, start_three = await journey_with_a_visit(session, stops=3)

    statements.reset()
    few = await gql(TRAIL, variables(one, start_one))
    for_one = statements.total
    statements.reset()
    many = await gql(TRAIL, variables(three, start_three))

    assert len(few["technicianTrail"]["stops"]) == 1
    assert len(many["technicianTrail"]["stops"]) == 3
    assert statements.total == for_one


def test_a_pause_shorter_than_the_policy_is_not_a_stop() -> None:
    t0 = utcnow()
    points = [TrailPoint(t0 + timedelta(minutes=m), SITE.lat, SITE.lng) for m in range(4)]

    assert find_stops(points, radius_m=75.0, minutes=5) == []
    assert len(find_stops(points, radius_m=75.0, minutes=3)) == 1
