"""Tracking queries: the ingest state of a technician, the ping series and its partitions."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.auth import Principal
from app.core.geo import LatLng
from app.tracking.models import TrackingMode, TrackingPolicy, TrackingPolicyBase

TRAVELLING = "EN_ROUTE"
TRACKED_STATUSES = ("EN_ROUTE", "ON_SITE")
"""A customer may follow their technician only while the task is in one of these."""
WORKING_STATUSES = ("EN_ROUTE", "ON_SITE", "IN_PROGRESS")
"""A TASK_ONLY policy keeps pings only while a task of the technician is in one of these."""


@dataclass(frozen=True, slots=True)
class TrackedTask:
    """A task the technician is travelling to or is at, with its notices already sent."""

    task_id: int
    status: str
    customer_id: int
    territory_id: int | None
    site: LatLng
    window_end: datetime | None
    late_notified: bool
    vicinity_notified: bool

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> TrackedTask:
        window_end = row.get("window_end")
        return cls(
            task_id=int(row["id"]),
            status=str(row["status"]),
            customer_id=int(row["customer_id"]),
            territory_id=row.get("territory_id"),
            site=LatLng(float(row["lat"]), float(row["lng"])),
            window_end=None if window_end is None else datetime.fromisoformat(window_end),
            late_notified=bool(row.get("late")),
            vicinity_notified=bool(row.get("near")),
        )


@dataclass(frozen=True, slots=True)
class TrackerState:
    """What ingest needs to know about a technician, read in one statement."""

    technician_id: int
    partner_id: int | None
    active: bool
    last_seen_at: datetime | None
    last_position: LatLng | None
    territory_id: int | None
    time_zone: str
    policy: TrackingPolicyBase
    """The policy's settings (a plain value: ingest reads it for every batch)."""
    tasks: tuple[TrackedTask, ...] = field(default=())
    missing_days: frozenset[date] = frozenset()
    """Of the days asked about, those without a partition of pings yet."""


@dataclass(frozen=True, slots=True)
class PingRow:
    recorded_at: datetime
    lat: float
    lng: float
    accuracy_m: float | None
    speed_mps: float | None
    heading: float | None


_POLICY_FIELDS = tuple(TrackingPolicyBase.model_fields)

_STATE = sa.text(
    f"""
    SELECT t.partner_id, t.status = 'ACTIVE' AND t.archived_at IS NULL AS active,
           t.last_seen_at, ST_Y(t.last_location::geometry) AS last_lat,
           ST_X(t.last_location::geometry) AS last_lng,
           m.territory_id, coalesce(m.time_zone, 'UTC') AS time_zone,
           p.id AS policy_id,
           {", ".join("p." + name for name in _POLICY_FIELDS)}, a.tasks, x.missing_days
    FROM technicians t
    LEFT JOIN LATERAL (
        SELECT tm.territory_id, tr.time_zone
        FROM territory_memberships tm JOIN territories tr ON tr.id = tm.territory_id
        WHERE tm.technician_id = t.id
          AND tm.valid_from <= (now() AT TIME ZONE tr.time_zone)::date
          AND (tm.valid_to IS NULL OR tm.valid_to >= (now() AT TIME ZONE tr.time_zone)::date)
        ORDER BY tm.is_primary DESC, tm.id DESC
        LIMIT 1
    ) m ON true
    LEFT JOIN LATERAL (
        SELECT * FROM tracking_policies tp
        WHERE tp.archived_at IS NULL
          AND (tp.territory_id = m.territory_id OR tp.territory_id IS NULL)
        ORDER BY tp.territory_id NULLS LAST
        LIMIT 1
    ) p ON true
    LEFT JOIN LATERAL (
        SELECT json_agg(json_build_object(
            'id', k.id, 'status', k.status, 'customer_id', k.customer_id,
            'territory_id', k.territory_id, 'lat', ST_Y(k.location::geometry),
            'lng', ST_X(k.location::geometry), 'window_end', k.window_end,
            'late', s.late_notified_at IS NOT NULL, 'near', s.vicinity_notified_at IS NOT NULL
        ) ORDER BY k.id) AS tasks
        FROM tasks k LEFT JOIN task_tracking_states s ON s.task_id = k.id
        WHERE k.technician_id = t.id AND k.status IN ('EN_ROUTE', 'ON_SITE')
    ) a ON true
    CROSS JOIN LATERAL (  -- day partitions, named as migration 0005 names them
        SELECT array_agg(d) AS missing_days FROM unnest(CAST(:days AS date[])) AS d
        WHERE to_regclass('location_pings_' || to_char(d, 'YYYYMMDD')) IS NULL
    ) x
    WHERE t.id = :technician_id
    """
)


