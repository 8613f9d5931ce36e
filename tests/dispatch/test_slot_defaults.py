"""availableSlots without dates: from the next whole hour where the visit is, three days on."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.models import utcnow
from tests.dispatch import test_service_factories as f
from tests.support import GraphQLClient

SLOTS = """query($input: SlotQueryInput!) { availableSlots(input: $input) { start end } }"""


async def test_slots_without_dates_start_on_local_hours_within_three_days(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    d = await f.day(session, technicians=1)
    await session.commit()
    asked = {
        "point": {"lat": f.factories.SITE_LAT, "lng": f.factories.SITE_LNG},
        "durationMinutes": 60,
        "skills": [d.hvac.code],
        "slotMinutes": 120,
    }

    found = await gql.as_role(Role.CUSTOMER, customer_id=d.customer.id)(SLOTS, {"input": asked})
    starts = [datetime.fromisoformat(slot["start"]) for slot in found["availableSlots"]]

    # the factory technicians work every day: tomorrow's slots are among them
    assert starts
    kolkata = ZoneInfo("Asia/Kolkata")
    assert all(s.astimezone(kolkata).minute == 0 for s in starts)
    now = utcnow()
    assert all(now < s < now + timedelta(days=3) for s in starts)


async def test_a_hold_for_a_time_without_a_zone_is_a_user_error(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    d = await f.day(session, technicians=1)
    await session.commit()
    hold = """mutation($input: HoldSlotInput!) {
      holdSlot(input: $input) { slotHold { id } userErrors { field code } } }"""

    refused = await gql.as_role(Role.CUSTOMER, customer_id=d.customer.id).mutate(
        hold,
        {
            "point": {"lat": f.factories.SITE_LAT, "lng": f.factories.SITE_LNG},
            "durationMinutes": 60,
            "skills": [d.hvac.code],
            "start": "2031-01-06T10:00:00",
            "end": "2031-01-06T12:00:00+05:30",
        },
    )

    assert refused["userErrors"] == [{"field": ["start"], "code": "INVALID"}]
    assert refused["slotHold"] is None
