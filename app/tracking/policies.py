"""Validation of single pings and the tracking-window rule of a policy (pure functions)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from app.core.geo import LatLng
from app.tracking.models import PingIn, PingRejection, TrackingPolicyBase

CLOCK_SKEW = timedelta(minutes=2)
"""Phones' clocks drift; a ping this far in the future is still taken as now-ish."""

EARTH_RADIUS_M = 6_371_008.8

Window = tuple[datetime, datetime]


def problem_of(ping: PingIn, policy: TrackingPolicyBase, now: datetime) -> PingRejection | None:
    """Why a ping is refused on its own, or None."""
    values = (ping.lat, ping.lng, ping.accuracy_meters, ping.speed_mps, ping.heading)
    if not all(v is None or math.isfinite(v) for v in values):
        return PingRejection.INVALID_VALUE
    if not (-90 <= ping.lat <= 90 and -180 <= ping.lng <= 180) or (ping.lat == ping.lng == 0):
        return PingRejection.INVALID_COORDINATES  # (0, 0) is a receiver without a fix
    if ping.recorded_at.tzinfo is None:
        return PingRejection.INVALID_VALUE
    if ping.recorded_at > now + CLOCK_SKEW:
        return PingRejection.FUTURE_TIMESTAMP
    if ping.recorded_at < now - timedelta(hours=policy.max_age_hours):
        return PingRejection.TOO_OLD
    if (ping.speed_mps is not None and ping.speed_mps < 0) or (
        ping.heading is not None and not 0 <= ping.heading < 360
    ):
        return PingRejection.INVALID_VALUE
    if ping.accuracy_meters is not None:
        if ping.accuracy_meters < 0:
            return PingRejection.INVALID_VALUE
        if ping.accuracy_meters > policy.max_accuracy_meters:
            return PingRejection.LOW_ACCURACY
    return None


def distance_m(a: LatLng, b: LatLng) -> float:
    """Great-circle distance (haversine) in metres."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi, dlmb = phi2 - phi1, math.radians(b.lng - a.lng)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def is_jump(
    previous: LatLng,
    previous_at: datetime,
    previous_accuracy: float | None,
    ping: PingIn,
    policy: TrackingPolicyBase,
) -> bool:
    """Moving faster than the policy allows, after granting both fixes their accuracy."""
    seconds = (ping.recorded_at - previous_at).total_seconds()
    slack = (previous_accuracy or 0.0) + (ping.accuracy_meters or 0.0)
    moved = max(0.0, distance_m(previous, LatLng(ping.lat, ping.lng)) - slack)
    if seconds <= 0:
        return moved > 0
    return moved / seconds > policy.max_speed_mps


def in_windows(at: datetime, windows: list[Window]) -> bool:
    return any(start <= at < end for start, end in windows)
