"""Clocking in and out, breaks, overtime and lateness on the sheet, manager corrections with
stale versions refused, and who may read whose attendance, through GraphQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.technicians.models import TimeOff
from schema.ids import encode_id
from tests.attendance.support import (
    CLOCK_IN,
    CLOCK_OUT,
    CORRECT,
    END_BREAK,
    SET_POLICY,
    SHEET,
    START_BREAK,
    TERRITORY_DAY,
    at,
    nine_to_five,
    yesterday,
)
from tests.support import GraphQLClient, StatementCounter, error_codes
from tests.work_orders import factories

WHERE = {"lat": 12.97, "lng": 77.59}


async def _policy(gql: GraphQLClient, **values: Any) -> dict[str, Any]:
    payload = await gql.mutate(
        SET_POLICY,
        {
            "lateAfterMinutes": 10,
            "noShowAfterMinutes": 120,
            "overtimeDailyMinutes": 500,
            "maxBackdateHours": 72,
            **values,
        },
    )
    assert payload["userErrors"] == []
    policy: dict[str, Any] = payload["policy"]
    return policy


def gid(tech_id: int | None) -> str:
    return encode_id("Technician", tech_id or 0)


async def test_a_technician_clocks_in_takes_a_break_and_clocks_out_and_the_sheet_adds_up(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    area = await factories.territory(session)
    tech = await nine_to_five(session, area)
    await _policy(gql)
    me = gql.as_role(Role.TECHNICIAN, technician_id=tech.id)
    day = yesterday()

    first = await me.mutate(
        CLOCK_IN,
        {"location": WHERE, "at": at(day, 9, 20).isoformat(), "idempotencyKey": "in-1"},
    )
    assert first["userErrors"] == [] and first["entry"]["clockInSource"] == "MANUAL"
    retried = await me.mutate(
        CLOCK_IN,
        {"location": WHERE, "at": at(day, 9, 20).isoformat(), "idempotencyKey": "in-1"},
    )
    assert retried["entry"]["id"] == first["entry"]["id"]
    again = await me.mutate(CLOCK_IN, {"location": WHERE, "at": at(day, 9, 25).isoformat()})
    assert error_codes(again) == ["CONFLICT"]

    assert (await me.mutate(START_BREAK, {"kind": "MEAL", "at": at(day, 13).isoformat()}))[
        "userErrors"
    ] == []
    double = await me.mutate(START_BREAK, {"kind": "REST", "at": at(day, 13, 5).isoformat()})
    assert error_codes(double) == ["CONFLICT"]
    assert (await me.mutate(END_BREAK, {"at": at(day, 13, 30).isoformat()}))["userErrors"] == []
    out = await me.mutate(CLOCK_OUT, {"location": WHERE, "at": at(day, 18, 30).isoformat()})
    assert out["userErrors"] == []

    (sheet,) = (await me(SHEET, {"t": gid(tech.id), "from": str(day), "to": str(day)}))[
        "attendanceSheet"
    ]
    assert sheet["status"] == "LATE"
    assert sheet["clockInLocation"] == WHERE
    assert [b["kind"] for b in sheet["breaks"]] == ["MEAL"]
    # 09:20 to 18:30 is 550 minutes, less a 30-minute break; the shift plans 480
    assert (sheet["plannedMinutes"], sheet["workedMinutes"], sheet["breakMinutes"]) == (
        480,
        520,
        30,
    )
    assert (sheet["lateMinutes"], sheet["overtimeMinutes"], sheet["dailyOvertimeMinutes"]) == (
        20,
        40,
        20,
    )


async def test_clock_actions_are_validated_and_only_for_oneself(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    area = await factories.territory(session)
    tech = await nine_to_five(session, area)
    await _policy(gql, maxBackdateHours=24)
    me = gql.as_role(Role.TECHNICIAN, technician_id=tech.id)
    day = yesterday()

    off_earth = await me.mutate(CLOCK_IN, {"location": {"lat": 100, "lng": 0}})
    assert error_codes(off_earth) == ["INVALID"]
    future = await me.mutate(
        CLOCK_IN, {"location": WHERE, "at": at(day, 9).replace(year=2099).isoformat()}
    )
    assert error_codes(future) == ["INVALID"]
    too_old = await me.mutate(
        CLOCK_IN, {"location": WHERE, "at": at(day, 9).replace(year=2020).isoformat()}
    )
    assert error_codes(too_old) == ["INVALID"]
    not_in = await me.mutate(CLOCK_OUT, {"location": WHERE})
    assert error_codes(not_in) == ["INVALID"]
    for role in (Role.DISPATCHER, Role.MANAGER, Role.CUSTOMER, Role.PARTNER):
        refused = await gql.as_role(role).mutate(CLOCK_IN, {"location": WHERE})
        assert error_codes(refused) in (["FORBIDDEN"], ["UNAUTHENTICATED"]), role


async def test_a_manager_corrects_a_day_with_a_reason_and_a_stale_version_is_refused(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    area = await factories.territory(session)
    tech = await nine_to_five(session, area)
    await _policy(gql)
    me = gql.as_role(Role.TECHNICIAN, technician_id=tech.id)
    day = yesterday()
    entry = (await me.mutate(CLOCK_IN, {"location": WHERE, "at": at(day, 9, 40).isoformat()}))[
        "entry"
    ]
    manager = gql.as_role(Role.MANAGER)
    change = {
        "technicianId": gid(tech.id),
        "date": str(day),
        "clockInAt": at(day, 9).isoformat(),
        "clockOutAt": at(day, 17).isoformat(),
        "reason": "app was offline at the gate; badge log says 09:00",
    }
    done = await manager.mutate(CORRECT, {**change, "expectedVersion": entry["version"]})
    assert done["userErrors"] == [] and done["entry"]["clockInSource"] == "CORRECTION"
    stale = await manager.mutate(CORRECT, {**change, "expectedVersion": entry["version"]})
    assert error_codes(stale) == ["STALE_VERSION"]
    no_reason = await manager.mutate(CORRECT, {**change, "reason": " "})
    assert error_codes(no_reason) == ["INVALID"]
    wrong_day = await manager.mutate(
        CORRECT, {**change, "clockInAt": (at(day, 9) - timedelta(days=2)).isoformat()}
    )
    assert error_codes(wrong_day) == ["INVALID"]
    by_tech = await me.mutate(CORRECT, change)
    assert error_codes(by_tech) == ["FORBIDDEN"]

    (sheet,) = (await manager(SHEET, {"t": gid(tech.id), "from": str(day), "to": str(day)}))[
        "attendanceSheet"
    ]
    assert (sheet["status"], sheet["lateMinutes"], sheet["workedMinutes"]) == ("PRESENT", 0, 480)
    (fix,) = sheet["corrections"]
    assert fix["actorRole"] == "MANAGER" and fix["reason"].startswith("app was offline")
    assert set(fix["changes"]) == {"clock_in_at", "clock_out_at"}


async def test_who_reads_whose_attendance(gql: GraphQLClient, session: AsyncSession) -> None:
    area = await factories.territory(session)
    partner = await factories.partner(session)
    own = await nine_to_five(session, area)
    theirs = await nine_to_five(session, area, partner_id=partner.id)
    day = yesterday()
    span = {"from": str(day), "to": str(day)}

    me = gql.as_role(Role.TECHNICIAN, technician_id=own.id)
    assert len((await me(SHEET, {"t": gid(own.id), **span}))["attendanceSheet"]) == 1
    other = await me.raw(SHEET, {"t": gid(theirs.id), **span})
    assert other["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    firm = gql.as_role(Role.PARTNER, partner_id=partner.id)
    assert len((await firm(SHEET, {"t": gid(theirs.id), **span}))["attendanceSheet"]) == 1
    hidden = await firm.raw(SHEET, {"t": gid(own.id), **span})
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    board = await firm(
        TERRITORY_DAY, {"territory": encode_id("Territory", area.id or 0), "date": str(day)}
    )
    assert [d["technicianId"] for d in board["attendanceDay"]] == [gid(theirs.id)]

    customer = gql.as_role(Role.CUSTOMER, customer_id=1)
    refused = await customer.raw(SHEET, {"t": gid(own.id), **span})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    refused_day = await me.raw(
        TERRITORY_DAY, {"territory": encode_id("Territory", area.id or 0), "date": str(day)}
    )
    assert refused_day["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    too_long = await gql.raw(SHEET, {"t": gid(own.id), "from": "2026-01-01", "to": "2026-06-01"})
    assert too_long["errors"][0]["extensions"]["code"] == "INVALID"


async def test_the_managers_day_shows_present_late_absent_and_on_leave(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    area = await factories.territory(session)
    await _policy(gql)
    on_time, late, absent, away = [await nine_to_five(session, area) for _ in range(4)]
    day = yesterday()
    session.add(
        TimeOff(
            technician_id=away.id or 0,
            starts_at=at(day, 0),
            ends_at=at(day, 23),
            reason="sick leave",
        )
    )
    await session.flush()
    for tech, minute in ((on_time, 5), (late, 45)):
        client = gql.as_role(Role.TECHNICIAN, technician_id=tech.id)
        await client.mutate(CLOCK_IN, {"location": WHERE, "at": at(day, 9, minute).isoformat()})

    rows = (
        await gql.as_role(Role.DISPATCHER)(
            TERRITORY_DAY, {"territory": encode_id("Territory", area.id or 0), "date": str(day)}
        )
    )["attendanceDay"]
    status = {r["technicianId"]: (r["status"], r["lateMinutes"]) for r in rows}
    assert status == {
        gid(on_time.id): ("PRESENT", 5),
        gid(late.id): ("LATE", 45),
        gid(absent.id): ("ABSENT", 0),
        gid(away.id): ("ON_LEAVE", 0),
    }
    assert next(r for r in rows if r["technicianId"] == gid(away.id))["timeOffReason"] == (
        "sick leave"
    )


async def test_a_territorys_day_costs_the_same_statements_for_2_and_12_technicians(
    gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    await _policy(gql)
    day = yesterday()
    counts = []
    for size in (2, 12):
        area = await factories.territory(session)
        for _ in range(size):
            tech = await nine_to_five(session, area)
            client = gql.as_role(Role.TECHNICIAN, technician_id=tech.id)
            await client.mutate(CLOCK_IN, {"location": WHERE, "at": at(day, 9, 3).isoformat()})
        statements.reset()
        rows = (
            await gql.as_role(Role.MANAGER)(
                TERRITORY_DAY,
                {"territory": encode_id("Territory", area.id or 0), "date": str(day)},
            )
        )["attendanceDay"]
        assert len(rows) == size
        counts.append(statements.total)
    assert counts[0] == counts[1]


async def test_out_of_range_days_and_endless_days_are_refused_or_capped(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    area = await factories.territory(session)
    tech = await nine_to_five(session, area)
    await _policy(gql)
    manager = gql.as_role(Role.MANAGER)
    # days far outside any attendance are INVALID on their field, not a server error
    for days, field in (
        ({"from": "0001-01-01", "to": "0001-01-02"}, "from"),
        ({"from": "9999-12-30", "to": "9999-12-31"}, "from"),
    ):
        answer = await manager.raw(SHEET, {"t": gid(tech.id), **days})
        assert answer["errors"][0]["extensions"]["code"] == "INVALID", answer
        assert answer["errors"][0]["extensions"]["field"] == [field], answer
    day = yesterday()
    change = {
        "technicianId": gid(tech.id),
        "date": str(day),
        "clockInAt": at(day, 9).isoformat(),
        "reason": "badge log",
    }
    # a correction cannot clock out days later, nor in the future
    for clock_out in (at(day, 9) + timedelta(days=3), at(day, 9) + timedelta(days=400)):
        refused = await manager.mutate(CORRECT, {**change, "clockOutAt": clock_out.isoformat()})
        assert error_codes(refused) == ["INVALID"]
    far = await manager.mutate(CORRECT, {**change, "date": "9999-12-31"})
    assert error_codes(far) == ["INVALID"]
    # and a day clocked in but never out counts a day's length at most, not until now
    me = gql.as_role(Role.TECHNICIAN, technician_id=tech.id)
    two_days_ago = day - timedelta(days=1)
    clocked = await me.mutate(CLOCK_IN, {"location": WHERE, "at": at(two_days_ago, 9).isoformat()})
    assert clocked["userErrors"] == []
    (sheet,) = (
        await manager(
            SHEET, {"t": gid(tech.id), "from": str(two_days_ago), "to": str(two_days_ago)}
        )
    )["attendanceSheet"]
    assert sheet["workedMinutes"] <= 24 * 60
