"""The attendance round with a controlled clock: late-start and no-show alerts once each, the
automatic clock-in from the first ping inside a shift; and dispatch leaving a no-show out."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.jobs import attendance_round
from app.attendance.models import AttendancePolicy
from app.core.auth import Role
from app.core.channels import ALERTS
from app.core.events import pending_events
from app.dispatch.problem_builder import BuildOptions, build_problem, load_facts
from app.tracking.repository import ensure_partitions
from schema.ids import encode_id
from tests.attendance.support import CLOCK_IN, SHEET, ZONE, at, nine_to_five, yesterday
from tests.support import GraphQLClient
from tests.work_orders import factories


def _alerts(session: AsyncSession, mark: int) -> list[tuple[str, int]]:
    return [
        (e.kind, e.data["technician_id"])
        for e in pending_events(session)[mark:]
        if e.channel == ALERTS
        and e.kind.startswith("TECHNICIAN_")
        and e.kind != "TECHNICIAN_RUNNING_LATE"
    ]


async def _required(session: AsyncSession, territory_id: int | None, **values: Any) -> None:
    session.add(AttendancePolicy(territory_id=territory_id, clock_in_required=True, **values))
    await session.flush()


async def test_late_start_and_no_show_are_each_alerted_once(session: AsyncSession) -> None:
    area = await factories.territory(session)
    await _required(session, area.id, late_after_minutes=10, no_show_after_minutes=120)
    tech = await nine_to_five(session, area)
    day = yesterday()
    mark = len(pending_events(session))

    assert await attendance_round(session, at(day, 9, 5)) == {"auto": 0, "late": 0, "no_show": 0}
    first = await attendance_round(session, at(day, 9, 15))
    again = await attendance_round(session, at(day, 9, 40))
    assert (first["late"], again["late"]) == (1, 0)
    gone = await attendance_round(session, at(day, 11, 5))
    later = await attendance_round(session, at(day, 16))
    assert (gone["no_show"], later["no_show"]) == (1, 0)
    assert _alerts(session, mark) == [
        ("TECHNICIAN_LATE_START", tech.id),
        ("TECHNICIAN_NO_SHOW", tech.id),
    ]


async def test_nobody_is_chased_where_clock_in_is_not_required(session: AsyncSession) -> None:
    area = await factories.territory(session)
    session.add(AttendancePolicy(territory_id=area.id, clock_in_required=False))
    await nine_to_five(session, area)
    mark = len(pending_events(session))
    counts = await attendance_round(session, at(yesterday(), 12))
    assert _alerts(session, mark) == [] and counts["late"] == counts["no_show"] == 0


async def test_the_first_ping_inside_the_shift_clocks_in_when_the_policy_says_so(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    area = await factories.territory(session)
    await _required(session, area.id, auto_clock_in=True)
    tech = await nine_to_five(session, area)
    day = yesterday()
    await ensure_partitions(session, [day - timedelta(days=1), day, day + timedelta(days=1)])
    for when in (at(day, 8, 30), at(day, 9, 4), at(day, 9, 30)):
        await session.execute(
            text(
                "INSERT INTO location_pings (technician_id, recorded_at, location) "
                "VALUES (:t, :at, ST_SetSRID(ST_MakePoint(77.59, 12.97), 4326)::geography)"
            ),
            {"t": tech.id, "at": when},
        )
    mark = len(pending_events(session))

    counts = await attendance_round(session, at(day, 9, 45))

    assert counts == {"auto": 1, "late": 0, "no_show": 0}
    assert _alerts(session, mark) == []
    me = gql.as_role(Role.TECHNICIAN, technician_id=tech.id)
    gid = encode_id("Technician", tech.id or 0)
    (sheet,) = (await me(SHEET, {"t": gid, "from": str(day), "to": str(day)}))["attendanceSheet"]
    assert sheet["clockInSource"] == "AUTO_PING" and sheet["status"] == "PRESENT"
    assert datetime.fromisoformat(sheet["clockInAt"]) == at(day, 9, 4)
    assert sheet["clockInLocation"] == {"lat": 12.97, "lng": 77.59}


async def test_dispatch_plans_those_on_or_yet_to_start_their_shift_and_leaves_a_no_show_out(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    area = await factories.territory(session)
    await _required(session, area.id, late_after_minutes=10, no_show_after_minutes=120)
    present, missing = [await nine_to_five(session, area) for _ in range(2)]
    here, away = present.id or 0, missing.id or 0
    today = datetime.now(UTC).astimezone(ZONE).date()
    start = datetime.combine(today, time(0), ZONE)
    clocked = await gql.as_role(Role.TECHNICIAN, technician_id=present.id).mutate(
        CLOCK_IN, {"location": {"lat": 12.97, "lng": 77.59}}
    )
    assert clocked["userErrors"] == []

    def vehicles(facts_now: datetime) -> dict[int, int]:
        built = build_problem(facts, BuildOptions(now=facts_now))
        owners = list(built.vehicles.values())
        return {tid: owners.count(tid) for tid in (here, away)}

    # before the no-show threshold both are planned (one yet to start)
    early = at(today, 9, 30)
    facts = await load_facts(session, area.id or 0, start, start + timedelta(days=1), early)
    by_id = {t.id: t for t in facts.technicians}
    assert by_id[away].windows and by_id[away].absence is None
    assert vehicles(at(today, 8)) == {here: 1, away: 1}
    # past it the no-show has no window today, with the reason; the present one stays
    late = at(today, 11, 30)
    facts = await load_facts(session, area.id or 0, start, start + timedelta(days=1), late)
    by_id = {t.id: t for t in facts.technicians}
    assert by_id[away].windows == [] and by_id[away].absence == "ABSENT"
    assert by_id[here].windows and by_id[here].absence is None
    assert vehicles(at(today, 8)) == {here: 1, away: 0}