async def tracker_state(
    session: AsyncSession, technician_id: int, days: Iterable[date] = ()
) -> TrackerState | None:
    """The technician's ingest state, and which of `days` have no partition of pings yet."""
    parameters = {"technician_id": technician_id, "days": sorted(set(days))}
    row = (await session.execute(_STATE, parameters)).mappings().first()
    if row is None:
        return None
    if row["policy_id"] is None:  # no default row: the strictest reading of the regulation
        policy = TrackingPolicyBase(mode=TrackingMode.SHIFT_ONLY)
    else:
        policy = TrackingPolicyBase(
            **{name: row[name] for name in _POLICY_FIELDS if name != "mode"},
            mode=TrackingMode(row["mode"]),
        )
    tasks = json.loads(row["tasks"]) if isinstance(row["tasks"], str) else row["tasks"] or []
    last = None if row["last_lat"] is None else LatLng(row["last_lat"], row["last_lng"])
    return TrackerState(
        technician_id=technician_id,
        partner_id=row["partner_id"],
        active=bool(row["active"]),
        last_seen_at=row["last_seen_at"],
        last_position=last,
        territory_id=row["territory_id"],
        time_zone=row["time_zone"],
        policy=policy,
        tasks=tuple(TrackedTask.from_json(task) for task in tasks),
        missing_days=frozenset(row["missing_days"] or ()),
    )


_WORKING_WINDOWS = sa.text(
    """
    SELECT w.at, w.until
    FROM (
        SELECT e.at, e.to_status,
               lead(e.at) OVER (PARTITION BY e.task_id ORDER BY e.at, e.id) AS until
        FROM task_events e
        WHERE e.task_id IN (
            SELECT DISTINCT task_id FROM task_events
            WHERE technician_id = :technician_id AND at >= :since AND at <= :until
        )
    ) w
    WHERE w.to_status IN ('EN_ROUTE', 'ON_SITE', 'IN_PROGRESS')
      AND w.at <= :until AND (w.until IS NULL OR w.until > :start)
    ORDER BY w.at
    """
)

LONGEST_VISIT = timedelta(days=3)
"""How far back a task may have started travel and still be worked on (TASK_ONLY windows)."""


