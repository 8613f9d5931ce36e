"""reportLocations: validation with per-reason counts, duplicates, tracking windows, the last
known position, events after commit, and who may report."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.auth import Role
from app.core.events import Broker
from app.core.geo import to_lat_lng
from app.technicians.models import Technician
from app.tracking import channels, service
from app.tracking.models import TrackingMode
from tests.support import GraphQLClient, StatementCounter, error_codes
from tests.tracking import factories

REPORT = """
mutation Report($input: ReportLocationsInput!) {
  reportLocations(input: $input) {
    accepted rejected duplicates
    rejections { reason count }
    userErrors { field message code }
  }
}
"""

NOW = datetime.now(UTC).replace(microsecond=0)


def ping(
    seconds_ago: float, lat: float = 12.97, lng: float = 77.59, **extra: Any
) -> dict[str, Any]:
    at = NOW - timedelta(seconds=seconds_ago)
    return {"point": {"lat": lat, "lng": lng}, "recordedAt": at.isoformat(), **extra}


def as_technician(gql: GraphQLClient, technician: Technician) -> GraphQLClient:
    return gql.as_role(Role.TECHNICIAN, technician_id=technician.id)


async def stored_pings(session: AsyncSession, technician_id: int) -> int:
    count = await session.scalar(
        sa.text("SELECT count(*) FROM location_pings WHERE technician_id = :t"),
        {"t": technician_id},
    )
    return int(count or 0)


async def last_seen(session: AsyncSession, technician_id: int) -> tuple[Any, Any]:
    row = (
        await session.execute(
            sa.select(col(Technician.last_seen_at), col(Technician.last_location)).where(
                col(Technician.id) == technician_id
            )
        )
    ).one()
    return row.last_seen_at, to_lat_lng(row.last_location)


async def test_a_technician_reports_a_batch_and_moves_their_last_known_position(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a technician whose territory tracks always
    technician = await factories.tracked_technician(session)
    assert technician.id is not None

    # when they report three pings, oldest last
    result = await as_technician(gql, technician).mutate(
        REPORT,
        {
            "pings": [
                ping(10, 12.9710, 77.5910, speedMps=4.2, heading=90, accuracyMeters=8),
                ping(30, 12.9700, 77.5900),
                ping(20, 12.9705, 77.5905),
            ]
        },
    )

    # then all are stored and the newest is the last known position
    assert result == {
        "accepted": 3,
        "rejected": 0,
        "duplicates": 0,
        "rejections": [],
        "userErrors": [],
    }
    assert await stored_pings(session, technician.id) == 3
    seen_at, position = await last_seen(session, technician.id)
    assert seen_at == NOW - timedelta(seconds=10)
    assert (round(position.lat, 4), round(position.lng, 4)) == (12.971, 77.591)


async def test_each_bad_ping_is_counted_by_reason_and_the_good_ones_kept(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    technician = await factories.tracked_technician(session)
    assert technician.id is not None

    result = await as_technician(gql, technician).mutate(
        REPORT,
        {
            "pings": [
                ping(60),
                ping(50, lat=91.0),
                ping(49, lat=0.0, lng=0.0),
                # ten minutes ahead of the clock (NOW was taken when the module was collected)
                ping((NOW - datetime.now(UTC)).total_seconds() - 600),
                ping(4 * 24 * 3600),  # older than the 72 h policy
                ping(40, accuracyMeters=5000),
                ping(30, speedMps=-1),
                ping(20, heading=360),
                ping(10),
            ]
        },
    )

    assert result["accepted"] == 2
    assert result["rejected"] == 7
    assert result["rejections"] == [
        {"reason": "FUTURE_TIMESTAMP", "count": 1},
        {"reason": "INVALID_COORDINATES", "count": 2},
        {"reason": "INVALID_VALUE", "count": 2},
        {"reason": "LOW_ACCURACY", "count": 1},
        {"reason": "TOO_OLD", "count": 1},
    ]
    assert await stored_pings(session, technician.id) == 2


async def test_a_jump_faster_than_the_policy_allows_is_refused(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a technician last seen in Bengaluru a minute ago
    technician = await factories.tracked_technician(session)
    client = as_technician(gql, technician)
    await client.mutate(REPORT, {"pings": [ping(60, 12.97, 77.59)]})

    # when the next fix is in Chennai (~290 km) 30 s later, then back in Bengaluru
    result = await client.mutate(
        REPORT, {"pings": [ping(30, 13.08, 80.27), ping(20, 12.9701, 77.5901)]}
    )

    # then the jump is refused and the plausible fix kept
    assert result["accepted"] == 1
    assert result["rejections"] == [{"reason": "IMPLAUSIBLE_JUMP", "count": 1}]


async def test_duplicates_in_a_batch_and_replayed_batches_are_skipped(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    technician = await factories.tracked_technician(session)
    assert technician.id is not None
    client = as_technician(gql, technician)
    batch = {"pings": [ping(30), ping(30), ping(20)]}

    first = await client.mutate(REPORT, batch)
    again = await client.mutate(REPORT, batch)

    assert (first["accepted"], first["duplicates"]) == (2, 1)
    assert (again["accepted"], again["duplicates"]) == (0, 3)
    assert await stored_pings(session, technician.id) == 2


async def test_an_idempotent_replay_returns_the_first_counts(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    technician = await factories.tracked_technician(session)
    client = as_technician(gql, technician)
    batch = {"pings": [ping(30), ping(20)], "idempotencyKey": "phone-batch-17"}

    first = await client.mutate(REPORT, batch)
    replay = await client.mutate(REPORT, batch)

    assert (replay["accepted"], replay["duplicates"]) == (first["accepted"], 0) == (2, 0)


async def test_outside_shift_hours_pings_are_dropped_and_counted(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a territory whose policy tracks during shifts only, and a technician without hours
    area = await factories.territory(session, "SHIFT")
    assert area.id is not None
    await factories.policy(session, area.id, TrackingMode.SHIFT_ONLY)
    technician = await factories.technician(session, "Ravi", territory_id=area.id)
    assert technician.id is not None

    result = await as_technician(gql, technician).mutate(REPORT, {"pings": [ping(20), ping(10)]})

    # then nothing is kept and the last known position stays unknown
    assert result["accepted"] == 0
    assert result["rejections"] == [{"reason": "OUTSIDE_TRACKING_WINDOW", "count": 2}]
    assert await last_seen(session, technician.id) == (None, None)

    # and once they have working hours covering now, the same pings are kept
    await factories.works_all_week(session, technician.id)
    result = await as_technician(gql, technician).mutate(REPORT, {"pings": [ping(20), ping(10)]})
    assert result["accepted"] == 2


async def test_the_default_policy_tracks_only_during_shifts(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    technician = await factories.technician(session, "Nadia")

    result = await as_technician(gql, technician).mutate(REPORT, {"pings": [ping(10)]})

    assert result["rejections"] == [{"reason": "OUTSIDE_TRACKING_WINDOW", "count": 1}]


async def test_a_late_backfill_is_stored_without_moving_the_last_position(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    technician = await factories.tracked_technician(session)
    assert technician.id is not None
    client = as_technician(gql, technician)
    await client.mutate(REPORT, {"pings": [ping(10, 12.98, 77.60)]})

    result = await client.mutate(REPORT, {"pings": [ping(600, 12.97, 77.59)]})

    assert result["accepted"] == 1
    seen_at, _ = await last_seen(session, technician.id)
    assert seen_at == NOW - timedelta(seconds=10)


async def test_a_batch_over_the_cap_is_refused_whole(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    technician = await factories.tracked_technician(session)
    assert technician.id is not None
    pings = [ping(1000 - i * 0.5) for i in range(service.MAX_BATCH + 1)]

    result = await as_technician(gql, technician).mutate(REPORT, {"pings": pings})

    assert error_codes(result) == ["INVALID"]
    assert result["userErrors"][0]["field"] == ["pings"]
    assert result["accepted"] is None
    assert await stored_pings(session, technician.id) == 0


async def test_an_archived_technician_is_not_tracked(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    technician = await factories.tracked_technician(session)
    technician.archived_at = NOW
    await session.flush()

    result = await as_technician(gql, technician).mutate(REPORT, {"pings": [ping(10)]})

    assert error_codes(result) == ["FORBIDDEN"]


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (None, "UNAUTHENTICATED"),
        (Role.CUSTOMER, "FORBIDDEN"),
        (Role.PARTNER, "FORBIDDEN"),
        (Role.DISPATCHER, "FORBIDDEN"),
        (Role.ADMIN, "FORBIDDEN"),
    ],
)
async def test_only_a_technician_reports_and_only_for_themselves(
    gql: GraphQLClient, session: AsyncSession, role: Role | None, code: str
) -> None:
    technician = await factories.tracked_technician(session)
    assert technician.id is not None

    result = await gql.as_role(role, technician_id=technician.id).mutate(
        REPORT, {"pings": [ping(10)]}
    )

    assert error_codes(result) == [code]
    assert await stored_pings(session, technician.id) == 0


async def test_a_technician_token_without_a_technician_is_refused(gql: GraphQLClient) -> None:
    result = await gql.as_role(Role.TECHNICIAN).mutate(REPORT, {"pings": [ping(10)]})

    assert error_codes(result) == ["FORBIDDEN"]


async def test_an_accepted_batch_publishes_the_latest_position_after_commit(
    gql: GraphQLClient, session: AsyncSession, broker: Broker
) -> None:
    technician = await factories.tracked_technician(session)
    assert technician.id is not None
    client = as_technician(gql, technician)

    async with broker.subscribe(channels.technician_locations(technician.id)) as events:
        await client.mutate(REPORT, {"pings": [ping(20, 12.97, 77.59), ping(10, 12.971, 77.591)]})
        await client.mutate(REPORT, {"pings": [ping(10_000_000)]})  # refused: publishes nothing
        event = await asyncio.wait_for(anext(events), 2)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(events), 0.3)

    assert event["kind"] == channels.TECHNICIAN_LOCATION
    assert event["data"]["technician_id"] == technician.id
    assert (event["data"]["lat"], event["data"]["lng"]) == (12.971, 77.591)
    assert event["data"]["recorded_at"] == (NOW - timedelta(seconds=10)).isoformat()


async def test_retention_drops_whole_days_older_than_asked(session: AsyncSession) -> None:
    old_day = (NOW - timedelta(days=400)).date()
    await session.execute(sa.text("SELECT location_ping_partition(:d)"), {"d": old_day})

    dropped = await service.drop_partitions_older_than(session, 365, now=NOW)

    assert dropped == [f"location_pings_{old_day:%Y%m%d}"]
    today = await session.scalar(
        sa.text("SELECT to_regclass(:n)::text"), {"n": f"location_pings_{NOW.date():%Y%m%d}"}
    )
    assert today is not None


async def test_a_batch_costs_the_same_statements_whatever_its_size(
    gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    # given a tracked technician who has reported once today (day partitions exist)
    technician = await factories.tracked_technician(session)
    caller = as_technician(gql, technician)
    await caller.mutate(REPORT, {"pings": [ping(3000)]})

    # when they report 2 pings, then 50
    statements.reset()
    await caller.mutate(REPORT, {"pings": [ping(2000 + s) for s in range(2)]})
    small = list(statements.executed)
    statements.reset()
    result = await caller.mutate(REPORT, {"pings": [ping(1000 - s * 10) for s in range(50)]})
    large = list(statements.executed)

    # then both cost the same statements, the store and the position move being one
    assert result["accepted"] == 50
    assert len(small) == len(large) == 2  # tracker state, then store-and-move
    assert not any(s.lstrip().upper().startswith("UPDATE TECHNICIANS") for s in large)
    assert sum("INSERT INTO location_pings" in s for s in large) == 1


async def test_a_backlog_from_a_day_without_partition_creates_it_once(
    gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    # given a tracked technician and no partition for the day before yesterday
    technician = await factories.tracked_technician(session)
    assert technician.id is not None
    caller = as_technician(gql, technician)
    day = (NOW - timedelta(hours=50)).date()
    await session.execute(sa.text(f"DROP TABLE IF EXISTS location_pings_{day:%Y%m%d}"))

    # when their phone sends a backlog of that day, then more of it
    statements.reset()
    first = await caller.mutate(REPORT, {"pings": [ping(50 * 3600 - s * 10) for s in range(3)]})
    creating = list(statements.executed)
    statements.reset()
    again = await caller.mutate(REPORT, {"pings": [ping(50 * 3600 - 100 - s) for s in range(3)]})
    after = list(statements.executed)

    # then the day is created by the first batch only, and all pings are stored
    assert (first["accepted"], again["accepted"]) == (3, 3)
    assert await stored_pings(session, technician.id) == 6
    creates = [s.lstrip().startswith("SELECT location_ping_partition") for s in creating]
    assert creates == [False, True, False]  # tracker state, partition, store-and-move
    assert len(after) == 2  # tracker state, then store-and-move


async def test_a_refused_batch_keeps_nothing_not_even_its_idempotency_key(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    technician = await factories.tracked_technician(session)
    assert technician.id is not None
    client = as_technician(gql, technician)
    too_many = [ping(1000 - i * 0.5) for i in range(service.MAX_BATCH + 1)]

    refused = await client.mutate(REPORT, {"pings": too_many, "idempotencyKey": "phone-7"})
    retried = await client.mutate(REPORT, {"pings": [ping(10)], "idempotencyKey": "phone-7"})

    assert error_codes(refused) == ["INVALID"]
    assert (retried["accepted"], retried["userErrors"]) == (1, [])
    assert await stored_pings(session, technician.id) == 1


TWO_BATCHES = """
mutation Two($first: ReportLocationsInput!, $second: ReportLocationsInput!) {
  first: reportLocations(input: $first) { accepted userErrors { code } }
  second: reportLocations(input: $second) { accepted userErrors { code } }
}
"""


async def test_a_refused_second_batch_of_an_operation_leaves_the_first_one_stored(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    technician = await factories.tracked_technician(session)
    assert technician.id is not None
    too_many = [ping(1000 - i * 0.5) for i in range(service.MAX_BATCH + 1)]

    data = await as_technician(gql, technician)(
        TWO_BATCHES, {"first": {"pings": [ping(20), ping(10)]}, "second": {"pings": too_many}}
    )

    assert data["first"] == {"accepted": 2, "userErrors": []}
    assert data["second"] == {"accepted": None, "userErrors": [{"code": "INVALID"}]}
    assert await stored_pings(session, technician.id) == 2
