"""Appointment slots by feasible insertion, holds, SLOT_TAKEN, and travel warnings."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.auth import Principal, Role
from app.core.db import SessionFactory
from app.core.errors import DomainError, ErrorCode
from app.core.geo import LatLng
from app.core.models import utcnow
from app.dispatch import slots
from app.dispatch.manual import travel_warnings
from app.territories.models import Territory
from app.work_orders import offers
from schema.ids import encode_id
from tests.dispatch import test_service_factories as f
from tests.support import GraphQLClient, error_codes
from tests.work_orders import factories

HERE = LatLng(factories.SITE_LAT, factories.SITE_LNG)

AVAILABLE_SLOTS = """
query Slots($input: SlotQueryInput!) {
  availableSlots(input: $input) { start end technicianCount }
}
"""

HOLD_SLOT = """
mutation Hold($input: HoldSlotInput!) {
  holdSlot(input: $input) {
    slotHold { id status start end expiresAt }
    userErrors { field message code }
  }
}
"""


def request(d: f.Day, start: float = 8, end: float = 18, duration: int = 60) -> slots.SlotRequest:
    return slots.SlotRequest(
        point=HERE,
        duration_minutes=duration,
        skills=(d.hvac.code,),
        start=f.tomorrow_at(start),
        end=f.tomorrow_at(end),
        slot_minutes=120,
    )


def hold_request(d: f.Day, start: float, end: float, duration: int = 60) -> slots.HoldRequest:
    return slots.HoldRequest(
        point=HERE,
        duration_minutes=duration,
        skills=(d.hvac.code,),
        start=f.tomorrow_at(start),
        end=f.tomorrow_at(end),
        customer_id=d.customer.id,
    )


async def test_an_empty_day_offers_every_slot_to_every_skilled_technician(
    session: AsyncSession,
) -> None:
    d = await f.day(session, technicians=2)
    found = await slots.available_slots(session, request(d))
    assert [(s.start, s.technician_count) for s in found] == [
        (f.tomorrow_at(h), 2) for h in (8, 10, 12, 14, 16)
    ]


async def test_a_booked_day_offers_only_the_gaps_that_fit_with_travel(
    session: AsyncSession,
) -> None:
    # given one technician busy 10:00-16:30 at the site
    d = await f.day(session, technicians=1)
    busy = await f.task(session, d, duration=390)
    tech = d.technicians[0]
    await offers.assign_task(
        session,
        f.DISPATCHER,
        busy.id or 0,
        tech.id or 0,
        f.tomorrow_at(10),
        reason="booked by hand",
    )
    slots.invalidate()
    # when asking for 2-hour slots of a 90-minute visit
    found = await slots.available_slots(session, request(d, duration=90))
    # then 8-10 still fits before it (arrive 8:00, done 9:30, drive back) and 16-18 after it
    assert [s.start for s in found] == [f.tomorrow_at(8), f.tomorrow_at(16)]


async def test_a_skill_nobody_has_leaves_no_slot_and_an_unknown_skill_is_invalid(
    session: AsyncSession,
) -> None:
    d = await f.day(session)
    plumbing = slots.SlotRequest(HERE, 60, (d.plumbing.code,), f.tomorrow_at(8), f.tomorrow_at(18))
    assert await slots.available_slots(session, plumbing) == []
    unknown = slots.SlotRequest(HERE, 60, ("no_such_skill",), f.tomorrow_at(8), f.tomorrow_at(18))
    with pytest.raises(DomainError) as refused:
        await slots.available_slots(session, unknown)
    assert refused.value.code is ErrorCode.INVALID


async def test_holding_the_last_capacity_makes_the_next_hold_slot_taken(
    session: AsyncSession,
) -> None:
    # given one technician whose afternoon is free only for one 4-hour visit
    d = await f.day(session, technicians=1)
    busy = await f.task(session, d, duration=8 * 60)
    await offers.assign_task(
        session,
        f.DISPATCHER,
        busy.id or 0,
        d.technicians[0].id or 0,
        f.tomorrow_at(6),
        reason="booked by hand",
    )
    first = await slots.hold_slot(session, f.DISPATCHER, hold_request(d, 14, 16, duration=240))
    assert first.technician_id == d.technicians[0].id
    # then a second customer cannot take the same capacity, and the slot is no longer offered
    with pytest.raises(DomainError) as refused:
        await slots.hold_slot(session, f.DISPATCHER, hold_request(d, 14, 16, duration=240))
    assert refused.value.code is ErrorCode.SLOT_TAKEN
    found = await slots.available_slots(session, request(d, 14, 16, duration=240))
    assert found == []
    # and releasing the hold gives the slot back
    await slots.release_hold(session, f.DISPATCHER, first.id or 0)
    assert len(await slots.available_slots(session, request(d, 14, 16, duration=240))) == 1


async def test_two_customers_racing_for_the_last_slot_get_one_hold_and_one_slot_taken(
    committed_sessions: SessionFactory,
) -> None:
    # given committed data (the race needs two real connections) in the committed database
    sessions = committed_sessions
    async with sessions() as setup:
        # other tests leave territories over the same square here; this race owns the map
        await setup.execute(
            sa.update(Territory)
            .where(col(Territory.archived_at).is_(None))
            .values(archived_at=utcnow())
        )
        d = await f.day(setup, technicians=1)
        busy = await f.task(setup, d, duration=8 * 60)
        await offers.assign_task(
            setup,
            f.DISPATCHER,
            busy.id or 0,
            d.technicians[0].id or 0,
            f.tomorrow_at(6),
            reason="booked by hand",
        )
        await setup.commit()

    async def take() -> str:
        async with sessions() as session:
            try:
                await slots.hold_slot(session, f.DISPATCHER, hold_request(d, 14, 16, 240))
                await asyncio.sleep(0.2)  # hold the lock a moment: the other must wait
                await session.commit()
                return "HELD"
            except DomainError as error:
                await session.rollback()
                return error.code.value

    # when two customers hold the last capacity at the same moment
    outcomes = sorted(await asyncio.gather(take(), take()))
    # then exactly one gets it
    assert outcomes == ["HELD", "SLOT_TAKEN"]


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (None, False),
        (Role.TECHNICIAN, False),
        (Role.PARTNER, False),
        (Role.CUSTOMER, True),
        (Role.AGENT, True),
        (Role.DISPATCHER, True),
        (Role.ADMIN, True),
    ],
)
async def test_who_may_query_and_hold_slots(
    gql: GraphQLClient, session: AsyncSession, role: Role | None, allowed: bool
) -> None:
    d = await f.day(session)
    await session.commit()
    client = gql.as_role(role, customer_id=d.customer.id)
    point = {"lat": HERE.lat, "lng": HERE.lng}
    query = {
        "point": point,
        "durationMinutes": 60,
        "skills": [d.hvac.code],
        "from": f.tomorrow_at(8).isoformat(),
        "to": f.tomorrow_at(12).isoformat(),
    }
    body = await client.raw(AVAILABLE_SLOTS, {"input": query})
    hold = await client.mutate(
        HOLD_SLOT,
        {
            "point": point,
            "durationMinutes": 60,
            "skills": [d.hvac.code],
            "start": f.tomorrow_at(8).isoformat(),
            "end": f.tomorrow_at(10).isoformat(),
        },
    )
    if allowed:
        assert [s["technicianCount"] for s in body["data"]["availableSlots"]] == [2, 2]
        assert hold["userErrors"] == [] and hold["slotHold"]["status"] == "ACTIVE"
    else:
        assert body["errors"][0]["extensions"]["code"] in {"UNAUTHENTICATED", "FORBIDDEN"}
        assert error_codes(hold) in (["UNAUTHENTICATED"], ["FORBIDDEN"])


async def test_a_customer_may_not_hold_for_another_customer(session: AsyncSession) -> None:
    d = await f.day(session)
    someone_else = Principal(subject="c", role=Role.CUSTOMER, customer_id=(d.customer.id or 0) + 1)
    with pytest.raises(DomainError) as refused:
        await slots.hold_slot(session, someone_else, hold_request(d, 8, 10))
    assert refused.value.code is ErrorCode.FORBIDDEN


async def test_travel_warnings_flag_a_start_the_technician_cannot_reach(
    session: AsyncSession,
) -> None:
    # given a visit ending at 10:00 at the site, and a task 20 km away
    d = await f.day(session, technicians=1)
    tech = d.technicians[0]
    first = await f.task(session, d)
    await offers.assign_task(
        session,
        f.DISPATCHER,
        first.id or 0,
        tech.id or 0,
        f.tomorrow_at(9),
        reason="booked by hand",
    )
    far = await f.site_at(session, d, factories.SITE_LAT + 0.18, factories.SITE_LNG)
    later = await f.task(session, d, site=far)
    # when it would start at 10:05, then at 11:30
    tight = await travel_warnings(session, later, tech, f.tomorrow_at(10) + timedelta(minutes=5))
    easy = await travel_warnings(session, later, tech, f.tomorrow_at(11.5))
    # then only the first is too tight
    assert [w.code for w in tight] == ["TRAVEL_TOO_TIGHT"]
    assert easy == []


CREATE_TASK_WITH_HOLD = """
mutation Create($input: CreateTaskInput!) {
  createTask(input: $input) { task { id windowStart windowEnd } userErrors { field code } }
}
"""


async def test_a_task_created_with_a_hold_takes_the_held_slot_once(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a hold on tomorrow 10:00-12:00 at the customer's site
    d = await f.day(session)
    hold = await slots.hold_slot(session, f.DISPATCHER, hold_request(d, 10, 12))
    task_input = {
        "customerId": encode_id("Customer", d.customer.id or 0),
        "siteId": encode_id("Site", d.site.id or 0),
        "type": "REPAIR",
        "holdId": encode_id("SlotHold", hold.id or 0),
    }

    # when an agent creates the task with it, and again with the same hold
    first = await gql.as_role(Role.AGENT).mutate(CREATE_TASK_WITH_HOLD, task_input)
    again = await gql.as_role(Role.AGENT).mutate(CREATE_TASK_WITH_HOLD, task_input)

    # then the first task has the held window; the used hold cannot book a second one
    assert first["userErrors"] == []
    assert datetime.fromisoformat(first["task"]["windowStart"]) == hold.slot_start
    assert datetime.fromisoformat(first["task"]["windowEnd"]) == hold.slot_end
    assert error_codes(again) == ["SLOT_TAKEN"] and again["task"] is None


def _task_input(d: f.Day, hold_id: int | None, **extra: object) -> dict[str, object]:
    return {
        "customerId": encode_id("Customer", d.customer.id or 0),
        "siteId": encode_id("Site", d.site.id or 0),
        "type": "REPAIR",
        "holdId": encode_id("SlotHold", hold_id or 0),
    } | extra


@pytest.mark.parametrize(
    "extra",
    [
        {"durationMinutes": 150},
        {"requiredSkills": [{"code": "PLUMBING", "minLevel": 1}]},
        {"requiredSkills": [{"code": "HVAC", "minLevel": 3}]},
    ],
    ids=["longer", "other skill", "higher level"],
)
async def test_a_hold_is_refused_for_work_that_does_not_fit_it(
    gql: GraphQLClient, session: AsyncSession, extra: dict[str, object]
) -> None:
    # given a 90-minute hvac hold
    d = await f.day(session)
    hold = await slots.hold_slot(session, f.DISPATCHER, hold_request(d, 10, 12, duration=90))
    if "requiredSkills" in extra:  # the codes of this day's skills
        (need,) = extra["requiredSkills"]  # type: ignore[misc]
        code = d.plumbing.code if need["code"] == "PLUMBING" else d.hvac.code
        extra = {"requiredSkills": [{"code": code, "minLevel": need["minLevel"]}]}
    # when a task that takes longer, needs another skill or a higher level is created with it
    payload = await gql.as_role(Role.AGENT).mutate(
        CREATE_TASK_WITH_HOLD, _task_input(d, hold.id, **extra)
    )
    # then it is refused on holdId, and the hold stays free for fitting work
    assert payload["task"] is None
    assert payload["userErrors"] == [{"field": ["holdId"], "code": "INVALID"}]
    fitting = await gql.as_role(Role.AGENT).mutate(
        CREATE_TASK_WITH_HOLD, _task_input(d, hold.id, durationMinutes=90)
    )
    assert fitting["userErrors"] == []


RESCHEDULE_WITH_HOLD = """
mutation Move($input: RescheduleTaskInput!) {
  rescheduleTask(input: $input) { task { id windowStart } userErrors { field code message } }
}
"""


async def test_a_long_task_cannot_be_rescheduled_into_a_shorter_hold(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a 150-minute task and a 90-minute hold for its skill
    d = await f.day(session)
    long_task = await f.task(session, d, duration=150)
    hold = await slots.hold_slot(session, f.DISPATCHER, hold_request(d, 13, 16, duration=90))
    await session.commit()
    # when it is rescheduled into the held slot
    payload = await gql.as_role(Role.DISPATCHER).mutate(
        RESCHEDULE_WITH_HOLD,
        {
            "taskId": encode_id("Task", long_task.id or 0),
            "windowStart": hold.slot_start.isoformat(),
            "windowEnd": hold.slot_end.isoformat(),
            "holdId": encode_id("SlotHold", hold.id or 0),
        },
    )
    # then the move is refused on holdId and the task keeps its window
    assert payload["task"] is None, payload
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(["holdId"], "INVALID")]
    assert "150" in payload["userErrors"][0]["message"]
    await session.refresh(long_task)
    assert long_task.window_start == f.tomorrow_at(9)


async def test_a_hold_taken_for_one_customer_does_not_book_another_customers_task(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a hold taken for the day's customer, and another customer with a site
    d = await f.day(session)
    hold = await slots.hold_slot(session, f.DISPATCHER, hold_request(d, 10, 12))
    other = await factories.customer(session)
    other_site = await factories.site(session, other)
    # when a task of the other customer is created with it
    payload = await gql.as_role(Role.AGENT).mutate(
        CREATE_TASK_WITH_HOLD,
        _task_input(d, hold.id)
        | {
            "customerId": encode_id("Customer", other.id or 0),
            "siteId": encode_id("Site", other_site.id or 0),
        },
    )
    # then it is refused on holdId
    assert payload["task"] is None
    assert payload["userErrors"] == [{"field": ["holdId"], "code": "INVALID"}]