async def working_windows(
    session: AsyncSession, technician_id: int, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """When the technician travelled to or worked on a task (from the task audit trail)."""
    rows = await session.execute(
        _WORKING_WINDOWS,
        {
            "technician_id": technician_id,
            "since": start - LONGEST_VISIT,
            "start": start,
            "until": end,
        },
    )
    open_end = datetime.max.replace(tzinfo=UTC)
    return [(row.at, row.until or open_end) for row in rows]


async def ensure_partitions(session: AsyncSession, days: Iterable[date]) -> None:
    """Create the day partitions a batch needs (a no-op lookup when they exist)."""
    wanted = sorted(set(days))
    if wanted:
        await session.execute(
            sa.text("SELECT location_ping_partition(d) FROM unnest(CAST(:days AS date[])) AS d"),
            {"days": wanted},
        )


_STORE = sa.text(
    """
    WITH stored AS (
        INSERT INTO location_pings
            (technician_id, recorded_at, location, accuracy_m, speed_mps, heading)
        SELECT :technician_id, r.t, ST_SetSRID(ST_MakePoint(r.lng, r.lat), 4326)::geography,
               r.acc, r.spd, r.hdg
        FROM unnest(CAST(:times AS timestamptz[]), CAST(:lats AS float8[]),
                    CAST(:lngs AS float8[]), CAST(:accs AS float8[]),
                    CAST(:spds AS float8[]), CAST(:hdgs AS float8[]))
             AS r(t, lat, lng, acc, spd, hdg)
        ON CONFLICT DO NOTHING
        RETURNING recorded_at, location
    ), newest AS (
        SELECT recorded_at, location FROM stored ORDER BY recorded_at DESC LIMIT 1
    ), moved AS (
        UPDATE technicians t
        SET last_location = n.location, last_seen_at = n.recorded_at
        FROM newest n
        WHERE t.id = :technician_id
          AND (t.last_seen_at IS NULL OR t.last_seen_at < n.recorded_at)
        RETURNING t.last_seen_at
    )
    SELECT count(*) AS stored, (SELECT last_seen_at FROM moved) AS moved_to FROM stored
    """
)


async def store_pings(
    session: AsyncSession, technician_id: int, rows: Sequence[PingRow]
) -> tuple[int, datetime | None]:
    """Insert the pings and move the last known position to the newest stored one if it is
    newer, in one statement. Returns how many were stored (duplicates are skipped) and the
    time of the ping that became the last known position, if any."""
    if not rows:
        return 0, None
    result = await session.execute(
        _STORE,
        {
            "technician_id": technician_id,
            "times": [r.recorded_at for r in rows],
            "lats": [r.lat for r in rows],
            "lngs": [r.lng for r in rows],
            "accs": [r.accuracy_m for r in rows],
            "spds": [r.speed_mps for r in rows],
            "hdgs": [r.heading for r in rows],
        },
    )
    stored, moved_to = result.one()
    return int(stored), moved_to


_SAVE_ETA = sa.text(
    """
    WITH previous AS (
        SELECT late_notified_at, vicinity_notified_at FROM task_tracking_states
        WHERE task_id = :task_id FOR UPDATE
    ), saved AS (
        INSERT INTO task_tracking_states AS s
            (task_id, technician_id, eta_at, eta_minutes, distance_meters, computed_at,
             late_notified_at, vicinity_notified_at)
        VALUES (:task_id, :technician_id, :eta_at, :eta_minutes, :distance, :computed_at,
                CASE WHEN CAST(:late AS boolean) THEN CAST(:now AS timestamptz) END,
                CASE WHEN CAST(:near AS boolean) THEN CAST(:now AS timestamptz) END)
        ON CONFLICT (task_id) DO UPDATE SET
            technician_id = excluded.technician_id,
            eta_at = excluded.eta_at,
            eta_minutes = excluded.eta_minutes,
            distance_meters = excluded.distance_meters,
            computed_at = excluded.computed_at,
            late_notified_at = coalesce(s.late_notified_at, excluded.late_notified_at),
            vicinity_notified_at = coalesce(s.vicinity_notified_at, excluded.vicinity_notified_at)
        WHERE s.computed_at <= excluded.computed_at
        RETURNING late_notified_at, vicinity_notified_at
    )
    SELECT (SELECT late_notified_at FROM previous) IS NULL
               AND (SELECT late_notified_at FROM saved) IS NOT NULL AS late_now,
           (SELECT vicinity_notified_at FROM previous) IS NULL
               AND (SELECT vicinity_notified_at FROM saved) IS NOT NULL AS near_now
    """
)


@dataclass(frozen=True, slots=True)
class EtaUpdate:
    task_id: int
    technician_id: int
    eta_at: datetime | None
    eta_minutes: int | None
    distance_meters: float
    computed_at: datetime
    late: bool
    near: bool


async def save_eta(session: AsyncSession, update: EtaUpdate, now: datetime) -> tuple[bool, bool]:
    """Store the task's latest ETA; (late, near) tell which notices this call recorded first,
    so concurrent batches never send one twice."""
    row = (
        await session.execute(
            _SAVE_ETA,
            {
                "task_id": update.task_id,
                "technician_id": update.technician_id,
                "eta_at": update.eta_at,
                "eta_minutes": update.eta_minutes,
                "distance": update.distance_meters,
                "computed_at": update.computed_at,
                "late": update.late,
                "near": update.near,
                "now": now,
            },
        )
    ).one()
    return bool(row.late_now), bool(row.near_now)


@dataclass(frozen=True, slots=True)
class TrackingView:
    """A task as its customer may follow it: status, technician, where they are, the ETA."""

    task_id: int
    customer_id: int
    status: str
    technician_id: int | None
    position: LatLng | None
    seen_at: datetime | None
    eta_minutes: int | None
    eta_at: datetime | None


_VIEW = sa.text(
    """
    SELECT k.id, k.customer_id, k.status, k.technician_id,
           ST_Y(t.last_location::geometry) AS lat, ST_X(t.last_location::geometry) AS lng,
           t.last_seen_at, s.eta_minutes, s.eta_at, s.technician_id AS eta_technician_id
    FROM tasks k
    LEFT JOIN technicians t ON t.id = k.technician_id
    LEFT JOIN task_tracking_states s ON s.task_id = k.id
    WHERE k.id = :task_id
    """
)


async def tracking_view(session: AsyncSession, task_id: int) -> TrackingView | None:
    row = (await session.execute(_VIEW, {"task_id": task_id})).mappings().first()
    if row is None:
        return None
    same_technician = row["eta_technician_id"] == row["technician_id"]
    return TrackingView(
        task_id=row["id"],
        customer_id=row["customer_id"],
        status=row["status"],
        technician_id=row["technician_id"],
        position=None if row["lat"] is None else LatLng(row["lat"], row["lng"]),
        seen_at=row["last_seen_at"],
        eta_minutes=row["eta_minutes"] if same_technician else None,
        eta_at=row["eta_at"] if same_technician else None,
    )


_PARTITION_NAME = re.compile(r"^location_pings_(\d{8})$")


async def ping_partitions(session: AsyncSession) -> list[tuple[str, date]]:
    names = await session.scalars(
        sa.text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'location_pings'::regclass ORDER BY c.relname"
        )
    )
    found = []
    for name in names:
        match = _PARTITION_NAME.match(name)
        if match:
            found.append((name, datetime.strptime(match.group(1), "%Y%m%d").date()))
    return found


