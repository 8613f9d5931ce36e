"""A multi-day crew task skips the days any member of the crew does not work."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.technicians.models import WorkingHours
from tests.crews.test_crews_api import ASSIGN_CREW, assignment, ok, setup, tomorrow_at
from tests.support import GraphQLClient


async def test_segments_skip_a_members_day_off(gql: GraphQLClient, session: AsyncSession) -> None:
    # given a crew working 09:00-17:00 every day but the member's day off the day after tomorrow
    s = await setup(gql, session, duration=720, shift=True)
    day_off = (tomorrow_at(9) + timedelta(days=1)).weekday()
    await session.execute(
        delete(WorkingHours).where(
            col(WorkingHours.technician_id) == s.member.id, col(WorkingHours.weekday) == day_off
        )
    )
    await session.flush()

    # when a 12-hour install is given to the crew from 13:00 tomorrow (no reason given)
    payload = await ok(s.dispatcher, ASSIGN_CREW, assignment(s, tomorrow_at(13)))

    # then it runs 13:00-17:00 tomorrow and, skipping the member's day off, the day after
    assert payload["warnings"] == []
    spans = [
        [datetime.fromisoformat(seg[k]) for k in ("startsAt", "endsAt")]
        for seg in payload["crew"]["segments"]
    ]
    assert spans == [
        [tomorrow_at(13), tomorrow_at(17)],
        [tomorrow_at(9) + timedelta(days=2), tomorrow_at(17) + timedelta(days=2)],
    ]
