"""The rollups move with the source rows, in the same transaction, and equal a recompute."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import SessionFactory
from app.core.events import Broker, pending_events
from app.kpis.jobs import reconcile_recent_days
from app.kpis.service import reconcile
from tests.kpis import helpers
from tests.work_orders import factories


async def _daily(session: AsyncSession) -> dict[str, object]:
    row = (
        await session.execute(
            sa.text(
                "SELECT sum(jobs_completed) AS jobs, sum(first_time_fixes) AS ftf, "
                "sum(first_visits_closed) AS first, sum(rating_sum) AS stars, "
                "sum(rating_4) AS fours, sum(arrivals) AS arrivals, "
                "sum(offers_made) AS offers, sum(offers_rejected) AS rejected, "
                "sum(revenue_net) AS revenue, sum(repeat_visits) AS repeats "
                "FROM kpi_daily"
            )
        )
    ).one()
    return dict(row._mapping)


async def test_a_job_counts_when_its_steps_commit_and_not_before(session: AsyncSession) -> None:
    # given a task assigned once, rejected, assigned again and completed
    w = await factories.world(session)
    task = await helpers.new_task(session, w)
    assert task.id is not None
    assert await helpers.committed(session, helpers.assign(session, w, task.id))
    assert await helpers.committed(session, helpers.reject(session, w, task.id))
    other = await factories.technician(session, skills=[(w.skill, 3)], area=w.territory)
    assert await helpers.committed(session, helpers.assign(session, w, task.id, other.id))
    assert await helpers.committed(session, helpers.arrive(session, w, task.id, other.id))
    assert await helpers.committed(session, helpers.complete(session, w, task.id, other.id))
    # when the customer rates it 4 and its invoice is issued
    assert await helpers.committed(session, helpers.rate(session, w, task.id, 4))
    assert await helpers.committed(session, helpers.invoice(session, w, task.id, 1200))
    # then the rollup holds one first-time fix, two offers (one rejected), a 4-star rating
    assert await _daily(session) == {
        "jobs": 1,
        "ftf": 1,
        "first": 1,
        "stars": 4,
        "fours": 1,
        "arrivals": 1,
        "offers": 2,
        "rejected": 1,
        "revenue": Decimal("1200.00"),
        "repeats": 0,
    }
    # and a live tile was told which day and territory moved
    changes = [e for e in pending_events(session) if e.kind == "KPI_CHANGED"]
    assert changes and changes[-1].data["territoryIds"] == [w.territory.id]


async def test_a_second_job_at_the_site_within_30_days_is_a_repeat_visit(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    for _ in range(2):
        task = await helpers.new_task(session, w)
        assert task.id is not None
        assert await helpers.committed(session, helpers.assign(session, w, task.id))
        assert await helpers.committed(session, helpers.arrive(session, w, task.id))
        assert await helpers.committed(session, helpers.complete(session, w, task.id))
    assert (await _daily(session))["repeats"] == 1
    assert (
        await reconcile(session, date.today() - timedelta(days=2), date.today() + timedelta(days=2))
        == 0
    )


async def test_reconciliation_repairs_drift(session: AsyncSession) -> None:
    # given a completed job and a rollup someone tampered with
    w = await factories.world(session)
    task = await helpers.new_task(session, w)
    assert task.id is not None
    assert await helpers.committed(session, helpers.assign(session, w, task.id))
    assert await helpers.committed(session, helpers.arrive(session, w, task.id))
    assert await helpers.committed(session, helpers.complete(session, w, task.id))
    expected = await helpers.rollup(session)
    await session.execute(sa.text("UPDATE kpi_daily SET jobs_completed = jobs_completed + 5"))
    # when the period is reconciled
    first, last = date.today() - timedelta(days=2), date.today() + timedelta(days=2)
    # then the drifted rows are counted and repaired, and a second pass finds none
    assert await reconcile(session, first, last) == 2 * len(expected)
    assert await helpers.rollup(session) == expected
    assert await reconcile(session, first, last) == 0


STEPS = [
    "new",
    "assign",
    "reject",
    "arrive",
    "complete",
    "incomplete",
    "rate",
    "invoice",
    "back",
    "time_off",
    "break",
]


@settings(
    deadline=None,
    max_examples=15,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(STEPS), st.integers(0, 3), st.integers(1, 5)),
        min_size=1,
        max_size=30,
    )
)
async def test_incremental_rollups_equal_a_full_recompute(
    session: AsyncSession, steps: list[tuple[str, int, int]]
) -> None:
    outer = await session.begin_nested()
    try:
        await _run(session, steps)
    finally:
        await outer.rollback()


async def _run(session: AsyncSession, steps: list[tuple[str, int, int]]) -> None:
    # given two sites' worth of tasks driven through a random sequence of real steps
    w = await factories.world(session)
    tasks: list[int] = []
    for step, which, n in steps:
        if step == "new" or not tasks:
            task = await helpers.new_task(session, w)
            assert task.id is not None
            tasks.append(task.id)
            continue
        task_id = tasks[which % len(tasks)]
        call = _step(session, w, step, task_id, n)
        await helpers.committed(session, call)
    async with session.begin_nested():
        pass  # the last created task is committed too
    # then the month and week spans add up to the days, difference rows and all
    stored, expected = await helpers.spans_and_their_days(session)
    assert stored == expected
    # when every day is recomputed from the source rows
    kept = await helpers.rollup(session)
    days = sorted((await session.scalars(sa.text("SELECT DISTINCT day FROM kpi_daily"))).all())
    days = days or [date.today()]
    drift = await reconcile(session, days[0] - timedelta(days=1), days[-1] + timedelta(days=1))
    # then nothing had drifted and the rollup is unchanged
    assert drift == 0
    assert await helpers.rollup(session) == kept
    # and the reconciliation's fold left one row per span and slicer, still adding up
    stored, expected = await helpers.spans_and_their_days(session)
    assert stored == expected
    assert await session.scalar(sa.text("SELECT count(*) FROM kpi_spans")) == len(stored)


def _step(
    session: AsyncSession, w: factories.World, step: str, task_id: int, n: int
) -> Awaitable[None]:
    if step == "assign":
        return helpers.assign(session, w, task_id)
    if step == "reject":
        return helpers.reject(session, w, task_id)
    if step == "arrive":
        return helpers.arrive(session, w, task_id)
    if step == "complete":
        return helpers.complete(session, w, task_id)
    if step == "incomplete":
        return helpers.incomplete(session, w, task_id)
    if step == "rate":
        return helpers.rate(session, w, task_id, n)
    if step == "invoice":
        return helpers.invoice(session, w, task_id, n * 100)
    if step == "time_off":
        return helpers.time_off(session, w, days_ago=n * 9 - 9, hours=n)
    if step == "break":
        return helpers.take_break(session, w, minutes=n * 10)
    return helpers.backdate(session, task_id, n * 9)


async def test_the_hourly_job_repairs_recent_drift(
    session: AsyncSession, sessions: SessionFactory, broker: Broker
) -> None:
    # given a completed job whose rollup row was lost
    w = await factories.world(session)
    task = await helpers.new_task(session, w)
    assert task.id is not None
    for step in (helpers.assign, helpers.arrive, helpers.complete):
        assert await helpers.committed(session, step(session, w, task.id))
    expected = await helpers.rollup(session)
    await session.execute(sa.text("DELETE FROM kpi_daily"))
    await session.commit()
    # when the reconciliation job runs, then it repairs those rows, and the next round none
    assert await reconcile_recent_days(sessions, broker) == len(expected)
    assert await helpers.rollup(session) == expected
    assert await reconcile_recent_days(sessions, broker) == 0