async def drop_partition(session: AsyncSession, name: str) -> None:
    if not _PARTITION_NAME.match(name):
        raise ValueError(f"not a ping partition: {name}")
    await session.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))


async def policies(session: AsyncSession) -> Sequence[TrackingPolicy]:
    rows = await session.scalars(
        select(TrackingPolicy)
        .where(col(TrackingPolicy.archived_at).is_(None))
        .order_by(col(TrackingPolicy.territory_id).nulls_first())
    )
    return rows.all()


async def policy_for_update(
    session: AsyncSession, territory_id: int | None
) -> TrackingPolicy | None:
    condition = (
        col(TrackingPolicy.territory_id).is_(None)
        if territory_id is None
        else col(TrackingPolicy.territory_id) == territory_id
    )
    policy: TrackingPolicy | None = await session.scalar(
        select(TrackingPolicy).where(condition).with_for_update()
    )
    return policy


async def get_readable_policy(
    session: AsyncSession, principal: Principal | None, policy_id: int
) -> TrackingPolicy | None:
    """Policies are the organisation's settings: staff read them."""
    if principal is None or not principal.is_staff:
        return None
    return await session.get(TrackingPolicy, policy_id)


async def partner_technicians(session: AsyncSession, partner_id: int) -> list[int]:
    rows = await session.scalars(
        sa.text("SELECT id FROM technicians WHERE partner_id = :partner_id ORDER BY id"),
        {"partner_id": partner_id},
    )
    return list(rows)


