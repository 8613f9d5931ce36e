"""Managers racing on one advance in real parallel transactions: it is paid out once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

from sqlmodel import select

from app.core.auth import Principal, Role
from app.core.db import SessionFactory
from app.core.errors import DomainError
from app.core.models import utcnow
from app.travel_requests import service
from app.travel_requests.models import (
    SettlementStatus,
    TravelMode,
    TravelRequest,
    TravelRequestCreate,
)
from tests.travel_requests.factories import accepted_task
from tests.work_orders import factories as wf

MANAGER = Principal(subject="test:manager", role=Role.MANAGER, name="Manager")
DISPATCHER = Principal(subject="test:dispatcher", role=Role.DISPATCHER, name="Dispatcher")


async def test_parallel_payouts_record_the_advance_once(committed_sessions: SessionFactory) -> None:
    # given an approved request (no policy: a manager approves) with a 2,000 advance
    async with committed_sessions() as session, session.begin():
        w = await wf.world(session)
        task = await accepted_task(session, w)
        assert task.id is not None
        today = utcnow().date()
        data = TravelRequestCreate(
            task_id=task.id,
            mode=TravelMode.BUS,
            origin="Depot",
            destination="Plant",
            departs_on=today,
            returns_on=today + timedelta(days=1),
            estimated_cost=Decimal("3000.00"),
            advance_amount=Decimal("2000.00"),
        )
        request = await service.request_travel(session, DISPATCHER, data)
        assert request.id is not None
        await service.approve(session, MANAGER, request.id, None)
        request_id = request.id
    contenders = 5
    barrier = asyncio.Barrier(contenders)

    async def pay_out() -> str:
        async with committed_sessions() as session:
            async with session.begin():
                await session.execute(select(1))  # hold a connection before the start line
                await barrier.wait()
                try:
                    async with session.begin_nested():
                        await service.record_payout(session, MANAGER, request_id, None)
                except DomainError as refused:
                    return refused.problems[0].code.value
            return "OK"

    # when five managers record the payout at once
    outcomes = await asyncio.gather(*(pay_out() for _ in range(contenders)))

    # then one did, the others found it paid out already
    assert sorted(outcomes) == ["INVALID_TRANSITION"] * (contenders - 1) + ["OK"]
    async with committed_sessions() as session:
        row = await session.get(TravelRequest, request_id)
        assert row is not None and row.settlement_status is SettlementStatus.PAID_OUT
        assert row.version == 3  # approved, then paid out once
