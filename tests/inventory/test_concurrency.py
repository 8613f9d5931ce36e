"""Real parallel transactions on the last units: no lost update, no negative stock."""

from __future__ import annotations

import asyncio
import uuid

from sqlmodel import col, select

from app.core.db import SessionFactory
from app.core.errors import DomainError
from app.inventory import ledger, stock
from app.inventory.ledger import Stamp
from app.inventory.models import MovementLine, StockLevel, TaskPartLine
from tests.inventory import factories

STAMP = Stamp(actor="test:dispatcher", reason="concurrency test")


async def _stocked_van(sessions: SessionFactory, units: int) -> tuple[int, int, int]:
    """A committed technician whose van holds `units` of a new part: (technician, van, part)."""
    async with sessions() as session, session.begin():
        main = await factories.warehouse(session, f"WH-{uuid.uuid4().hex[:10]}")
        item = await factories.part(session, f"SKU-{uuid.uuid4().hex[:10]}")
        tech = await factories.technician(session, "Parallel")
        assert main.id and item.id and tech.id
        lines = [MovementLine(part_id=item.id, quantity=units)]
        await stock.receive(session, main.id, lines, STAMP)
        posted = await stock.issue_to_van(session, main.id, tech.id, lines, STAMP)
        return tech.id, posted.movements[1].location_id, item.id


async def _level(sessions: SessionFactory, location_id: int, part_id: int) -> tuple[int, int]:
    async with sessions() as session:
        level = await session.scalar(
            select(StockLevel).where(
                col(StockLevel.location_id) == location_id, col(StockLevel.part_id) == part_id
            )
        )
        assert level is not None
        return level.on_hand, level.reserved


async def test_parallel_consumptions_of_the_last_units_hand_out_exactly_those(
    committed_sessions: SessionFactory,
) -> None:
    # given a van with 3 units and 8 technicians' phones recording a use of 1 unit at once
    technician_id, van_id, part_id = await _stocked_van(committed_sessions, 3)
    contenders = 8
    async with committed_sessions() as session, session.begin():
        tasks = await factories.task_ids(session, contenders)
    barrier = asyncio.Barrier(contenders)

    async def consume(task_id: int) -> str:
        async with committed_sessions() as session:
            async with session.begin():
                await session.execute(select(1))  # hold a connection before the start line
                await barrier.wait()
                try:
                    async with session.begin_nested():
                        await stock.consume_on_task(
                            session,
                            technician_id,
                            task_id,
                            [TaskPartLine(part_id=part_id, quantity=1)],
                            "test:technician",
                        )
                except DomainError as refused:
                    return refused.code.value
            return "OK"

    # when they all commit in parallel transactions
    outcomes = await asyncio.gather(*(consume(task) for task in tasks))

    # then exactly the 3 available succeed, the rest are refused, and nothing goes negative
    assert sorted(outcomes) == ["INSUFFICIENT_STOCK"] * 5 + ["OK"] * 3
    assert await _level(committed_sessions, van_id, part_id) == (0, 0)
    async with committed_sessions() as session:
        sums = await ledger.ledger_sums(session)
    assert sums[(van_id, part_id)] == (0, 0)


async def test_opposite_transfers_under_contention_neither_deadlock_nor_lose_units(
    committed_sessions: SessionFactory,
) -> None:
    # given two warehouses holding 40 units of two parts each
    async with committed_sessions() as session, session.begin():
        a = await factories.warehouse(session, f"A-{uuid.uuid4().hex[:10]}")
        b = await factories.warehouse(session, f"B-{uuid.uuid4().hex[:10]}")
        p1 = await factories.part(session, f"X-{uuid.uuid4().hex[:10]}")
        p2 = await factories.part(session, f"Y-{uuid.uuid4().hex[:10]}")
        assert a.id and b.id and p1.id and p2.id
        for where in (a.id, b.id):
            await stock.receive(
                session,
                where,
                [
                    MovementLine(part_id=p1.id, quantity=40),
                    MovementLine(part_id=p2.id, quantity=40),
                ],
                STAMP,
            )
    contenders = 10
    barrier = asyncio.Barrier(contenders)

    async def move(n: int) -> str:
        source, target = (a.id, b.id) if n % 2 else (b.id, a.id)
        first, second = (p1.id, p2.id) if n % 3 else (p2.id, p1.id)
        lines = [MovementLine(part_id=first, quantity=3), MovementLine(part_id=second, quantity=2)]
        async with committed_sessions() as session, session.begin():
            await session.execute(select(1))
            await barrier.wait()
            await stock.transfer(session, source, target, lines, STAMP)  # type: ignore[arg-type]
        return "OK"

    # when opposite multi-line transfers run at once
    outcomes = await asyncio.gather(*(move(n) for n in range(contenders)), return_exceptions=True)

    # then every one commits (no deadlock victim) and the totals are conserved
    assert outcomes == ["OK"] * contenders
    for part_id in (p1.id, p2.id):
        held = [await _level(committed_sessions, where, part_id) for where in (a.id, b.id)]
        assert sum(on_hand for on_hand, _ in held) == 80