async def partner_of(session: AsyncSession, technician_id: int) -> int | None:
    partner: int | None = await session.scalar(
        sa.text("SELECT partner_id FROM technicians WHERE id = :id"), {"id": technician_id}
    )
    return partner


async def territory_ids(session: AsyncSession) -> list[int]:
    rows = await session.scalars(
        sa.text("SELECT id FROM territories WHERE archived_at IS NULL ORDER BY id")
    )
    return list(rows)


# --- trails ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrailPoint:
    recorded_at: datetime
    lat: float
    lng: float


@dataclass(frozen=True, slots=True)
class TrailLine:
    geojson: dict[str, Any] | None
    length_meters: float


async def trail_points(
    session: AsyncSession, technician_id: int, start: datetime, end: datetime
) -> list[TrailPoint]:
    """The pings of a period in time order (only the partitions of those days are read)."""
    rows = await session.execute(
        sa.text(
            "SELECT recorded_at, ST_Y(location::geometry) AS lat, ST_X(location::geometry) AS lng"
            " FROM location_pings WHERE technician_id = :t"
            " AND recorded_at >= :start AND recorded_at < :end ORDER BY recorded_at"
        ),
        {"t": technician_id, "start": start, "end": end},
    )
    return [TrailPoint(r.recorded_at, r.lat, r.lng) for r in rows]


_PATH = sa.text(
    """
    WITH line AS (
        SELECT ST_MakeLine(location::geometry ORDER BY recorded_at) AS geom
        FROM location_pings
        WHERE technician_id = :t AND recorded_at >= :start AND recorded_at < :end
    ), local AS (
        -- simplify in metres: in Web Mercator a metre on the ground is 1 / cos(lat) units
        SELECT geom, ST_Transform(geom, 3857) AS projected,
               :tolerance / greatest(cos(radians(ST_Y(ST_Centroid(geom)))), 0.01) AS units
        FROM line WHERE geom IS NOT NULL
    )
    -- Douglas-Peucker: a route that doubles back along the same road overlaps itself, which
    -- ST_SimplifyPreserveTopology refuses to simplify at all; a drawn trail needs no topology
    SELECT ST_AsGeoJSON(ST_Transform(ST_Simplify(projected, units, true), 4326), 7) AS path,
           ST_Length(geom::geography) AS length
    FROM local
    """
)


async def simplified_path(
    session: AsyncSession, technician_id: int, start: datetime, end: datetime, tolerance_m: float
) -> TrailLine:
    row = (
        await session.execute(
            _PATH, {"t": technician_id, "start": start, "end": end, "tolerance": tolerance_m}
        )
    ).first()
    if row is None or row.path is None:
        return TrailLine(None, 0.0)
    return TrailLine(json.loads(row.path), float(row.length or 0.0))


@dataclass(frozen=True, slots=True)
class CheckIn:
    task_id: int
    site_id: int
    at: datetime
    site: LatLng
    geofence_slack: float
    """How far from the site the check-in itself was (a flagged check-in may be far)."""


async def check_ins(
    session: AsyncSession, technician_id: int, start: datetime, end: datetime
) -> list[CheckIn]:
    rows = await session.execute(
        sa.text(
            """
            SELECT e.task_id, k.site_id, e.at, ST_Y(k.location::geometry) AS lat,
                   ST_X(k.location::geometry) AS lng,
                   coalesce(k.check_in_distance_meters, 0) AS slack
            FROM task_events e JOIN tasks k ON k.id = e.task_id
            WHERE e.technician_id = :t AND e.action = 'CHECK_IN'
              AND e.at >= :start AND e.at < :end
            ORDER BY e.at
            """
        ),
        {"t": technician_id, "start": start, "end": end},
    )
    return [CheckIn(r.task_id, r.site_id, r.at, LatLng(r.lat, r.lng), float(r.slack)) for r in rows]
