"""Two dispatchers drag the same task at once, in real parallel transactions: one wins."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from app.core.auth import Principal, Role
from app.core.db import SessionFactory
from app.core.errors import DomainError
from app.dispatch_board import service
from app.work_orders.models import Task
from tests.dispatch_board.factories import assigned, day, tomorrow_at


async def test_two_dispatchers_moving_one_task_one_wins_one_is_stale(
    committed_sessions: SessionFactory,
) -> None:
    # given a task on the first of two technicians' rows, at version v
    async with committed_sessions() as session, session.begin():
        d = await day(session, technicians=2)
        task = await assigned(session, d, d.technicians[0], 9)
        task_id, version = task.id, task.version
        targets = [t.id for t in d.technicians]
    assert task_id is not None and all(targets)
    barrier = asyncio.Barrier(2)

    async def drag(n: int, technician_id: int, hour: float) -> str:
        who = Principal(subject=f"test:dispatcher{n}", role=Role.DISPATCHER, name=f"D{n}")
        async with committed_sessions() as session, session.begin():
            await session.execute(select(1))  # hold a connection before the start line
            await barrier.wait()
            try:
                async with session.begin_nested():
                    await service.move(
                        session,
                        who,
                        task_id,
                        technician_id,
                        tomorrow_at(hour),
                        expected_version=version,
                        reason="moved on the board",
                    )
            except DomainError as refused:
                return refused.code.value
        return f"OK {technician_id}"

    # when both drag it, each to another place, on the version they saw
    outcomes = await asyncio.gather(drag(1, targets[0], 12), drag(2, targets[1], 14))  # type: ignore[arg-type]

    # then one move is written and the other is refused as stale
    assert sorted(o.split()[0] for o in outcomes) == ["OK", "STALE_VERSION"]
    (winner,) = [o for o in outcomes if o.startswith("OK")]
    async with committed_sessions() as session:
        row = await session.scalar(select(Task).where(Task.id == task_id))
    assert row is not None
    assert row.version == version + 1
    assert f"OK {row.technician_id}" == winner
