"""Tracking queries: the ingest state of a technician, the ping series and its partitions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.auth import Principal
from app.core.geo import LatLng
from app.tracking.models import TrackingMode, TrackingPolicy


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
    policy: TrackingPolicy


@dataclass(frozen=True, slots=True)
class PingRow:
    recorded_at: datetime
    lat: float
    lng: float
    accuracy_m: float | None
    speed_mps: float | None
    heading: float | None


_STATE = sa.text(
    """
    SELECT t.partner_id, t.status = 'ACTIVE' AND t.archived_at IS NULL AS active,
           t.last_seen_at, ST_Y(t.last_location::geometry) AS last_lat,
           ST_X(t.last_location::geometry) AS last_lng,
           m.territory_id, coalesce(m.time_zone, 'UTC') AS time_zone,
           p.id AS policy_id, p.territory_id AS policy_territory_id, p.mode, p.max_speed_mps,
           p.max_accuracy_meters, p.max_age_hours, p.retention_days
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
    WHERE t.id = :technician_id
    """
)


async def tracker_state(session: AsyncSession, technician_id: int) -> TrackerState | None:
    row = (await session.execute(_STATE, {"technician_id": technician_id})).mappings().first()
    if row is None:
        return None
    if row["policy_id"] is None:  # no default row: the strictest reading of the regulation
        policy = TrackingPolicy(mode=TrackingMode.SHIFT_ONLY)
    else:
        policy = TrackingPolicy(
            id=row["policy_id"],
            territory_id=row["policy_territory_id"],
            mode=TrackingMode(row["mode"]),
            max_speed_mps=row["max_speed_mps"],
            max_accuracy_meters=row["max_accuracy_meters"],
            max_age_hours=row["max_age_hours"],
            retention_days=row["retention_days"],
        )
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
    )


async def ensure_partitions(session: AsyncSession, days: Iterable[date]) -> None:
    """Create the day partitions a batch needs (a no-op lookup when they exist)."""
    wanted = sorted(set(days))
    if wanted:
        await session.execute(
            sa.text("SELECT location_ping_partition(d) FROM unnest(CAST(:days AS date[])) AS d"),
            {"days": wanted},
        )


_INSERT = sa.text(
    """
    INSERT INTO location_pings
        (technician_id, recorded_at, location, accuracy_m, speed_mps, heading)
    SELECT :technician_id, r.t, ST_SetSRID(ST_MakePoint(r.lng, r.lat), 4326)::geography,
           r.acc, r.spd, r.hdg
    FROM unnest(CAST(:times AS timestamptz[]), CAST(:lats AS float8[]), CAST(:lngs AS float8[]),
                CAST(:accs AS float8[]), CAST(:spds AS float8[]), CAST(:hdgs AS float8[]))
         AS r(t, lat, lng, acc, spd, hdg)
    ON CONFLICT DO NOTHING
    RETURNING recorded_at
    """
)


async def insert_pings(
    session: AsyncSession, technician_id: int, rows: Sequence[PingRow]
) -> set[datetime]:
    """Insert in one statement; returns the times actually stored (duplicates are skipped)."""
    if not rows:
        return set()
    result = await session.execute(
        _INSERT,
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
    return set(result.scalars().all())


async def move_last_location(session: AsyncSession, technician_id: int, ping: PingRow) -> bool:
    """Set the last known position if `ping` is newer than it; True when it moved."""
    moved = await session.execute(
        sa.text(
            """
            UPDATE technicians
            SET last_location = ST_SetSRID(ST_MakePoint(:lng, :lat), 4326)::geography,
                last_seen_at = :at
            WHERE id = :technician_id AND (last_seen_at IS NULL OR last_seen_at < :at)
            RETURNING id
            """
        ),
        {"technician_id": technician_id, "lat": ping.lat, "lng": ping.lng, "at": ping.recorded_at},
    )
    return moved.first() is not None


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
