"""Location ingest and tracking policies.

A technician's app sends batches of pings (buffered while offline). Each ping is validated on
its own and against the one before it; the refused ones are counted by reason, never stored.
Pings outside the tracking window of the territory's policy are dropped and counted too.
Duplicates (same technician and time, in the batch or already stored) are skipped by the
primary key. The last known position moves to the newest accepted ping in the same
transaction, and one event per batch carries it to the live map after commit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import metrics
from app.core.auth import Principal, Role
from app.core.channels import ALERTS
from app.core.errors import Forbidden, NotFound, StaleVersion, invalid
from app.core.events import queue_event
from app.core.geo import LatLng
from app.core.models import utcnow
from app.technicians import service as technicians
from app.territories.models import Territory
from app.tracking import channels, repository
from app.tracking.eta import assess
from app.tracking.models import (
    LONGEST_MAX_AGE_HOURS,
    PingIn,
    PingRejection,
    TrackingMode,
    TrackingPolicy,
    TrackingPolicySet,
)
from app.tracking.policies import CLOCK_SKEW, Window, in_windows, is_jump, problem_of
from app.tracking.repository import EtaUpdate, PingRow, TrackedTask, TrackerState
from app.work_orders.channels import task_channel

MAX_BATCH = 500


@dataclass(slots=True)
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejections: Counter[PingRejection] = field(default_factory=Counter)
    latest: PingRow | None = None
    """The newest accepted ping when it moved the technician's last known position."""

    @property
    def rejected(self) -> int:
        return sum(self.rejections.values())


def _row(ping: PingIn) -> PingRow:
    return PingRow(
        recorded_at=ping.recorded_at.astimezone(UTC),
        lat=ping.lat,
        lng=ping.lng,
        accuracy_m=ping.accuracy_meters,
        speed_mps=ping.speed_mps,
        heading=ping.heading,
    )


async def report_locations(
    session: AsyncSession,
    principal: Principal,
    pings: Sequence[PingIn],
    *,
    now: datetime | None = None,
) -> IngestResult:
    if principal.role is not Role.TECHNICIAN or principal.technician_id is None:
        raise Forbidden("only a technician reports their own locations")
    if len(pings) > MAX_BATCH:
        raise invalid(f"at most {MAX_BATCH} pings per batch; send the rest in another", "pings")
    now = now or utcnow()
    days = _days_to_check(pings, now)
    state = await repository.tracker_state(session, principal.technician_id, days)
    if state is None:
        raise NotFound("technician")
    if not state.active:
        raise Forbidden("an inactive or archived technician is not tracked")
    result = IngestResult()
    kept = _validated(state, pings, now, result)
    kept = await _inside_tracking_window(session, state, kept, result)
    rows = list({row.recorded_at: row for row in map(_row, kept)}.values())
    result.duplicates += len(kept) - len(rows)
    unknown = {r.recorded_at.date() for r in rows} - (days - state.missing_days)
    if unknown:  # rare: the job creates the coming days ahead, so mostly old backlogs
        await repository.ensure_partitions(session, unknown)
    stored, moved_to = await repository.store_pings(session, state.technician_id, rows)
    result.accepted = stored
    result.duplicates += len(rows) - stored
    if moved_to is not None:
        newest = next(r for r in rows if r.recorded_at == moved_to)
        result.latest = newest
        _publish(session, state, newest)
        for task in state.tasks:
            await _follow_task(session, state, task, newest, now)
    _count(result)
    return result


def _count(result: IngestResult) -> None:
    metrics.PINGS.labels("accepted").inc(result.accepted)
    metrics.PINGS.labels("duplicate").inc(result.duplicates)
    for reason, count in result.rejections.items():
        metrics.PINGS.labels(f"rejected_{reason.value.lower()}").inc(count)


def _days_to_check(pings: Sequence[PingIn], now: datetime) -> set[date]:
    """The UTC days of the pings that any policy could keep: the tracker state says which
    have no partition yet, so a batch creates partitions only when one is really missing."""
    earliest, latest = now - timedelta(hours=LONGEST_MAX_AGE_HOURS), now + CLOCK_SKEW
    return {
        ping.recorded_at.astimezone(UTC).date()
        for ping in pings
        if ping.recorded_at.tzinfo is not None and earliest <= ping.recorded_at <= latest
    }


