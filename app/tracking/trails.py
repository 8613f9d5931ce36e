"""Where a technician went: the simplified path of their pings and the places they stayed.

A stop is a run of consecutive pings that stays within the policy's radius of where it began
for at least the policy's minutes (the classic stay-point detection of GPS trajectories). Each
stop is matched with the check-ins the technician made there, so a manager sees which task
was done where and how long the visit really took.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound, invalid
from app.core.geo import LatLng
from app.tracking import repository
from app.tracking.models import TrackingPolicyBase
from app.tracking.policies import distance_m
from app.tracking.repository import CheckIn, TrailPoint

LONGEST_TRAIL = timedelta(days=31)
CHECK_IN_SLACK = timedelta(minutes=10)
"""A check-in this long before a stop is detected still belongs to it (the app checks in on
arrival; the stay is only recognised once the pings settle)."""


@dataclass(frozen=True, slots=True)
class Stop:
    location: LatLng
    arrived_at: datetime
    left_at: datetime
    pings: int
    task_id: int | None = None
    site_id: int | None = None
    checked_in_at: datetime | None = None

    @property
    def minutes(self) -> int:
        return int((self.left_at - self.arrived_at).total_seconds() // 60)


@dataclass(frozen=True, slots=True)
class Trail:
    technician_id: int
    path: dict[str, object] | None
    distance_meters: float
    ping_count: int
    stops: list[Stop]


def find_stops(points: list[TrailPoint], radius_m: float, minutes: int) -> list[Stop]:
    """Stays of at least `minutes` within `radius_m` of their first point, in time order."""
    stops: list[Stop] = []
    least = timedelta(minutes=minutes)
    i, n = 0, len(points)
    while i < n:
        anchor = LatLng(points[i].lat, points[i].lng)
        j = i + 1
        while j < n and distance_m(anchor, LatLng(points[j].lat, points[j].lng)) <= radius_m:
            j += 1
        stay = points[i:j]
        if stay[-1].recorded_at - stay[0].recorded_at >= least:
            centre = LatLng(
                sum(p.lat for p in stay) / len(stay), sum(p.lng for p in stay) / len(stay)
            )
            stops.append(Stop(centre, stay[0].recorded_at, stay[-1].recorded_at, len(stay)))
            i = j
        else:
            i += 1
    return stops


def with_check_ins(stops: list[Stop], check_ins: list[CheckIn], radius_m: float) -> list[Stop]:
    """Each stop with the check-in made there (time and place agree), if any."""
    joined = []
    for stop in stops:
        match = next(
            (
                c
                for c in check_ins
                if stop.arrived_at - CHECK_IN_SLACK <= c.at <= stop.left_at
                and distance_m(stop.location, c.site) <= 2 * radius_m + c.geofence_slack
            ),
            None,
        )
        if match is None:
            joined.append(stop)
            continue
        joined.append(
            Stop(
                stop.location,
                stop.arrived_at,
                stop.left_at,
                stop.pings,
                task_id=match.task_id,
                site_id=match.site_id,
                checked_in_at=match.at,
            )
        )
    return joined


async def technician_trail(
    session: AsyncSession, technician_id: int, start: datetime, end: datetime
) -> Trail:
    if end <= start:
        raise invalid("`to` must be after `from`", "to")
    if end - start > LONGEST_TRAIL:
        raise invalid("a trail covers at most 31 days; ask for a shorter period", "to")
    state = await repository.tracker_state(session, technician_id)
    if state is None:
        raise NotFound("technician", ["technicianId"])
    policy: TrackingPolicyBase = state.policy
    line = await repository.simplified_path(
        session, technician_id, start, end, policy.trail_tolerance_meters
    )
    points = await repository.trail_points(session, technician_id, start, end)
    stops = find_stops(points, policy.stay_radius_meters, policy.stay_minutes)
    if stops:
        check_ins = await repository.check_ins(session, technician_id, start - CHECK_IN_SLACK, end)
        stops = with_check_ins(stops, check_ins, policy.stay_radius_meters)
    return Trail(technician_id, line.geojson, line.length_meters, len(points), stops)
