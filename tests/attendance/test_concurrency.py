"""A technician's app sending clock-in twice at once, in real parallel transactions: one day
recorded, the other a CONFLICT."""

from __future__ import annotations

import asyncio

from sqlmodel import col, func, select

from app.attendance import service
from app.attendance.models import AttendanceEntry
from app.core.auth import Principal, Role
from app.core.db import SessionFactory
from app.core.errors import DomainError
from app.core.geo import LatLng
from tests.attendance.support import nine_to_five
from tests.work_orders import factories


async def test_parallel_clock_ins_record_one_day(committed_sessions: SessionFactory) -> None:
    async with committed_sessions() as session, session.begin():
        area = await factories.territory(session)
        tech = await nine_to_five(session, area)
    me = Principal(subject="test:technician", role=Role.TECHNICIAN, technician_id=tech.id)
    contenders = 4
    barrier = asyncio.Barrier(contenders)

    async def clock_in() -> str:
        async with committed_sessions() as session:
            async with session.begin():
                await session.execute(select(1))
                await barrier.wait()
                try:
                    async with session.begin_nested():
                        await service.clock_in(session, me, LatLng(12.97, 77.59))
                except DomainError as refused:
                    return refused.code.value
            return "OK"

    outcomes = await asyncio.gather(*(clock_in() for _ in range(contenders)))

    assert sorted(outcomes, key=lambda o: o != "OK") == ["OK"] + ["CONFLICT"] * (contenders - 1)
    async with committed_sessions() as session:
        days = await session.scalar(
            select(func.count()).where(col(AttendanceEntry.technician_id) == tech.id)
        )
    assert days == 1
