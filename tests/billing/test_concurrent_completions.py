"""Invoice numbers stay gapless and unique when many tasks are completed at once through
the service lifecycle and their invoices issued, each in its own real transaction."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlmodel import col, select

from app.billing import invoices
from app.billing.models import Invoice, InvoiceStatus
from app.core.auth import Principal, Role
from app.core.db import SessionFactory
from app.work_orders.field import Completion, Step, complete
from app.work_orders.models import Task, TaskStatus
from tests.billing import factories
from tests.work_orders import factories as wf

ADMIN = Principal(subject="test:admin", role=Role.ADMIN, name="Admin")
YEAR = 2091
"""A year of its own: the committed database is shared by every test of the run."""
TASKS = 10


async def _complete_and_issue(
    sessions: SessionFactory, technician: Principal, task_id: int, fail: bool, go: asyncio.Event
) -> str | None:
    """Complete the task (the billing listener opens its draft in the same transaction),
    issue the draft and commit; `fail` rolls the whole transaction back after numbering."""
    async with sessions() as session:
        await go.wait()
        await complete(
            session,
            technician,
            Step(task_id),
            Completion(resolution_code="FIXED", signature_ref="sig", signer_name="Asha"),
        )
        draft = await session.scalar(select(Invoice).where(col(Invoice.task_id) == task_id))
        assert draft is not None and draft.id is not None
        issued = await invoices.issue_invoice(
            session, ADMIN, draft.id, now=datetime(YEAR, 3, 1, tzinfo=UTC)
        )
        number = issued.number
        if fail:
            await session.rollback()
            return None
        await session.commit()
        return number


async def test_concurrent_completions_issue_invoices_without_gaps_or_duplicates(
    committed_sessions: SessionFactory,
) -> None:
    # given ten tasks in progress, each with its own technician, committed
    async with committed_sessions() as session:
        await factories.price_list(session)
        worlds = [await wf.world(session) for _ in range(TASKS)]
        tasks = [await factories.task(session, world) for world in worlds]
        await session.commit()
    crew = [
        Principal(subject=f"test:tech{i}", role=Role.TECHNICIAN, technician_id=w.technician.id)
        for i, w in enumerate(worlds)
    ]
    # when all are completed at once and every third transaction rolls back after numbering
    go = asyncio.Event()
    runs = [
        asyncio.create_task(
            _complete_and_issue(committed_sessions, crew[i], task.id, i % 3 == 0, go)  # type: ignore[arg-type]
        )
        for i, task in enumerate(tasks)
    ]
    await asyncio.sleep(0.2)
    go.set()
    results = await asyncio.gather(*runs)
    # then the completions that committed hold 1..n of the year's series: no gap, no duplicate
    committed = sorted(n for n in results if n is not None)
    assert len(committed) == TASKS - len(range(0, TASKS, 3))
    assert committed == [f"INV-{YEAR}-{i:06d}" for i in range(1, len(committed) + 1)]
    async with committed_sessions() as session:
        ids = [t.id for t in tasks]
        stored = (await session.scalars(select(Invoice).where(col(Invoice.task_id).in_(ids)))).all()
        statuses = dict(
            (
                await session.execute(
                    select(col(Task.id), col(Task.status)).where(col(Task.id).in_(ids))
                )
            ).all()
        )
    # and each committed task has exactly one issued invoice; rolled back ones have none
    assert sorted(i.number for i in stored if i.number) == committed
    assert all(i.status is InvoiceStatus.ISSUED for i in stored)
    assert len({i.task_id for i in stored}) == len(stored) == len(committed)
    completed = [t for t in ids if statuses[t] is TaskStatus.COMPLETED]
    assert sorted(completed) == sorted(i.task_id for i in stored)
