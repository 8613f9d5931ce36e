"""A customer books a visit on their own: slots, a hold, then one bookVisit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.technicians.models import TechnicianStatus
from schema.ids import encode_id
from tests.dispatch import test_service_factories as f
from tests.support import GraphQLClient, error_codes

SLOTS = """query($input: SlotQueryInput!) {
  availableSlots(input: $input) { start end technicianCount } }"""
HOLD = """mutation($input: HoldSlotInput!) {
  holdSlot(input: $input) { slotHold { id start end } userErrors { field code } } }"""
BOOK = """mutation($input: BookVisitInput!) {
  bookVisit(input: $input) {
    serviceRequest { id status category }
    task { id status windowStart windowEnd durationMinutes confirmedAt
           technician { id } requiredSkills { code } }
    userErrors { field message code }
  }
}"""


async def hold_first_slot(customer: GraphQLClient, d: f.Day, duration: int = 90) -> dict:
    where = {"lat": f.factories.SITE_LAT, "lng": f.factories.SITE_LNG}
    asked = {
        "point": where,
        "durationMinutes": duration,
        "skills": [d.hvac.code],
        "from": f.tomorrow_at(8).isoformat(),
        "to": f.tomorrow_at(18).isoformat(),
        "slotMinutes": 120,
    }
    offered = (await customer(SLOTS, {"input": asked}))["availableSlots"]
    assert offered, "the empty day offers slots"
    slot = offered[0]
    held = await customer.mutate(
        HOLD,
        {
            "point": where,
            "durationMinutes": duration,
            "skills": [d.hvac.code],
            "start": slot["start"],
            "end": slot["end"],
            "siteId": encode_id("Site", d.site.id or 0),
        },
    )
    assert held["userErrors"] == []
    return held["slotHold"]


async def a_held_slot(
    gql: GraphQLClient, session: AsyncSession
) -> tuple[f.Day, GraphQLClient, dict]:
    """A day with one technician and its customer holding the first free slot tomorrow."""
    d = await f.day(session, technicians=1)
    await session.commit()
    customer = gql.as_role(Role.CUSTOMER, customer_id=d.customer.id)
    return d, customer, await hold_first_slot(customer, d)


def booking(d: f.Day, hold: dict, **extra: object) -> dict:
    return {
        "holdId": hold["id"],
        "siteId": encode_id("Site", d.site.id or 0),
        "category": "REPAIR",
        "description": "The fridge stopped cooling",
        **extra,
    }


async def test_a_customer_books_a_held_slot_in_one_step(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a customer holding the first free slot tomorrow for a 90-minute repair
    d, customer, hold = await a_held_slot(gql, session)

    # when they book it
    booked = await customer.mutate(BOOK, booking(d, hold, idempotencyKey="book-1"))

    # then the request is recorded and its visit has the slot as its agreed appointment,
    # offered to the technician whose day the slot came from
    assert booked["userErrors"] == []
    task = booked["task"]
    assert booked["serviceRequest"]["category"] == "REPAIR"
    assert (task["windowStart"], task["windowEnd"]) == (hold["start"], hold["end"])
    assert task["durationMinutes"] == 90 and task["confirmedAt"] is not None
    assert [s["code"] for s in task["requiredSkills"]] == [d.hvac.code]
    assert task["status"] == "DISPATCHED"
    assert task["technician"]["id"] == encode_id("Technician", d.technicians[0].id or 0)
    # and a later read gives the same instants, in UTC like every answer
    read = await customer("query($id: ID!) { task(id: $id) { windowStart } }", {"id": task["id"]})
    assert read["task"]["windowStart"] == task["windowStart"]
    assert task["windowStart"].endswith("+00:00")
    # and a retry answers the same booking; the used hold books nothing more
    again = await customer.mutate(BOOK, booking(d, hold, idempotencyKey="book-1"))
    assert again["task"]["id"] == task["id"]
    other = await customer.mutate(BOOK, booking(d, hold, idempotencyKey="book-2"))
    assert error_codes(other) == ["SLOT_TAKEN"] and other["task"] is None
    # and the customer sees the request among their own
    mine = await customer("query { myServiceRequests { edges { node { id } } } }")
    ids = [edge["node"]["id"] for edge in mine["myServiceRequests"]["edges"]]
    assert booked["serviceRequest"]["id"] in ids


async def test_a_booking_keeps_its_slot_when_the_technician_can_no_longer_take_it(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a hold whose technician has gone inactive since
    d, customer, hold = await a_held_slot(gql, session)
    d.technicians[0].status = TechnicianStatus.INACTIVE
    await session.commit()

    booked = await customer.mutate(BOOK, booking(d, hold))

    # then the visit waits for dispatch with its appointment
    assert booked["userErrors"] == []
    assert booked["task"]["status"] == "UNSCHEDULED" and booked["task"]["technician"] is None
    assert datetime.fromisoformat(booked["task"]["windowStart"]) == datetime.fromisoformat(
        hold["start"]
    )


async def test_a_customer_cannot_book_with_another_customer_s_hold(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    d, _, hold = await a_held_slot(gql, session)
    other = await f.factories.customer(session)
    await session.commit()

    stranger = gql.as_role(Role.CUSTOMER, customer_id=other.id)
    refused = await stranger.mutate(BOOK, booking(d, hold))

    assert error_codes(refused) == ["NOT_FOUND"]
    assert refused["serviceRequest"] is None and refused["task"] is None