def _validated(
    state: TrackerState, pings: Sequence[PingIn], now: datetime, result: IngestResult
) -> list[PingIn]:
    """Pings that pass their own checks and the speed check against the previous fix."""
    kept: list[PingIn] = []
    previous: tuple[LatLng, datetime, float | None] | None = None
    for ping in sorted(pings, key=lambda p: _sort_key(p.recorded_at)):
        reason = problem_of(ping, state.policy, now)
        if reason is None:
            reference = _reference(state, previous, ping.recorded_at)
            if reference is not None and is_jump(*reference, ping, state.policy):
                reason = PingRejection.IMPLAUSIBLE_JUMP
        if reason is not None:
            result.rejections[reason] += 1
            continue
        kept.append(ping)
        previous = (LatLng(ping.lat, ping.lng), ping.recorded_at, ping.accuracy_meters)
    return kept


def _sort_key(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _reference(
    state: TrackerState,
    previous: tuple[LatLng, datetime, float | None] | None,
    at: datetime,
) -> tuple[LatLng, datetime, float | None] | None:
    """The latest known fix before `at`: the previous ping of the batch or the stored one."""
    stored = None
    last_at = state.last_seen_at
    if state.last_position is not None and last_at is not None and last_at < at:
        stored = (state.last_position, last_at, None)
    if previous is None:
        return stored
    if stored is None or previous[1] >= stored[1]:
        return previous
    return stored


async def _inside_tracking_window(
    session: AsyncSession, state: TrackerState, pings: list[PingIn], result: IngestResult
) -> list[PingIn]:
    mode = state.policy.mode
    if mode is TrackingMode.ALWAYS or not pings:
        return pings
    if mode is TrackingMode.SHIFT_ONLY:
        windows = await _working_windows(session, state, pings)
        kept = [p for p in pings if in_windows(p.recorded_at, windows)]
    else:
        times = [p.recorded_at for p in pings]
        windows = await repository.working_windows(
            session, state.technician_id, min(times), max(times)
        )
        kept = [p for p in pings if in_windows(p.recorded_at, windows)]
    dropped = len(pings) - len(kept)
    if dropped:
        result.rejections[PingRejection.OUTSIDE_TRACKING_WINDOW] += dropped
    return kept


async def _working_windows(
    session: AsyncSession, state: TrackerState, pings: list[PingIn]
) -> list[Window]:
    zone = ZoneInfo(state.time_zone)
    days: set[date] = {p.recorded_at.astimezone(zone).date() for p in pings}
    windows: list[Window] = []
    for day in sorted(days):
        found = await technicians.availability(session, [state.technician_id], day)
        windows += found.get(state.technician_id, [])
    return windows


def _publish(session: AsyncSession, state: TrackerState, ping: PingRow) -> None:
    data = {
        "technician_id": state.technician_id,
        "partner_id": state.partner_id,
        "territory_id": state.territory_id,
        "lat": ping.lat,
        "lng": ping.lng,
        "recorded_at": ping.recorded_at.isoformat(),
        "accuracy_m": ping.accuracy_m,
        "speed_mps": ping.speed_mps,
        "heading": ping.heading,
    }
    targets = [channels.ALL_LOCATIONS, channels.technician_locations(state.technician_id)]
    if state.territory_id is not None:
        targets.append(channels.territory_locations(state.territory_id))
    for channel in targets:
        queue_event(session, channel, channels.TECHNICIAN_LOCATION, data)


# --- derived task events: ETA, running late, nearby -----------------------------------------


async def _follow_task(
    session: AsyncSession, state: TrackerState, task: TrackedTask, ping: PingRow, now: datetime
) -> None:
    """Update the ETA of a task the technician is travelling to (or is at), tell its customer
    where they are, and send the one-off late and nearby notices the first time they apply."""
    position = LatLng(ping.lat, ping.lng)
    update = assess(task, state.technician_id, position, ping.recorded_at, state.policy)
    late = update.late and not task.late_notified
    near = update.near and not task.vicinity_notified
    update = replace(update, late=late, near=near)
    late, near = await repository.save_eta(session, update, now)
    queue_event(
        session,
        channels.task_tracking(task.task_id),
        channels.TASK_TRACKING,
        {
            "task_id": task.task_id,
            "customer_id": task.customer_id,
            "technician_id": state.technician_id,
            "status": task.status,
            "lat": ping.lat,
            "lng": ping.lng,
            "recorded_at": ping.recorded_at.isoformat(),
            "eta_minutes": update.eta_minutes,
            "eta_at": None if update.eta_at is None else update.eta_at.isoformat(),
        },
    )
    if late:
        _running_late(session, state, task, update)
    if near:
        _nearby(session, state, task, update)


def _customer_event(task: TrackedTask, state: TrackerState, update: EtaUpdate) -> dict[str, object]:
    return {
        "task_id": task.task_id,
        "customer_id": task.customer_id,
        "technician_id": state.technician_id,
        "territory_id": task.territory_id,
        "eta_minutes": update.eta_minutes,
        "eta_at": None if update.eta_at is None else update.eta_at.isoformat(),
        "distance_meters": round(update.distance_meters, 1),
        "window_end": None if task.window_end is None else task.window_end.isoformat(),
    }


def _running_late(
    session: AsyncSession, state: TrackerState, task: TrackedTask, update: EtaUpdate
) -> None:
    assert update.eta_at is not None and task.window_end is not None
    behind = int((update.eta_at - task.window_end).total_seconds() // 60)
    queue_event(
        session,
        ALERTS,
        channels.TECHNICIAN_RUNNING_LATE,
        {
            "level": 2,
            "message": (
                f"task {task.task_id}: technician {state.technician_id} expected "
                f"{behind} min after the appointment window"
            ),
            "territory_id": task.territory_id,
            "task_id": task.task_id,
            "kind": channels.TECHNICIAN_RUNNING_LATE,
        },
    )
    queue_event(
        session,
        task_channel(task.task_id),
        channels.TASK_RUNNING_LATE,
        _customer_event(task, state, update),
    )


def _nearby(
    session: AsyncSession, state: TrackerState, task: TrackedTask, update: EtaUpdate
) -> None:
    queue_event(
        session,
        task_channel(task.task_id),
        channels.TASK_VICINITY,
        _customer_event(task, state, update),
    )


# --- retention ------------------------------------------------------------------------------


async def drop_partitions_older_than(
    session: AsyncSession, days: int, *, now: datetime | None = None
) -> list[str]:
    """Drop whole days of pings older than `days` (UTC days ending before the cut-off)."""
    if days < 1:
        raise invalid("keep at least one day of pings", "days")
    cutoff = (now or utcnow()).astimezone(UTC).date() - timedelta(days=days)
    dropped = []
    for name, day in await repository.ping_partitions(session):
        if day < cutoff:
            await repository.drop_partition(session, name)
            dropped.append(name)
    return dropped


PARTITIONS_AHEAD = 7
"""Days of ping partitions kept ready beyond today, so ingest never creates one in a hurry."""


@dataclass(frozen=True, slots=True)
class Maintenance:
    dropped: list[str]
    created_through: date


async def maintain_partitions(session: AsyncSession, *, now: datetime | None = None) -> Maintenance:
    """Drop the days no policy keeps any more and create the coming days' partitions.

    Partitions hold every technician's pings of one UTC day, so a day goes only once the
    longest retention of any policy has passed (a territory with a shorter retention is
    served by reading no further back). Callers hold the advisory lock (see jobs.py).
    """
    now = now or utcnow()
    longest = max((p.retention_days for p in await repository.policies(session)), default=90)
    dropped = await drop_partitions_older_than(session, longest, now=now)
    today = now.astimezone(UTC).date()
    ahead = [today + timedelta(days=n) for n in range(PARTITIONS_AHEAD + 1)]
    await repository.ensure_partitions(session, ahead)
    return Maintenance(dropped=dropped, created_through=ahead[-1])


# --- policies -------------------------------------------------------------------------------


async def set_policy(
    session: AsyncSession, data: TrackingPolicySet, expected_version: int | None = None
) -> TrackingPolicy:
    """Create or replace the policy of a territory (or the default, territory None)."""
    if data.territory_id is not None and await session.get(Territory, data.territory_id) is None:
        raise NotFound("territory", ["territoryId"])
    policy = await repository.policy_for_update(session, data.territory_id)
    if policy is None:
        policy = TrackingPolicy.model_validate(data.model_dump())
        session.add(policy)
    else:
        if expected_version is not None and expected_version != policy.version:
            raise StaleVersion(expected_version, policy.version)
        for name, value in data.model_dump(exclude={"territory_id"}).items():
            setattr(policy, name, value)
        policy.archived_at = None
        policy.touch()
    await session.flush()
    return policy
