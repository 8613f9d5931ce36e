"""What a new position means for the tasks a technician is travelling to (pure functions).

The ETA uses the dispatch travel model (great-circle distance times a detour factor, driven at
the policy's speed), so the customer's ETA and the dispatcher's plan agree. A task is running
late when that ETA passes the appointment window's end (plus the policy's grace); the customer
is told the technician is nearby when they come within the policy's radius or minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.core.geo import LatLng
from app.dispatch.solver.problem import Location
from app.dispatch.solver.travel import HaversineTravel
from app.tracking.models import TrackingPolicyBase
from app.tracking.policies import distance_m
from app.tracking.repository import TRAVELLING, EtaUpdate, TrackedTask


@dataclass(frozen=True, slots=True)
class Estimate:
    minutes: int
    distance_meters: float
    """Straight-line distance to the site (the vicinity radius is measured this way)."""


def estimate(position: LatLng, site: LatLng, policy: TrackingPolicyBase) -> Estimate:
    travel = HaversineTravel(speed_kmh=policy.travel_speed_kmh, detour=policy.travel_detour)
    table = travel.table(
        [Location(lat=position.lat, lng=position.lng)], [Location(lat=site.lat, lng=site.lng)]
    )
    minutes = float(table.durations[0, 0])
    return Estimate(minutes=math.ceil(minutes), distance_meters=distance_m(position, site))


def assess(
    task: TrackedTask,
    technician_id: int,
    position: LatLng,
    at: datetime,
    policy: TrackingPolicyBase,
) -> EtaUpdate:
    """The task's ETA from a position recorded `at`, and whether it is late or nearby now."""
    if task.status != TRAVELLING:  # on site: arrived
        return EtaUpdate(task.task_id, technician_id, at, 0, 0.0, at, late=False, near=False)
    found = estimate(position, task.site, policy)
    eta_at = at + timedelta(minutes=found.minutes)
    late = task.window_end is not None and eta_at > task.window_end + timedelta(
        minutes=policy.late_grace_minutes
    )
    near = found.distance_meters <= policy.vicinity_radius_meters or (
        policy.vicinity_minutes > 0 and found.minutes <= policy.vicinity_minutes
    )
    return EtaUpdate(
        task.task_id, technician_id, eta_at, found.minutes, found.distance_meters, at, late, near
    )
